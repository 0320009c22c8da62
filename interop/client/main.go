// Binary client is our interop test client. It takes the flags of grpc-go's
// interop client for plaintext and TLS:
//
//	client --server_host=127.0.0.1 --server_port=10000 --test_case=large_unary
//	       [--use_tls [--use_test_ca --ca_file=F] [--server_host_override=H]]
//
// --client_cert_file and --client_key_file (ours) add a client certificate
// for mutual TLS. The test certificates are in testdata/x509 of the main
// module.
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

	useTLS       = flag.Bool("use_tls", false, "connect with TLS instead of plaintext")
	useTestCA    = flag.Bool("use_test_ca", false, "with --use_tls: trust the CAs of --ca_file instead of the system roots")
	caFile       = flag.String("ca_file", "", "the CA certificates (PEM) for --use_test_ca")
	hostOverride = flag.String("server_host_override", "", "with --use_tls: the name the server certificate is checked against, and the :authority")
	clientCert   = flag.String("client_cert_file", "", "with --use_tls: the client certificate (PEM) for mutual TLS")
	clientKey    = flag.String("client_key_file", "", "with --use_tls: the client private key (PEM) for mutual TLS")
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
	creds := insecure.NewCredentials()
	if *useTLS {
		ca := ""
		if *useTestCA {
			if *caFile == "" {
				log.Fatal("--use_test_ca needs --ca_file")
			}
			ca = *caFile
		}
		var err error
		creds, err = interop.ClientCredentials(ca, *hostOverride, *clientCert, *clientKey)
		if err != nil {
			log.Fatalf("TLS credentials: %v", err)
		}
	}
	addr := net.JoinHostPort(*serverHost, strconv.Itoa(*serverPort))
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
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
