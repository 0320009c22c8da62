// Package grpcgopeer pins the grpc-go v1.85.0 programs that the interop suite
// runs against our implementation: grpc-go's own interop client and server
// (recorded as tool dependencies in go.mod, built with
// `go build google.golang.org/grpc/interop/client` from this module) and the
// extras client and server in the subdirectories, which are our code written
// against grpc-go's public API.
//
// This module deliberately has no replace directive: everything here links the
// real google.golang.org/grpc.
package grpcgopeer
