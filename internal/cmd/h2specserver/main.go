// Binary h2specserver serves this module's test service over plaintext
// HTTP/2 (h2c with prior knowledge) for scripts/h2spec.sh. It prints
// "listening on ADDR" once it accepts connections.
//
// Usage: h2specserver [--addr=127.0.0.1:0]
package main

import (
	"flag"
	"fmt"
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/internal/testpb"
)

type service struct {
	testpb.UnimplementedTestServiceServer
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	// A finite stream limit, the same on both servers: h2spec opens streams
	// up to the advertised limit to test going over it.
	s := grpc.NewServer(grpc.MaxConcurrentStreams(100))
	testpb.RegisterTestServiceServer(s, &service{})
	fmt.Printf("listening on %s\n", lis.Addr())
	if err := s.Serve(lis); err != nil {
		log.Fatalf("serve: %v", err)
	}
}
