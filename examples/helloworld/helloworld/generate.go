// Package helloworld holds the messages and the Greeter service of the
// hello-world example, generated from helloworld.proto.
package helloworld

//go:generate protoc -I../../.. --go_out=../../.. --go_opt=paths=source_relative --go-grpc_out=../../.. --go-grpc_opt=paths=source_relative examples/helloworld/helloworld/helloworld.proto
