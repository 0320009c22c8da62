// Package testpb holds the protobuf files the reflection tests query: a
// service, the messages it uses and extensions of one of them. They are
// compiled from the module root so that they register under the names
// reflection/internal/testpb/*.proto.
package testpb

//go:generate protoc -I../../.. --go_out=../../.. --go_opt=paths=source_relative --go-grpc_out=../../.. --go-grpc_opt=paths=source_relative,require_unimplemented_servers=false reflection/internal/testpb/base.proto reflection/internal/testpb/ext.proto reflection/internal/testpb/service.proto
