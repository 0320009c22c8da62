// Binary server is our interop test server:
//
//	server --port=10000 [--extras] [--use_tls --tls_cert_file=F --tls_key_file=F [--client_ca_file=F]]
//
// With --extras it also attaches status details to echoed statuses and
// accepts messages of up to 16 MiB, as the extra cases need. With --use_tls
// it serves TLS with the given certificate (grpc-go's flags; there is no
// bundled default certificate, so both files are required);
// --client_ca_file additionally demands client certificates signed by those
// CAs (mutual TLS). The test certificates are in testdata/x509 of the main
// module.
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

	useTLS       = flag.Bool("use_tls", false, "serve TLS instead of plaintext")
	certFile     = flag.String("tls_cert_file", "", "the server's TLS certificate (PEM), with --use_tls")
	keyFile      = flag.String("tls_key_file", "", "the server's TLS private key (PEM), with --use_tls")
	clientCAFile = flag.String("client_ca_file", "", "with --use_tls: require client certificates signed by these CAs (PEM)")
)

func main() {
	flag.Parse()
	lis, err := net.Listen("tcp", fmt.Sprintf(":%d", *port))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	var opts []grpc.ServerOption
	if *useTLS {
		if *certFile == "" || *keyFile == "" {
			log.Fatal("--use_tls needs --tls_cert_file and --tls_key_file")
		}
		creds, err := interop.ServerCredentials(*certFile, *keyFile, *clientCAFile)
		if err != nil {
			log.Fatalf("TLS credentials: %v", err)
		}
		opts = append(opts, grpc.Creds(creds))
	}
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
