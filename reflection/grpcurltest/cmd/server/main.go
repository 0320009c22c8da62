// Command server serves grpcurltest.NewServer on a loopback port for
// scripts/grpcurl.sh. It prints "listening on HOST:PORT" once ready and
// serves until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"

	"google.golang.org/grpc/reflection/grpcurltest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	v1alphaOnly := flag.Bool("v1alpha-only", false, "offer reflection only under grpc.reflection.v1alpha")
	flag.Parse()
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", lis.Addr())
	if err := grpcurltest.NewServer(*v1alphaOnly).Serve(lis); err != nil {
		log.Fatal(err)
	}
}
