package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/interop"
	"google.golang.org/grpc/peer"
)

// TLS flags: grpc-go's interop client names where it has them, ours for the
// client certificate (its client has no mutual TLS).
var (
	useTLS       = flag.Bool("use_tls", false, "connect with TLS")
	caFile       = flag.String("ca_file", "", "with --use_tls: the CA certificates (PEM) that sign the server's certificate")
	hostOverride = flag.String("server_host_override", "", "with --use_tls: the name the server certificate is checked against")
	clientCert   = flag.String("client_cert_file", "", "with --use_tls: client certificate (PEM) for mutual TLS")
	clientKey    = flag.String("client_key_file", "", "with --use_tls: client private key (PEM) for mutual TLS")
	wantServerCN = flag.String("want_server_cn", "", "with --use_tls: fail unless each successful unary call saw a server certificate with this common name")
)

// The standard cases run here, through grpc-go's own interop functions, so
// that the mutual TLS runs (which grpc-go's client binary cannot do) cover
// them too. Those functions exit the process on failure.
func init() {
	std := map[string]func(context.Context, *client){
		"empty_unary":      func(ctx context.Context, c *client) { interop.DoEmptyUnaryCall(ctx, c.tc) },
		"large_unary":      func(ctx context.Context, c *client) { interop.DoLargeUnaryCall(ctx, c.tc) },
		"client_streaming": func(ctx context.Context, c *client) { interop.DoClientStreaming(ctx, c.tc) },
		"server_streaming": func(ctx context.Context, c *client) { interop.DoServerStreaming(ctx, c.tc) },
		"ping_pong":        func(ctx context.Context, c *client) { interop.DoPingPong(ctx, c.tc) },
		"custom_metadata":  func(ctx context.Context, c *client) { interop.DoCustomMetadata(ctx, c.tc) },
	}
	for name, run := range std {
		cases[name] = func(ctx context.Context, c *client) error {
			run(ctx, c)
			return nil
		}
	}
}

// dialCredentials builds the transport credentials the flags ask for.
func dialCredentials() credentials.TransportCredentials {
	if !*useTLS {
		return insecure.NewCredentials()
	}
	cfg := &tls.Config{ServerName: *hostOverride}
	if *caFile != "" {
		b, err := os.ReadFile(*caFile)
		if err != nil {
			log.Fatalf("reading --ca_file: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(b) {
			log.Fatalf("no certificate in %s", *caFile)
		}
	}
	if *clientCert != "" {
		cert, err := tls.LoadX509KeyPair(*clientCert, *clientKey)
		if err != nil {
			log.Fatalf("loading the client certificate: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg)
}

// checkServerPeer fails successful unary calls whose peer is not a TLS
// connection to a server presenting a certificate for --want_server_cn: the
// server's AuthInfo must reach the grpc.Peer call option.
func checkServerPeer(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var p peer.Peer
	if err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Peer(&p))...); err != nil {
		return err
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return fmt.Errorf("%s: peer AuthInfo is %T, want credentials.TLSInfo", method, p.AuthInfo)
	}
	if certs := info.State.PeerCertificates; len(certs) == 0 || certs[0].Subject.CommonName != *wantServerCN {
		return fmt.Errorf("%s: server certificate is not for %q", method, *wantServerCN)
	}
	return nil
}

// dialOptions are the channel's options that depend on the TLS flags.
func dialOptions() []grpc.DialOption {
	opts := []grpc.DialOption{grpc.WithTransportCredentials(dialCredentials())}
	if *useTLS && *wantServerCN != "" {
		opts = append(opts, grpc.WithChainUnaryInterceptor(checkServerPeer))
	}
	return opts
}
