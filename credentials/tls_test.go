package credentials

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func certFile(name string) string { return filepath.Join("..", "testdata", "x509", name) }

func loadPair(t *testing.T, name string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(certFile(name+"_cert.pem"), certFile(name+"_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadPool(t *testing.T, name string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(certFile(name + "_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatal("no certificate in", name)
	}
	return p
}

// http2Suites is what NewTLS uses when the config names no cipher suites:
// the TLS 1.3 suites and the ECDHE+AEAD TLS 1.2 suites.
var http2Suites = []uint16{
	tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
}

func TestNewTLSDefaults(t *testing.T) {
	protos := make([]string, 1, 4)
	protos[0] = "other"
	in := &tls.Config{NextProtos: protos, ServerName: "x"}
	cfg := NewTLS(in).(*tlsCreds).config
	if !slices.Equal(cfg.NextProtos, []string{"other", "h2"}) {
		t.Errorf("NextProtos = %q, want [other h2]", cfg.NextProtos)
	}
	if in.NextProtos[:2][1] != "" || len(in.NextProtos) != 1 {
		t.Errorf("the caller's NextProtos was modified: %q", in.NextProtos[:2])
	}
	if in.MinVersion != 0 || in.CipherSuites != nil {
		t.Error("the caller's config was modified")
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", cfg.MinVersion)
	}
	got := slices.Clone(cfg.CipherSuites)
	want := slices.Clone(http2Suites)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("CipherSuites = %x, want %x", got, want)
	}

	for _, tc := range []struct {
		name    string
		in      *tls.Config
		wantMin uint16
	}{
		{"nil config", nil, tls.VersionTLS12},
		{"explicit min", &tls.Config{MinVersion: tls.VersionTLS13}, tls.VersionTLS13},
		{"max below 1.2 left alone", &tls.Config{MaxVersion: tls.VersionTLS11}, 0},
		{"max 1.3", &tls.Config{MaxVersion: tls.VersionTLS13}, tls.VersionTLS12},
	} {
		cfg := NewTLS(tc.in).(*tlsCreds).config
		if cfg.MinVersion != tc.wantMin {
			t.Errorf("%s: MinVersion = %x, want %x", tc.name, cfg.MinVersion, tc.wantMin)
		}
		if !slices.Equal(cfg.NextProtos, []string{"h2"}) {
			t.Errorf("%s: NextProtos = %q, want [h2]", tc.name, cfg.NextProtos)
		}
	}

	own := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
	if cfg := NewTLS(&tls.Config{CipherSuites: own, NextProtos: []string{"h2"}}).(*tlsCreds).config; !slices.Equal(cfg.CipherSuites, own) || len(cfg.NextProtos) != 1 {
		t.Errorf("explicit choices changed: suites %x, protos %q", cfg.CipherSuites, cfg.NextProtos)
	}
}

func TestNewTLSGetConfigForClient(t *testing.T) {
	cert := loadPair(t, "server")
	creds := NewTLS(&tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
	}})
	got, err := creds.(*tlsCreds).config.GetConfigForClient(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got.NextProtos, "h2") || got.MinVersion != tls.VersionTLS12 {
		t.Errorf("per-client config lacks the defaults: protos %q, min %x", got.NextProtos, got.MinVersion)
	}
	// End to end: the per-client config must still negotiate h2.
	cli, srv := handshake(t, NewClientTLSFromCert(loadPool(t, "server_ca"), ""), creds, "localhost")
	if cli.State.NegotiatedProtocol != "h2" || srv.State.NegotiatedProtocol != "h2" {
		t.Errorf("negotiated %q / %q, want h2", cli.State.NegotiatedProtocol, srv.State.NegotiatedProtocol)
	}
}

func TestInfoCloneOverride(t *testing.T) {
	c := NewClientTLSFromCert(nil, "a.test.example.com")
	info := c.Info()
	if info.SecurityProtocol != "tls" || info.SecurityVersion != "1.2" || info.ServerName != "a.test.example.com" {
		t.Errorf("Info() = %+v", info)
	}
	clone := c.Clone()
	if err := clone.OverrideServerName("b.test.example.com"); err != nil {
		t.Fatal(err)
	}
	if got := clone.Info().ServerName; got != "b.test.example.com" {
		t.Errorf("clone ServerName = %q after override", got)
	}
	if got := c.Info().ServerName; got != "a.test.example.com" {
		t.Errorf("override of the clone changed the original: %q", got)
	}
}

func TestConstructorsFromFiles(t *testing.T) {
	if _, err := NewClientTLSFromFile(certFile("nonexistent.pem"), ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NewClientTLSFromFile(missing) error = %v, want not-exist", err)
	}
	notPEM := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClientTLSFromFile(notPEM, ""); err == nil || err.Error() != "credentials: failed to append certificates" {
		t.Errorf("NewClientTLSFromFile(non-PEM) error = %v", err)
	}
	c, err := NewClientTLSFromFile(certFile("server_ca_cert.pem"), "x.test.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if c.Info().ServerName != "x.test.example.com" {
		t.Errorf("ServerName = %q", c.Info().ServerName)
	}

	for _, tc := range []struct{ cert, key string }{
		{"nonexistent.pem", "server_key.pem"},
		{"server_cert.pem", "nonexistent.pem"},
		{"server_cert.pem", "client_key.pem"}, // key does not match
		{"server_key.pem", "server_cert.pem"},
	} {
		if _, err := NewServerTLSFromFile(certFile(tc.cert), certFile(tc.key)); err == nil {
			t.Errorf("NewServerTLSFromFile(%s, %s) succeeded", tc.cert, tc.key)
		}
	}
	s, err := NewServerTLSFromFile(certFile("server_cert.pem"), certFile("server_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Info().SecurityProtocol != "tls" {
		t.Errorf("Info() = %+v", s.Info())
	}
}

// loopbackPair returns the two ends of a real TCP connection.
func loopbackPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	client, err = net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = lis.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

type result struct {
	conn net.Conn
	info AuthInfo
	err  error
}

// handshakeErrs runs both handshakes over loopback TCP and returns both
// outcomes; failed sides have closed their connection.
func handshakeErrs(t *testing.T, cc, sc TransportCredentials, authority string) (cli, srv result) {
	t.Helper()
	c, s := loopbackPair(t)
	done := make(chan result, 1)
	go func() {
		conn, info, err := sc.ServerHandshake(s)
		done <- result{conn, info, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli.conn, cli.info, cli.err = cc.ClientHandshake(ctx, authority, c)
	if cli.err != nil {
		c.Close() // unblocks a server still waiting for the client
	}
	srv = <-done
	if srv.err != nil {
		s.Close()
	}
	return cli, srv
}

// handshake is handshakeErrs where both sides must succeed.
func handshake(t *testing.T, cc, sc TransportCredentials, authority string) (cli, srv TLSInfo) {
	t.Helper()
	c, s := handshakeErrs(t, cc, sc, authority)
	if c.err != nil || s.err != nil {
		t.Fatalf("handshake failed: client %v, server %v", c.err, s.err)
	}
	if _, ok := c.conn.(syscall.Conn); !ok {
		t.Error("client conn over TCP does not expose syscall.Conn")
	}
	if _, ok := s.conn.(syscall.Conn); !ok {
		t.Error("server conn over TCP does not expose syscall.Conn")
	}
	return c.info.(TLSInfo), s.info.(TLSInfo)
}

func TestHandshakeServerAuth(t *testing.T) {
	sc := NewServerTLSFromCert(ptr(loadPair(t, "server")))
	for _, authority := range []string{"localhost", "localhost:443", "127.0.0.1:5", "[::1]:5", "x.test.example.com"} {
		cli, srv := handshake(t, NewClientTLSFromCert(loadPool(t, "server_ca"), ""), sc, authority)
		if cli.AuthType() != "tls" || cli.SecurityLevel != PrivacyAndIntegrity || srv.SecurityLevel != PrivacyAndIntegrity {
			t.Errorf("%s: AuthType %q, levels %v / %v", authority, cli.AuthType(), cli.SecurityLevel, srv.SecurityLevel)
		}
		if cli.State.NegotiatedProtocol != "h2" || srv.State.NegotiatedProtocol != "h2" {
			t.Errorf("%s: ALPN %q / %q", authority, cli.State.NegotiatedProtocol, srv.State.NegotiatedProtocol)
		}
		if len(srv.State.PeerCertificates) != 0 || srv.SPIFFEID != nil {
			t.Errorf("%s: server saw a client certificate", authority)
		}
		if cn := cli.State.PeerCertificates[0].Subject.CommonName; cn != "test-server" {
			t.Errorf("%s: server CN %q", authority, cn)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestHandshakeMutual(t *testing.T) {
	sc := NewTLS(&tls.Config{
		Certificates: []tls.Certificate{loadPair(t, "server")},
		ClientCAs:    loadPool(t, "client_ca"),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})
	cc := NewTLS(&tls.Config{
		Certificates: []tls.Certificate{loadPair(t, "client")},
		RootCAs:      loadPool(t, "server_ca"),
	})
	_, srv := handshake(t, cc, sc, "localhost:1")
	if cn := srv.State.PeerCertificates[0].Subject.CommonName; cn != "test-client" {
		t.Errorf("client CN %q", cn)
	}
	if srv.SPIFFEID == nil || srv.SPIFFEID.String() != "spiffe://test.example.com/client" {
		t.Errorf("SPIFFEID = %v", srv.SPIFFEID)
	}

	// Without a client certificate the server refuses the handshake. In TLS
	// 1.3 the client may finish first and learn of it only on its first read.
	c, s := handshakeErrs(t, NewClientTLSFromCert(loadPool(t, "server_ca"), ""), sc, "localhost")
	if s.err == nil {
		t.Fatal("server accepted a client without certificate")
	}
	if c.err == nil {
		if _, err := c.conn.Read(make([]byte, 1)); err == nil {
			t.Error("client read succeeded after the server refused it")
		}
		c.conn.Close()
	}
}

func TestHandshakeVerificationErrors(t *testing.T) {
	sc := NewServerTLSFromCert(ptr(loadPair(t, "server")))
	for _, tc := range []struct {
		name, authority, want string
		roots                 string
	}{
		{"wrong CA", "localhost", "certificate signed by unknown authority", "client_ca"},
		{"wrong name", "wrong.example.org:443", "certificate is valid for localhost, *.test.example.com, not wrong.example.org", "server_ca"},
		{"wrong IP", "10.0.0.1:443", "certificate is valid for 127.0.0.1, ::1, not 10.0.0.1", "server_ca"},
	} {
		c, s := handshakeErrs(t, NewClientTLSFromCert(loadPool(t, tc.roots), ""), sc, tc.authority)
		if c.err == nil || !strings.Contains(c.err.Error(), tc.want) {
			t.Errorf("%s: client error %v, want it to contain %q", tc.name, c.err, tc.want)
		}
		if s.err == nil {
			t.Errorf("%s: server handshake succeeded", tc.name)
		}
	}
}

func TestClientHandshakeHonoursContext(t *testing.T) {
	c, s := loopbackPair(t)
	// The server reads the ClientHello and never answers.
	go io.Copy(io.Discard, s)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := NewClientTLSFromCert(nil, "").ClientHandshake(ctx, "localhost", c)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ClientHandshake error = %v, want DeadlineExceeded", err)
	}
	// The connection was closed: writing fails.
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("write on the raw conn succeeded after the handshake gave up")
	}
}

func TestALPNEnforcement(t *testing.T) {
	cert := loadPair(t, "server")
	roots := loadPool(t, "server_ca")

	// A raw TLS server that selects no protocol.
	rawServer := func(s net.Conn) error {
		conn := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{cert}})
		return conn.Handshake()
	}
	// A raw TLS client that offers no protocol.
	rawClient := func(c net.Conn) error {
		conn := tls.Client(c, &tls.Config{RootCAs: roots, ServerName: "localhost"})
		if err := conn.Handshake(); err != nil {
			return err
		}
		// The server hangs up when it sees the missing ALPN.
		_, err := conn.Read(make([]byte, 1))
		return err
	}

	for _, enforce := range []bool{true, false} {
		if !enforce {
			t.Setenv("GRPC_ENFORCE_ALPN_ENABLED", "FALSE")
		}
		c, s := loopbackPair(t)
		served := make(chan error, 1)
		go func() { served <- rawServer(s) }()
		_, _, err := NewClientTLSFromCert(roots, "").ClientHandshake(context.Background(), "localhost", c)
		if enforce && (err == nil || err.Error() != errNoALPN.Error()) {
			t.Errorf("client against a server without ALPN: error %v, want %q", err, errNoALPN)
		}
		if !enforce && err != nil {
			t.Errorf("client with enforcement off: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("raw server: %v", err)
		}

		c, s = loopbackPair(t)
		clientDone := make(chan error, 1)
		go func() { clientDone <- rawClient(c) }()
		conn, _, err := NewServerTLSFromCert(&cert).ServerHandshake(s)
		if enforce && (err == nil || err.Error() != errNoALPN.Error()) {
			t.Errorf("server against a client without ALPN: error %v, want %q", err, errNoALPN)
		}
		if !enforce {
			if err != nil {
				t.Errorf("server with enforcement off: %v", err)
			} else {
				conn.Close()
			}
		}
		if err := <-clientDone; err == nil {
			t.Error("raw client read data")
		}
	}
}

func TestValidateAuthority(t *testing.T) {
	sc := NewServerTLSFromCert(ptr(loadPair(t, "server")))
	cli, _ := handshake(t, NewClientTLSFromCert(loadPool(t, "server_ca"), ""), sc, "localhost")
	for _, a := range []string{"localhost", "localhost:50051", "foo.test.example.com", "127.0.0.1:1", "[::1]:1"} {
		if err := cli.ValidateAuthority(a); err != nil {
			t.Errorf("ValidateAuthority(%q) = %v", a, err)
		}
	}
	for _, a := range []string{"example.com", "a.b.test.example.com:1", "10.1.1.1"} {
		if err := cli.ValidateAuthority(a); err == nil {
			t.Errorf("ValidateAuthority(%q) accepted", a)
		}
	}
	err := TLSInfo{}.ValidateAuthority("host:1")
	if want := `credentials: no peer certificates found to verify authority "host"`; err == nil || err.Error() != want {
		t.Errorf("without certificates: %v, want %q", err, want)
	}

	v := cli.GetSecurityValue().(*TLSChannelzSecurityValue)
	if v.StandardName != tls.CipherSuiteName(cli.State.CipherSuite) || !strings.HasPrefix(v.StandardName, "TLS_") {
		t.Errorf("StandardName = %q", v.StandardName)
	}
	if string(v.RemoteCertificate) != string(cli.State.PeerCertificates[0].Raw) {
		t.Error("RemoteCertificate is not the server's leaf")
	}
	if got := (TLSInfo{State: tls.ConnectionState{CipherSuite: 0xfefe}}).GetSecurityValue().(*TLSChannelzSecurityValue); got.StandardName != "unknown ID: 65278" || got.RemoteCertificate != nil {
		t.Errorf("unknown suite: %+v", got)
	}
}

func TestSPIFFEID(t *testing.T) {
	u := func(s string) *url.URL {
		v, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		uris []*url.URL
		want string
	}{
		{"none", nil, ""},
		{"valid", []*url.URL{u("spiffe://foo.bar.com/client/workload/1")}, "spiffe://foo.bar.com/client/workload/1"},
		{"not spiffe", []*url.URL{u("https://foo.bar.com/x")}, ""},
		{"no path", []*url.URL{u("spiffe://foo.bar.com")}, ""},
		{"no host", []*url.URL{u("spiffe:///path")}, ""},
		{"two URIs", []*url.URL{u("spiffe://foo.bar.com/a"), u("https://x/y")}, ""},
		{"long domain", []*url.URL{u("spiffe://" + strings.Repeat("a", 256) + "/p")}, ""},
		{"long ID", []*url.URL{u("spiffe://a/" + strings.Repeat("p", 2048))}, ""},
	} {
		state := tls.ConnectionState{PeerCertificates: []*x509.Certificate{{URIs: tc.uris}}}
		got := spiffeID(state)
		if (got == nil && tc.want != "") || (got != nil && got.String() != tc.want) {
			t.Errorf("%s: spiffeID = %v, want %q", tc.name, got, tc.want)
		}
	}
	if spiffeID(tls.ConnectionState{}) != nil {
		t.Error("SPIFFE ID without certificates")
	}
}
