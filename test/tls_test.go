package test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

func x509File(name string) string { return filepath.Join("..", "testdata", "x509", name) }

func keyPair(t *testing.T, name string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(x509File(name+"_cert.pem"), x509File(name+"_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func certPool(t *testing.T, name string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(x509File(name + "_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", name)
	}
	return p
}

// serverTLS are credentials presenting the test server certificate.
func serverTLS(t *testing.T) credentials.TransportCredentials {
	t.Helper()
	c, err := credentials.NewServerTLSFromFile(x509File("server_cert.pem"), x509File("server_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serverMTLS are credentials that also demand a client certificate signed
// by the client CA.
func serverMTLS(t *testing.T) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{keyPair(t, "server")},
		ClientCAs:    certPool(t, "client_ca"),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})
}

// seen records what the server learnt about the last unary RPC.
type seen struct {
	mu        sync.Mutex
	peer      *peer.Peer
	authority string
	token     string
}

// recordingServer answers Unary and records the caller's peer, :authority
// and authorization header.
func recordingServer(s *seen) *testServer {
	return &testServer{unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		p, _ := peer.FromContext(ctx)
		md, _ := metadata.FromIncomingContext(ctx)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.peer = p
		s.authority = strings.Join(md[":authority"], ",")
		s.token = strings.Join(md["authorization"], ",")
		return respond(ctx, req)
	}}
}

func (s *seen) get() (*peer.Peer, string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peer, s.authority, s.token
}

// tlsEnv starts a server with sopts and a client with dopts (which must
// choose the transport credentials).
func tlsEnv(t *testing.T, ts *testServer, sopts []grpc.ServerOption, dopts ...grpc.DialOption) *env {
	t.Helper()
	srv, lis, served := startServer(t, ts, sopts...)
	e := &env{t: t, srv: srv, lis: lis, addr: lis.Addr().String(), served: served}
	cc, err := grpc.NewClient(e.addr, dopts...)
	if err != nil {
		srv.Stop()
		<-served
		t.Fatalf("grpc.NewClient(%q): %v", e.addr, err)
	}
	e.cc = cc
	e.client = testpb.NewTestServiceClient(cc)
	return e
}

// tlsInfo returns ai as TLSInfo, failing the test if it is not one.
func tlsInfo(t *testing.T, who string, ai credentials.AuthInfo) credentials.TLSInfo {
	t.Helper()
	info, ok := ai.(credentials.TLSInfo)
	if !ok {
		t.Fatalf("%s AuthInfo is %T, want credentials.TLSInfo", who, ai)
	}
	if info.AuthType() != "tls" || info.SecurityLevel != credentials.PrivacyAndIntegrity || info.State.NegotiatedProtocol != "h2" {
		t.Errorf("%s TLSInfo: type %q, level %v, ALPN %q", who, info.AuthType(), info.SecurityLevel, info.State.NegotiatedProtocol)
	}
	return info
}

func TestTLSServerAuth(t *testing.T) {
	defer leakcheck.Check(t)
	rec := &seen{}
	creds, err := credentials.NewClientTLSFromFile(x509File("server_ca_cert.pem"), "")
	if err != nil {
		t.Fatal(err)
	}
	e := tlsEnv(t, recordingServer(rec), []grpc.ServerOption{grpc.Creds(serverTLS(t))}, grpc.WithTransportCredentials(creds))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	var p peer.Peer
	if _, err := e.client.Unary(ctx, &testpb.Request{ResponseSize: 10}, grpc.Peer(&p)); err != nil {
		t.Fatalf("Unary over TLS: %v", err)
	}
	cli := tlsInfo(t, "client-side", p.AuthInfo)
	if cn := cli.State.PeerCertificates[0].Subject.CommonName; cn != "test-server" {
		t.Errorf("server certificate CN %q", cn)
	}
	sp, authority, _ := rec.get()
	srv := tlsInfo(t, "server-side", sp.AuthInfo)
	if len(srv.State.PeerCertificates) != 0 {
		t.Error("server saw a client certificate the client never sent")
	}
	if authority != e.addr {
		t.Errorf(":authority = %q, want %q", authority, e.addr)
	}

	// Streams share the secured connection, and report it in Peer too.
	var streamPeer peer.Peer
	stream, err := e.client.FullDuplex(ctx, grpc.Peer(&streamPeer))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := stream.Send(&testpb.Request{ResponseSize: 1 << 16}); err != nil {
			t.Fatal(err)
		}
		if r, err := stream.Recv(); err != nil || len(r.GetPayload().GetBody()) != 1<<16 {
			t.Fatalf("Recv: %v", err)
		}
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("final Recv = %v, want EOF", err)
	}
	tlsInfo(t, "streaming client-side", streamPeer.AuthInfo)
}

func TestTLSMutual(t *testing.T) {
	defer leakcheck.Check(t)
	rec := &seen{}
	clientCreds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{keyPair(t, "client")},
		RootCAs:      certPool(t, "server_ca"),
	})
	e := tlsEnv(t, recordingServer(rec), []grpc.ServerOption{grpc.Creds(serverMTLS(t))}, grpc.WithTransportCredentials(clientCreds))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	var p peer.Peer
	if _, err := e.client.Unary(ctx, &testpb.Request{}, grpc.Peer(&p)); err != nil {
		t.Fatalf("Unary over mTLS: %v", err)
	}
	tlsInfo(t, "client-side", p.AuthInfo)
	sp, _, _ := rec.get()
	srv := tlsInfo(t, "server-side", sp.AuthInfo)
	if len(srv.State.PeerCertificates) == 0 || srv.State.PeerCertificates[0].Subject.CommonName != "test-client" {
		t.Fatalf("server did not see the client certificate: %v", srv.State.PeerCertificates)
	}
	if srv.SPIFFEID == nil || srv.SPIFFEID.String() != "spiffe://test.example.com/client" {
		t.Errorf("SPIFFEID = %v", srv.SPIFFEID)
	}

	// A client without a certificate is refused.
	noCert, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "server_ca"), "")))
	if err != nil {
		t.Fatal(err)
	}
	defer noCert.Close()
	_, err = testpb.NewTestServiceClient(noCert).Unary(ctx, &testpb.Request{})
	st := wantCode(t, err, codes.Unavailable)
	if n := strings.Count(st.Message(), "connection error: desc"); n > 1 {
		t.Errorf("client without certificate: connection error wrapped %d times: %q", n, st.Message())
	}
}

func TestTLSVerificationFailures(t *testing.T) {
	defer leakcheck.Check(t)
	srv, lis, served := startServer(t, nil, grpc.Creds(serverTLS(t)))
	defer func() { srv.Stop(); <-served }()
	addr := lis.Addr().String()
	const prefix = `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: `

	for _, tc := range []struct {
		name  string
		dopts []grpc.DialOption
		want  string
	}{
		{
			name:  "wrong CA",
			dopts: []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "client_ca"), ""))},
			want:  prefix + `x509: certificate signed by unknown authority"`,
		},
		{
			name:  "wrong server name override",
			dopts: []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "server_ca"), "wrong.example.org"))},
			want:  prefix + `x509: certificate is valid for localhost, *.test.example.com, not wrong.example.org"`,
		},
		{
			name: "wrong WithAuthority",
			dopts: []grpc.DialOption{
				grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "server_ca"), "")),
				grpc.WithAuthority("wrong.example.org:443"),
			},
			want: prefix + `x509: certificate is valid for localhost, *.test.example.com, not wrong.example.org"`,
		},
		{
			name:  "plaintext server",
			dopts: []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, err := grpc.NewClient(addr, tc.dopts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			ctx, cancel := testCtx(t)
			defer cancel()
			_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{})
			st := wantCode(t, err, codes.Unavailable)
			if tc.want != "" && st.Message() != tc.want {
				t.Errorf("message:\n got %s\nwant %s", st.Message(), tc.want)
			}
		})
	}

	// And a TLS client against a plaintext server.
	plainSrv, plainLis, plainServed := startServer(t, nil)
	defer func() { plainSrv.Stop(); <-plainServed }()
	cc, err := grpc.NewClient(plainLis.Addr().String(), grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "server_ca"), "")))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.Unavailable)
}

func TestTLSAuthorityOverrides(t *testing.T) {
	defer leakcheck.Check(t)
	rec := &seen{}
	srv, lis, served := startServer(t, recordingServer(rec), grpc.Creds(serverTLS(t)))
	defer func() { srv.Stop(); <-served }()
	addr := lis.Addr().String()
	roots := certPool(t, "server_ca")

	for _, tc := range []struct {
		name          string
		dopts         []grpc.DialOption
		copts         []grpc.CallOption
		wantAuthority string
		wantErr       string
	}{
		{
			name:          "serverNameOverride",
			dopts:         []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(roots, "x.test.example.com"))},
			wantAuthority: "x.test.example.com",
		},
		{
			name: "WithAuthority",
			dopts: []grpc.DialOption{
				grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(roots, "")),
				grpc.WithAuthority("y.test.example.com:8443"),
			},
			wantAuthority: "y.test.example.com:8443",
		},
		{
			name:          "CallAuthority accepted by the certificate",
			dopts:         []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(roots, ""))},
			copts:         []grpc.CallOption{grpc.CallAuthority("z.test.example.com:1")},
			wantAuthority: "z.test.example.com:1",
		},
		{
			name:    "CallAuthority rejected by the certificate",
			dopts:   []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(roots, ""))},
			copts:   []grpc.CallOption{grpc.CallAuthority("evil.example.org")},
			wantErr: `failed to validate authority "evil.example.org" : x509: certificate is valid for localhost, *.test.example.com, not evil.example.org`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, err := grpc.NewClient(addr, tc.dopts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			ctx, cancel := testCtx(t)
			defer cancel()
			_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{}, tc.copts...)
			if tc.wantErr != "" {
				if st := wantCode(t, err, codes.Unavailable); st.Message() != tc.wantErr {
					t.Errorf("message %q, want %q", st.Message(), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unary: %v", err)
			}
			if _, authority, _ := rec.get(); authority != tc.wantAuthority {
				t.Errorf(":authority = %q, want %q", authority, tc.wantAuthority)
			}
		})
	}
}

// rawTLSServer accepts TLS connections that select no ALPN protocol, as a
// TLS server that knows nothing of HTTP/2 would, and holds each until the
// peer hangs up.
func rawTLSServer(t *testing.T) (addr string, stop func()) {
	t.Helper()
	lis, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{keyPair(t, "server")}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	return lis.Addr().String(), func() {
		lis.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

func TestTLSALPNEnforced(t *testing.T) {
	defer leakcheck.Check(t)

	// Client side: a server that does not select h2 is refused.
	addr, stop := rawTLSServer(t)
	defer stop()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "server_ca"), "")))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{})
	st := wantCode(t, err, codes.Unavailable)
	const want = `connection error: desc = "transport: authentication handshake failed: credentials: cannot check peer: missing selected ALPN property. If you upgraded from a grpc-go version earlier than 1.67, your TLS connections may have stopped working due to ALPN enforcement. For more details, see: https://github.com/grpc/grpc-go/issues/434"`
	if st.Message() != want {
		t.Errorf("message:\n got %s\nwant %s", st.Message(), want)
	}

	// Server side: a TLS client that offers no ALPN protocol is hung up on
	// right after the handshake.
	srv, lis, served := startServer(t, nil, grpc.Creds(serverTLS(t)))
	defer func() { srv.Stop(); <-served }()
	conn, err := tls.Dial("tcp", lis.Addr().String(), &tls.Config{RootCAs: certPool(t, "server_ca"), ServerName: "localhost"})
	if err != nil {
		t.Fatalf("TLS handshake without ALPN: %v", err)
	}
	defer conn.Close()
	waitClosed(t, conn)
}

// waitClosed reads from c until the peer closes it; a generous read deadline
// turns a server that never hangs up into a test failure.
func waitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(testTimeout))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server never closed the connection")
	}
}

func TestTLSHandshakeCutByConnectionTimeout(t *testing.T) {
	defer leakcheck.Check(t)
	srv, lis, served := startServer(t, nil, grpc.Creds(serverTLS(t)), grpc.ConnectionTimeout(100*time.Millisecond))
	defer func() { srv.Stop(); <-served }()

	// Sends nothing at all.
	silent, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// Starts the TLS handshake and stops after the ClientHello.
	partial, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer partial.Close()
	if _, err := partial.Write([]byte{0x16, 0x03, 0x01, 0x00, 0x40}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, silent)
	waitClosed(t, partial)

	// A client that completes TLS but never sends the HTTP/2 preface is cut
	// too.
	quiet, err := tls.Dial("tcp", lis.Addr().String(), &tls.Config{RootCAs: certPool(t, "server_ca"), ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	waitClosed(t, quiet)

	// The server still serves well-behaved clients.
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "server_ca"), "")))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary after the cut connections: %v", err)
	}
}

// secureTokenCreds are per-RPC credentials that demand a secure transport and
// record the AuthInfo and audience they were asked for.
type secureTokenCreds struct {
	mu       sync.Mutex
	authInfo credentials.AuthInfo
	uri      []string
}

func (c *secureTokenCreds) GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error) {
	ri, _ := credentials.RequestInfoFromContext(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.authInfo, c.uri = ri.AuthInfo, uri
	return map[string]string{"authorization": "Bearer secret"}, nil
}

func (c *secureTokenCreds) RequireTransportSecurity() bool { return true }

func TestTLSPerRPCCredentials(t *testing.T) {
	defer leakcheck.Check(t)
	rec := &seen{}
	dialCreds := &secureTokenCreds{}
	e := tlsEnv(t, recordingServer(rec), []grpc.ServerOption{grpc.Creds(serverTLS(t))},
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "server_ca"), "x.test.example.com")),
		grpc.WithPerRPCCredentials(dialCreds))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary with secure per-RPC credentials over TLS: %v", err)
	}
	if _, _, token := rec.get(); token != "Bearer secret" {
		t.Errorf("server saw authorization %q", token)
	}
	dialCreds.mu.Lock()
	tlsInfo(t, "RequestInfo", dialCreds.authInfo)
	if want := "https://x.test.example.com/grpc.e2e.TestService"; len(dialCreds.uri) != 1 || dialCreds.uri[0] != want {
		t.Errorf("audience %q, want %q", dialCreds.uri, want)
	}
	dialCreds.mu.Unlock()

	// As a call option too.
	if _, err := e.client.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(&secureTokenCreds{})); err != nil {
		t.Fatalf("Unary with secure call credentials over TLS: %v", err)
	}
	if _, _, token := rec.get(); token != "Bearer secret,Bearer secret" {
		t.Errorf("server saw authorization %q, want both tokens", token)
	}
}

func TestInsecurePerRPCCredentialsRefused(t *testing.T) {
	defer leakcheck.Check(t)
	// As a dial option the channel is refused outright.
	_, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(&secureTokenCreds{}))
	if want := "grpc: the credentials require transport level security (use grpc.WithTransportCredentials() to set)"; err == nil || err.Error() != want {
		t.Errorf("NewClient error = %v, want %q", err, want)
	}

	// As a call option the RPC fails before anything is sent.
	rec := &seen{}
	e := newEnv(t, recordingServer(rec), nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	_, err = e.client.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(&secureTokenCreds{}))
	st := wantCode(t, err, codes.Unauthenticated)
	if want := "transport: cannot send secure credentials on an insecure connection"; st.Message() != want {
		t.Errorf("message %q, want %q", st.Message(), want)
	}
	if p, _, _ := rec.get(); p != nil {
		t.Error("the RPC reached the server")
	}
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Errorf("plain RPC on the same channel: %v", err)
	}
}

// TestTLSSchemeIsHTTPS checks the request headers on the wire: over TLS the
// client sends :scheme "https" (grpc-go does; some proxies route on it).
func TestTLSSchemeIsHTTPS(t *testing.T) {
	defer leakcheck.Check(t)
	lis, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{keyPair(t, "server")},
		NextProtos:   []string{"h2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	scheme := make(chan string, 1)
	go func() {
		conn, err := lis.Accept()
		// One connection only: a reconnect must be refused at once, not hang
		// in the backlog.
		lis.Close()
		if err != nil {
			scheme <- "accept: " + err.Error()
			return
		}
		defer conn.Close()
		if _, err := io.ReadFull(conn, make([]byte, len(http2.ClientPreface))); err != nil {
			scheme <- "preface: " + err.Error()
			return
		}
		fr := http2.NewFramer(conn, conn)
		fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		fr.WriteSettings()
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				scheme <- "read: " + err.Error()
				return
			}
			if h, ok := f.(*http2.MetaHeadersFrame); ok {
				scheme <- h.PseudoValue("scheme")
				fr.WriteRSTStream(h.StreamID, http2.ErrCodeInternal)
				return
			}
		}
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(certPool(t, "server_ca"), "")))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	// The reply does not matter; the server hangs up after the headers.
	testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{})
	if got := <-scheme; got != "https" {
		t.Errorf(":scheme = %q, want https", got)
	}
}
