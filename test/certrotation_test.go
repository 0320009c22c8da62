package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/tls/certprovider"
	"google.golang.org/grpc/credentials/tls/certprovider/pemfile"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/peer"
)

// testCA issues short-lived certificates for a single test, so rotation can
// be exercised without committing more key material.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func nextSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err)
	}
	return n
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{cert: c, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key for cn, valid for loopback when
// server is set and for client authentication otherwise.
func (ca *testCA) issue(t *testing.T, cn string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// providerServerCreds are server credentials that take their certificate
// and the CAs trusted for client certificates from p at every handshake,
// so each new connection sees what the provider currently holds.
func providerServerCreds(p certprovider.Provider) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			km, err := p.KeyMaterial(hello.Context())
			if err != nil {
				return nil, err
			}
			return &tls.Config{
				Certificates: km.Certs,
				ClientCAs:    km.Roots,
				ClientAuth:   tls.RequireAndVerifyClientCert,
				NextProtos:   []string{"h2"},
				MinVersion:   tls.VersionTLS12,
			}, nil
		},
	})
}

func rotationClient(t *testing.T, addr string, serverCA *testCA, certPEM, keyPEM []byte) (*grpc.ClientConn, testpb.TestServiceClient) {
	t.Helper()
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.cert)
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{pair},
		RootCAs:      roots,
	})))
	if err != nil {
		t.Fatal(err)
	}
	return cc, testpb.NewTestServiceClient(cc)
}

// serverCN makes an RPC on c and returns the CN of the certificate the
// server presented on the connection it used.
func serverCN(ctx context.Context, t *testing.T, c testpb.TestServiceClient) string {
	t.Helper()
	var p peer.Peer
	if _, err := c.Unary(ctx, &testpb.Request{}, grpc.Peer(&p)); err != nil {
		t.Fatalf("Unary: %v", err)
	}
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(ti.State.PeerCertificates) == 0 {
		t.Fatalf("peer AuthInfo %T has no server certificate", p.AuthInfo)
	}
	return ti.State.PeerCertificates[0].Subject.CommonName
}

// TestCertRotation serves mTLS with the server certificate and the trusted
// client CA taken from a pemfile provider, rewrites the files with a new
// server certificate and a new client CA, and checks that new connections
// get the new certificate and trust only the new CA while a connection made
// before the rotation keeps working.
func TestCertRotation(t *testing.T) {
	defer leakcheck.Check(t)
	dir := t.TempDir()
	certF, keyF, rootF := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	serverCA, clientCA1, clientCA2 := newTestCA(t, "server-ca"), newTestCA(t, "client-ca-1"), newTestCA(t, "client-ca-2")

	s1, k1 := serverCA.issue(t, "server-before", true)
	writeFile(t, certF, s1)
	writeFile(t, keyF, k1)
	writeFile(t, rootF, clientCA1.pem)
	prov, err := pemfile.NewProvider(pemfile.Options{CertFile: certF, KeyFile: keyF, RootFile: rootF, RefreshDuration: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()

	srv, lis, served := startServer(t, nil, grpc.Creds(providerServerCreds(prov)))
	defer func() {
		srv.Stop()
		<-served
	}()
	addr := lis.Addr().String()
	ctx, cancel := testCtx(t)
	defer cancel()

	c1Cert, c1Key := clientCA1.issue(t, "client-1", false)
	oldCC, oldClient := rotationClient(t, addr, serverCA, c1Cert, c1Key)
	defer oldCC.Close()
	if cn := serverCN(ctx, t, oldClient); cn != "server-before" {
		t.Fatalf("before rotation the server presented %q", cn)
	}
	// A stream opened before the rotation must survive it too.
	stream, err := oldClient.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&testpb.Request{ResponseSize: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}

	// Rotate: the key first, so that until the certificate follows the
	// provider sees a mismatched pair and keeps serving the old one.
	s2, k2 := serverCA.issue(t, "server-after", true)
	writeFile(t, keyF, k2)
	writeFile(t, certF, s2)
	writeFile(t, rootF, clientCA2.pem)
	deadline := time.Now().Add(testTimeout)
	for {
		km, err := prov.KeyMaterial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(km.Certs[0].Certificate[0])
		if leaf.Subject.CommonName == "server-after" && km.Roots.Equal(poolOf(clientCA2)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the provider did not load the rotated files")
		}
		time.Sleep(5 * time.Millisecond)
	}

	c2Cert, c2Key := clientCA2.issue(t, "client-2", false)
	newCC, newClient := rotationClient(t, addr, serverCA, c2Cert, c2Key)
	defer newCC.Close()
	if cn := serverCN(ctx, t, newClient); cn != "server-after" {
		t.Errorf("a new connection after rotation got %q, want server-after", cn)
	}

	// A client certificate from the retired CA is refused on a new
	// connection.
	staleCC, staleClient := rotationClient(t, addr, serverCA, c1Cert, c1Key)
	defer staleCC.Close()
	if _, err := staleClient.Unary(ctx, &testpb.Request{}); err == nil {
		t.Error("a client certificate from the retired CA was accepted after rotation")
	} else {
		wantCode(t, err, codes.Unavailable)
	}

	// The connection made before the rotation keeps its session.
	if cn := serverCN(ctx, t, oldClient); cn != "server-before" {
		t.Errorf("the pre-rotation connection now reports %q; want it unchanged", cn)
	}
	if err := stream.Send(&testpb.Request{ResponseSize: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("stream opened before rotation: %v", err)
	}
	stream.CloseSend()
}

func poolOf(ca *testCA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}
