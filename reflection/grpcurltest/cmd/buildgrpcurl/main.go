// Command buildgrpcurl compiles grpcurl against this repository's gRPC
// module; see package grpcurltest.
//
// Usage: go run ./cmd/buildgrpcurl -o PATH
package main

import (
	"context"
	"flag"
	"log"

	"google.golang.org/grpc/reflection/grpcurltest"
)

func main() {
	out := flag.String("o", "grpcurl", "where to write the grpcurl binary")
	flag.Parse()
	if err := grpcurltest.BuildGrpcurl(context.Background(), *out); err != nil {
		log.Fatal(err)
	}
}
