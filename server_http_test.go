package grpc_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// httpTestService implements testpb.TestService for the ServeHTTP tests.
// Unary echoes the "echo" request metadata as header and trailer metadata.
type httpTestService struct {
	testpb.UnimplementedTestServiceServer
	started chan struct{}   // if set, receives once per wait_for_cancel RPC
	peers   chan *peer.Peer // if set, receives the peer of each unary RPC
}

func (s *httpTestService) Unary(ctx context.Context, in *testpb.Request) (*testpb.Response, error) {
	if s.peers != nil {
		p, _ := peer.FromContext(ctx)
		s.peers <- p
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("echo"); len(v) > 0 {
		grpc.SetHeader(ctx, metadata.Pairs("echo-header", v[0], "echo-bin", v[0]))
		grpc.SetTrailer(ctx, metadata.Pairs("echo-trailer", v[0]))
	}
	if in.GetWaitForCancel() {
		if _, ok := ctx.Deadline(); !ok && s.started == nil {
			return nil, status.Error(codes.FailedPrecondition, "no deadline on the server")
		}
		if s.started != nil {
			s.started <- struct{}{}
		}
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if rs := in.GetResponseStatus(); rs != nil {
		st, err := status.New(codes.Code(rs.Code), rs.Message).WithDetails(wrapperspb.String("detail"))
		if err != nil {
			return nil, err
		}
		return nil, st.Err()
	}
	return &testpb.Response{Payload: in.GetPayload()}, nil
}

func (s *httpTestService) StreamingOutput(in *testpb.Request, stream testpb.TestService_StreamingOutputServer) error {
	for i := 0; i < int(in.GetResponseCount()); i++ {
		body := bytes.Repeat([]byte{byte(i)}, int(in.GetResponseSize()))
		if err := stream.Send(&testpb.Response{Payload: &testpb.Payload{Body: body}}); err != nil {
			return err
		}
	}
	return nil
}

func (s *httpTestService) StreamingInput(stream testpb.TestService_StreamingInputServer) error {
	var n int32
	var size int64
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.Response{ReceivedCount: n, ReceivedBytes: size})
		}
		if err != nil {
			return err
		}
		n++
		size += int64(len(in.GetPayload().GetBody()))
	}
}

func (s *httpTestService) FullDuplex(stream testpb.TestService_FullDuplexServer) error {
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&testpb.Response{Payload: in.GetPayload()}); err != nil {
			return err
		}
	}
}

// httpEnv is a grpc.Server served by net/http over h2c, and a client of it.
type httpEnv struct {
	gs     *grpc.Server
	hs     *http.Server
	addr   string
	cc     *grpc.ClientConn
	client testpb.TestServiceClient
}

// startHTTPEnv serves svc through ServeHTTP on a cleartext HTTP/2 (and
// HTTP/1.1) server and connects our client to it. The caller defers stop
// (not t.Cleanup, which would run after leakcheck).
func startHTTPEnv(t *testing.T, svc *httpTestService, opts ...grpc.ServerOption) *httpEnv {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(gs, svc)
	// net/http's own h2c support: unlike the x/net h2c wrapper, it keeps
	// track of the connections, so Close ends them all.
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: gs, Protocols: &protos}
	go hs.Serve(lis)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	e := &httpEnv{gs: gs, hs: hs, addr: lis.Addr().String(), cc: cc, client: testpb.NewTestServiceClient(cc)}
	return e
}

func (e *httpEnv) stop() {
	e.cc.Close()
	e.hs.Close()
	e.gs.Stop()
}

func httpTestCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code codes.Code) *status.Status {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("got status %v %q, want code %v", st.Code(), st.Message(), code)
	}
	return st
}

func payload(n int) *testpb.Payload { return &testpb.Payload{Body: bytes.Repeat([]byte("x"), n)} }

func TestServeHTTPRPCKinds(t *testing.T) {
	defer leakcheck.Check(t)
	var intercepted atomic.Int32
	e := startHTTPEnv(t, &httpTestService{},
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			intercepted.Add(1)
			return h(ctx, req)
		}))
	defer e.stop()
	ctx := httpTestCtx(t)

	// Unary, with a message bigger than net/http's read and write buffers.
	res, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(200 << 10)})
	if err != nil || len(res.GetPayload().GetBody()) != 200<<10 {
		t.Fatalf("Unary: %v, %d bytes", err, len(res.GetPayload().GetBody()))
	}
	// Compressed both ways: the server answers in the client's encoding.
	res, err = e.client.Unary(ctx, &testpb.Request{Payload: payload(10000)}, grpc.UseCompressor("gzip"))
	if err != nil || len(res.GetPayload().GetBody()) != 10000 {
		t.Fatalf("Unary with gzip: %v", err)
	}
	if intercepted.Load() != 2 {
		t.Fatalf("unary interceptor ran %d times, want 2", intercepted.Load())
	}

	// Server streaming.
	so, err := e.client.StreamingOutput(ctx, &testpb.Request{ResponseCount: 5, ResponseSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		r, err := so.Recv()
		if err != nil || len(r.GetPayload().GetBody()) != 1000 || r.GetPayload().GetBody()[0] != byte(i) {
			t.Fatalf("StreamingOutput message %d: %v", i, err)
		}
	}
	if _, err := so.Recv(); err != io.EOF {
		t.Fatalf("StreamingOutput end: %v, want io.EOF", err)
	}

	// Client streaming.
	si, err := e.client.StreamingInput(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if err := si.Send(&testpb.Request{Payload: payload(30000)}); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := si.CloseAndRecv()
	if err != nil || sum.GetReceivedCount() != 4 || sum.GetReceivedBytes() != 120000 {
		t.Fatalf("StreamingInput: %v, %v", sum, err)
	}

	// Bidi, ping-pong: each reply must arrive before the next request.
	fd, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := fd.Send(&testpb.Request{Payload: payload(i)}); err != nil {
			t.Fatal(err)
		}
		r, err := fd.Recv()
		if err != nil || len(r.GetPayload().GetBody()) != i {
			t.Fatalf("FullDuplex reply %d: %v", i, err)
		}
	}
	fd.CloseSend()
	if _, err := fd.Recv(); err != io.EOF {
		t.Fatalf("FullDuplex end: %v, want io.EOF", err)
	}
}

func TestServeHTTPMetadata(t *testing.T) {
	defer leakcheck.Check(t)
	e := startHTTPEnv(t, &httpTestService{})
	defer e.stop()
	// The handler echoes "echo" as plain and -bin header metadata and as
	// trailer metadata.
	var hdr, trl metadata.MD
	_, err := e.client.Unary(metadata.AppendToOutgoingContext(httpTestCtx(t), "echo", "hello"),
		&testpb.Request{}, grpc.Header(&hdr), grpc.Trailer(&trl))
	if err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get("echo-header"); len(got) != 1 || got[0] != "hello" {
		t.Errorf("header echo-header = %q, want [hello] (header %v)", got, hdr)
	}
	if got := hdr.Get("echo-bin"); len(got) != 1 || got[0] != "hello" {
		t.Errorf("header echo-bin = %q, want [hello]", got)
	}
	if got := hdr.Get("date"); len(got) != 0 {
		t.Errorf("header has date %q", got)
	}
	if got := trl.Get("echo-trailer"); len(got) != 1 || got[0] != "hello" {
		t.Errorf("trailer echo-trailer = %q, want [hello] (trailer %v)", got, trl)
	}

	// Binary request metadata reaches the handler decoded.
	got := make(chan string, 1)
	e2 := startHTTPEnv(t, &httpTestService{}, grpc.UnaryInterceptor(
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			got <- strings.Join(md.Get("raw-bin"), ",")
			return h(ctx, req)
		}))
	defer e2.stop()
	bctx := metadata.AppendToOutgoingContext(httpTestCtx(t), "raw-bin", "\x00\x01\xff")
	if _, err := e2.client.Unary(bctx, &testpb.Request{}); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "\x00\x01\xff" {
		t.Errorf("server saw raw-bin %q", v)
	}
}

func TestServeHTTPErrorStatus(t *testing.T) {
	defer leakcheck.Check(t)
	e := startHTTPEnv(t, &httpTestService{})
	defer e.stop()
	ctx := httpTestCtx(t)
	var hdr, trl metadata.MD
	// The message needs percent-encoding on the wire.
	msg := "bad request: 100% \"wrong\"\nnon-ASCII: é"
	_, err := e.client.Unary(metadata.AppendToOutgoingContext(ctx, "echo", "e"), &testpb.Request{
		ResponseStatus: &testpb.EchoStatus{Code: int32(codes.InvalidArgument), Message: msg},
	}, grpc.Header(&hdr), grpc.Trailer(&trl))
	st := wantCode(t, err, codes.InvalidArgument)
	if st.Message() != msg {
		t.Errorf("message %q, want %q", st.Message(), msg)
	}
	if d := st.Details(); len(d) != 1 || !proto.Equal(d[0].(proto.Message), wrapperspb.String("detail")) {
		t.Errorf("details %v", d)
	}
	// A trailers-only response carries both metadata sets in one block.
	if len(hdr.Get("echo-header")) != 1 && len(trl.Get("echo-header")) != 1 {
		t.Errorf("header metadata lost: header %v trailer %v", hdr, trl)
	}
	if got := trl.Get("echo-trailer"); len(got) != 1 {
		t.Errorf("trailer %v lacks echo-trailer", trl)
	}
}

func TestServeHTTPDeadline(t *testing.T) {
	defer leakcheck.Check(t)
	e := startHTTPEnv(t, &httpTestService{})
	defer e.stop()
	ctx, cancel := context.WithTimeout(httpTestCtx(t), 100*time.Millisecond)
	defer cancel()
	// The handler fails with FailedPrecondition unless grpc-timeout gave
	// its context a deadline, then waits for it.
	_, err := e.client.Unary(ctx, &testpb.Request{WaitForCancel: true})
	wantCode(t, err, codes.DeadlineExceeded)
}

func TestServeHTTPUnknownMethod(t *testing.T) {
	defer leakcheck.Check(t)
	e := startHTTPEnv(t, &httpTestService{})
	defer e.stop()
	err := e.cc.Invoke(httpTestCtx(t), "/grpc.e2e.TestService/Nope", &testpb.Request{}, &testpb.Response{})
	wantCode(t, err, codes.Unimplemented)
	err = e.cc.Invoke(httpTestCtx(t), "/no.Such/Service", &testpb.Request{}, &testpb.Response{})
	wantCode(t, err, codes.Unimplemented)
}

func TestServeHTTPMessageTooLarge(t *testing.T) {
	defer leakcheck.Check(t)
	e := startHTTPEnv(t, &httpTestService{}, grpc.MaxRecvMsgSize(1024), grpc.MaxSendMsgSize(2048))
	defer e.stop()
	ctx := httpTestCtx(t)
	_, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(4096)})
	wantCode(t, err, codes.ResourceExhausted)
	// The reply exceeds the send limit.
	so, err := e.client.StreamingOutput(ctx, &testpb.Request{ResponseCount: 1, ResponseSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	_, err = so.Recv()
	wantCode(t, err, codes.ResourceExhausted)
	// The server still works.
	if _, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(10)}); err != nil {
		t.Fatal(err)
	}
}

func TestServeHTTPRejectsNonGRPC(t *testing.T) {
	defer leakcheck.Check(t)
	e := startHTTPEnv(t, &httpTestService{})
	defer e.stop()
	hc := &http.Client{Transport: &http.Transport{}} // HTTP/1.1 only
	defer hc.CloseIdleConnections()
	for _, tc := range []struct {
		method, ctype string
		code          int
		body          string
	}{
		{"POST", "application/grpc", http.StatusHTTPVersionNotSupported, "gRPC requires HTTP/2"},
		{"GET", "application/grpc", http.StatusMethodNotAllowed, `invalid gRPC request method "GET"`},
		{"POST", "text/plain", http.StatusUnsupportedMediaType, `invalid gRPC request content-type "text/plain"`},
	} {
		req, err := http.NewRequest(tc.method, "http://"+e.addr+"/grpc.e2e.TestService/Unary", strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", tc.ctype)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || strings.TrimSpace(string(body)) != tc.body {
			t.Errorf("%s %s: got %d %q, want %d %q", tc.method, tc.ctype, resp.StatusCode, body, tc.code, tc.body)
		}
	}
}

func TestServeHTTPStop(t *testing.T) {
	defer leakcheck.Check(t)
	svc := &httpTestService{started: make(chan struct{}, 1)}
	e := startHTTPEnv(t, svc)
	defer e.stop()
	ctx := httpTestCtx(t)
	errc := make(chan error, 1)
	go func() {
		_, err := e.client.Unary(ctx, &testpb.Request{WaitForCancel: true})
		errc <- err
	}()
	<-svc.started
	e.gs.GracefulStop() // cancels the RPC and waits for its handler
	if err := <-errc; err == nil {
		t.Fatal("RPC in progress at GracefulStop succeeded")
	}
	// The HTTP server still runs; the gRPC server turns the request down.
	_, err := e.client.Unary(ctx, &testpb.Request{})
	if st := wantCode(t, err, codes.Unavailable); st.Message() != "grpc: the server has been stopped" {
		t.Errorf("message %q", st.Message())
	}
}

// connStats counts the connections a stats handler saw.
type connStats struct {
	begins, ends, rpcEnds atomic.Int32
}

func (*connStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (*connStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (c *connStats) HandleRPC(_ context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.End); ok {
		c.rpcEnds.Add(1)
	}
}
func (c *connStats) HandleConn(_ context.Context, s stats.ConnStats) {
	switch s.(type) {
	case *stats.ConnBegin:
		c.begins.Add(1)
	case *stats.ConnEnd:
		c.ends.Add(1)
	}
}

func TestServeHTTPStatsHandler(t *testing.T) {
	defer leakcheck.Check(t)
	cs := &connStats{}
	e := startHTTPEnv(t, &httpTestService{}, grpc.StatsHandler(cs))
	defer e.stop()
	ctx := httpTestCtx(t)
	for i := 0; i < 2; i++ {
		if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
			t.Fatal(err)
		}
	}
	// The client may see the status before ServeHTTP reports End and
	// ConnEnd; GracefulStop waits for ServeHTTP's handlers to finish.
	e.hs.Close()
	e.gs.GracefulStop()
	if b, en, r := cs.begins.Load(), cs.ends.Load(), cs.rpcEnds.Load(); b != 2 || en != 2 || r != 2 {
		t.Errorf("ConnBegin %d, ConnEnd %d, End %d; want 2 of each", b, en, r)
	}
}

func TestServeHTTPTLS(t *testing.T) {
	defer leakcheck.Check(t)
	svc := &httpTestService{peers: make(chan *peer.Peer, 1)}
	gs := grpc.NewServer()
	testpb.RegisterTestServiceServer(gs, svc)
	hs := httptest.NewUnstartedServer(gs)
	hs.EnableHTTP2 = true
	hs.StartTLS()
	defer hs.Close()
	defer gs.Stop()
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "example.com"})
	cc, err := grpc.NewClient(strings.TrimPrefix(hs.URL, "https://"), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := testpb.NewTestServiceClient(cc).Unary(httpTestCtx(t), &testpb.Request{}); err != nil {
		t.Fatal(err)
	}
	p := <-svc.peers
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || !ti.State.HandshakeComplete || ti.SecurityLevel != credentials.PrivacyAndIntegrity {
		t.Errorf("peer AuthInfo = %#v, want a completed TLSInfo", p.AuthInfo)
	}
	if p.Addr == nil || p.Addr.Network() != "tcp" || p.LocalAddr == nil {
		t.Errorf("peer addresses %v / %v", p.Addr, p.LocalAddr)
	}
}
