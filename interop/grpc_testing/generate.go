// Package grpc_testing holds the messages and services of the standard gRPC
// interop test (package grpc.testing), generated from the .proto files here.
//
// The files are compiled under their canonical names (grpc/testing/*.proto),
// as every gRPC implementation registers them, hence the staging directory.
package grpc_testing

//go:generate sh -c "rm -rf _gen && mkdir -p _gen/grpc/testing && cp empty.proto messages.proto test.proto _gen/grpc/testing/ && protoc -I_gen --go_out=_gen --go_opt=paths=source_relative --go-grpc_out=_gen --go-grpc_opt=paths=source_relative grpc/testing/empty.proto grpc/testing/messages.proto grpc/testing/test.proto && mv _gen/grpc/testing/*.go . && rm -rf _gen"
