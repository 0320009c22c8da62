//go:build ignore

// gen writes the test PKI of this directory: two independent CAs, a server
// certificate signed by the server CA and a client certificate signed by the
// client CA. Run it again (go generate gen.go, or go run gen.go, in this
// directory) to replace every file; the old certificates then stop
// verifying against the new CAs, so commit all files together.
//
// The certificates are for tests only: the private keys are committed.
//
//go:generate go run gen.go
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"time"
)

// A century of validity: tests must not start failing on some future day.
var (
	notBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter  = time.Date(2125, 1, 1, 0, 0, 0, 0, time.UTC)
)

func main() {
	serverCA, serverCAKey := newCA("server_ca", "gRPC test server CA", 1)
	clientCA, clientCAKey := newCA("client_ca", "gRPC test client CA", 2)

	// The server answers to the loopback names and to any name under
	// test.example.com, so tests can override the server name (e.g.
	// x.test.example.com) while dialing 127.0.0.1.
	server := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{Organization: []string{"gRPC"}, CommonName: "test-server"},
		DNSNames:     []string{"localhost", "*.test.example.com"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	writeLeaf("server", server, serverCA, serverCAKey)

	// The client carries a SPIFFE ID so tests can check TLSInfo.SPIFFEID.
	spiffe, err := url.Parse("spiffe://test.example.com/client")
	if err != nil {
		log.Fatal(err)
	}
	client := &x509.Certificate{
		SerialNumber: big.NewInt(4),
		Subject:      pkix.Name{Organization: []string{"gRPC"}, CommonName: "test-client"},
		URIs:         []*url.URL{spiffe},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	writeLeaf("client", client, clientCA, clientCAKey)
}

func newKey() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	return k
}

// newCA makes a self-signed CA and writes <name>_cert.pem; its key is not
// kept, so the CA can sign nothing after this run.
func newCA(name, cn string, serial int64) (*x509.Certificate, crypto.Signer) {
	key := newKey()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{Organization: []string{"gRPC"}, CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	writePEM(name+"_cert.pem", "CERTIFICATE", der)
	return cert, key
}

// writeLeaf signs tmpl with the CA and writes <name>_cert.pem and
// <name>_key.pem.
func writeLeaf(name string, tmpl, ca *x509.Certificate, caKey crypto.Signer) {
	key := newKey()
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		log.Fatal(err)
	}
	writePEM(name+"_cert.pem", "CERTIFICATE", der)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		log.Fatal(err)
	}
	writePEM(name+"_key.pem", "PRIVATE KEY", pkcs8)
}

func writePEM(file, typ string, der []byte) {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(file, data, 0o644); err != nil {
		log.Fatal(err)
	}
}
