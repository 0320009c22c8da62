package interop

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"google.golang.org/grpc/credentials"
)

// ClientCredentials returns TLS credentials for an interop client, as
// grpc-go's interop client builds them from its flags. caFile, if set, holds
// the CAs that sign the server's certificate (otherwise the system roots are
// used). serverNameOverride, if set, is the name the server certificate must
// carry, and the :authority. certFile and keyFile, if set, are the client's
// certificate for mutual TLS.
func ClientCredentials(caFile, serverNameOverride, certFile, keyFile string) (credentials.TransportCredentials, error) {
	cfg := &tls.Config{ServerName: serverNameOverride}
	if caFile != "" {
		pool, err := loadPool(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the client certificate: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg), nil
}

// ServerCredentials returns TLS credentials for an interop server presenting
// certFile and keyFile. With clientCAFile set, the server demands a client
// certificate signed by one of its CAs (mutual TLS).
func ServerCredentials(certFile, keyFile, clientCAFile string) (credentials.TransportCredentials, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the server certificate: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCAFile != "" {
		pool, err := loadPool(clientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return credentials.NewTLS(cfg), nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pemData, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("no PEM certificate in %s", file)
	}
	return pool, nil
}
