// Binary client is our interop test client. It takes the flags of grpc-go's
// interop client that apply without credentials:
//
//	client --server_host=127.0.0.1 --server_port=10000 --test_case=large_unary
//
// Test cases are those of interop.TestCases and interop.ExtraCases.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/interop"
)

var (
	serverHost = flag.String("server_host", "localhost", "the server host name")
	serverPort = flag.Int("server_port", 10000, "the server port number")
	testCase   = flag.String("test_case", "large_unary", "the test case to run")
	timeout    = flag.Duration("timeout", time.Minute, "the deadline of the whole test case")
)

func main() {
	flag.Parse()
	run, ok := interop.TestCases[*testCase]
	if !ok {
		run, ok = interop.ExtraCases[*testCase]
	}
	if !ok {
		log.Fatalf("unsupported test case %q", *testCase)
	}
	addr := net.JoinHostPort(*serverHost, strconv.Itoa(*serverPort))
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatalf("grpc.NewClient(%q): %v", addr, err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, cc); err != nil {
		log.Fatalf("%s failed: %v", *testCase, err)
	}
	log.Printf("%s done", *testCase)
}
