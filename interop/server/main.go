// Binary server is our interop test server:
//
//	server --port=10000 [--extras]
//
// With --extras it also attaches status details to echoed statuses and
// accepts messages of up to 16 MiB, as the extra cases need.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

var (
	port   = flag.Int("port", 10000, "the port to listen on")
	extras = flag.Bool("extras", false, "serve the extra cases: status details and 16 MiB messages")
)

func main() {
	flag.Parse()
	lis, err := net.Listen("tcp", fmt.Sprintf(":%d", *port))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	var opts []grpc.ServerOption
	if *extras {
		opts = append(opts, grpc.MaxRecvMsgSize(interop.ExtrasMaxMsgSize))
	}
	s := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(s, interop.NewTestServer(interop.ServerOptions{StatusDetails: *extras}))
	log.Printf("interop server listening at %v", lis.Addr())
	if err := s.Serve(lis); err != nil {
		log.Fatalf("serve: %v", err)
	}
}
