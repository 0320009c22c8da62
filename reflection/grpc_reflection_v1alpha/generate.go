// Package grpc_reflection_v1alpha holds the messages and the service of the gRPC
// server reflection protocol, version v1alpha (proto package grpc.reflection.v1alpha),
// generated from reflection.proto.
//
// The file is compiled under its canonical name
// (grpc/reflection/v1alpha/reflection.proto), which is the name other gRPC
// implementations and tools such as grpcurl know it by; hence the staging
// directory. As in grpc-go, the server interface does not force embedding
// UnimplementedServerReflectionServer.
package grpc_reflection_v1alpha

//go:generate sh -c "rm -rf _gen && mkdir -p _gen/grpc/reflection/v1alpha && cp reflection.proto _gen/grpc/reflection/v1alpha/ && protoc -I_gen --go_out=_gen --go_opt=paths=source_relative --go-grpc_out=_gen --go-grpc_opt=paths=source_relative,require_unimplemented_servers=false grpc/reflection/v1alpha/reflection.proto && mv _gen/grpc/reflection/v1alpha/*.go . && rm -rf _gen"
