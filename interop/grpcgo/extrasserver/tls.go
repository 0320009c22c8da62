package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"log"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// TLS flags: grpc-go's interop server names, plus ours for mutual TLS.
var (
	useTLS       = flag.Bool("use_tls", false, "serve TLS")
	certFile     = flag.String("tls_cert_file", "", "with --use_tls: the server certificate (PEM)")
	keyFile      = flag.String("tls_key_file", "", "with --use_tls: the server private key (PEM)")
	clientCAFile = flag.String("client_ca_file", "", "with --use_tls: require client certificates signed by these CAs (PEM)")
	wantClientCN = flag.String("want_client_cn", "", "with --client_ca_file: refuse RPCs whose peer AuthInfo lacks a client certificate with this common name")
)

// tlsOptions returns the server options the TLS flags ask for.
func tlsOptions() []grpc.ServerOption {
	if !*useTLS {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("loading the server certificate: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if *clientCAFile != "" {
		b, err := os.ReadFile(*clientCAFile)
		if err != nil {
			log.Fatalf("reading --client_ca_file: %v", err)
		}
		cfg.ClientCAs = x509.NewCertPool()
		if !cfg.ClientCAs.AppendCertsFromPEM(b) {
			log.Fatalf("no certificate in %s", *clientCAFile)
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	opts := []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg))}
	if *wantClientCN != "" {
		opts = append(opts,
			grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				if err := checkClientPeer(ctx); err != nil {
					return nil, err
				}
				return h(ctx, req)
			}),
			grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
				if err := checkClientPeer(ss.Context()); err != nil {
					return err
				}
				return h(srv, ss)
			}))
	}
	return opts
}

// checkClientPeer requires the RPC's peer to be a TLS connection whose
// client presented a certificate for --want_client_cn.
func checkClientPeer(ctx context.Context) error {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return status.Error(codes.Unauthenticated, "no peer in the context")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return status.Errorf(codes.Unauthenticated, "peer AuthInfo is %T, want credentials.TLSInfo", p.AuthInfo)
	}
	if certs := info.State.PeerCertificates; len(certs) == 0 || certs[0].Subject.CommonName != *wantClientCN {
		return status.Errorf(codes.Unauthenticated, "no client certificate for %q", *wantClientCN)
	}
	return nil
}
