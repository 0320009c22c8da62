// Package testpb holds the generated messages and service stubs used by the
// end-to-end tests.
package testpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative test.proto
