package grpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const srvTestTimeout = 10 * time.Second

func srvTestCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), srvTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

func wantSrvCode(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code || (msg != "" && st.Message() != msg) {
		t.Fatalf("got status %v %q, want %v %q", st.Code(), st.Message(), code, msg)
	}
}

func TestServerUnaryAndStreaming(t *testing.T) {
	defer leakcheck.Check(t)
	ts := startEchoServer(t, &echoServer{})
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"hi"}, callOpts{})
	if res.err != nil || !reflect.DeepEqual(res.replies, []string{"hi"}) {
		t.Fatalf("unary: %+v", res)
	}
	msgs := []string{"a", "b", "c"}
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Bidi", msgs, callOpts{})
	if res.err != nil || !reflect.DeepEqual(res.replies, msgs) {
		t.Fatalf("bidi: %+v", res)
	}
}

func TestServerRouting(t *testing.T) {
	defer leakcheck.Check(t)
	ts := startEchoServer(t, &echoServer{})
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	for _, tc := range []struct{ method, msg string }{
		{"/grpc.test.Nope/Echo", "unknown service grpc.test.Nope"},
		{"/grpc.test.Echo/Nope", "unknown method Nope for service grpc.test.Echo"},
		{"/grpc.test.Echo/", "unknown method  for service grpc.test.Echo"},
		{"noslash", `malformed method name: "noslash"`},
		{"/noslash", `malformed method name: "/noslash"`},
	} {
		res := rawInvoke(ctx, ct, tc.method, []string{"x"}, callOpts{})
		wantSrvCode(t, res.err, codes.Unimplemented, tc.msg)
	}
}

func TestServerHandlerErrors(t *testing.T) {
	defer leakcheck.Check(t)
	detailed, _ := status.New(codes.NotFound, "no such thing").WithDetails(wrapperspb.String("detail"))
	impl := &echoServer{echo: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		switch in.GetValue() {
		case "plain":
			return nil, errors.New("boom")
		case "status":
			return nil, detailed.Err()
		case "wrapped":
			return nil, fmt.Errorf("wrapped: %w", status.Error(codes.Aborted, "inner"))
		case "deadline":
			return nil, context.DeadlineExceeded
		}
		return nil, nil // an empty reply
	}}
	ts := startEchoServer(t, impl)
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"plain"}, callOpts{})
	wantSrvCode(t, res.err, codes.Unknown, "boom")
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"status"}, callOpts{})
	wantSrvCode(t, res.err, codes.NotFound, "no such thing")
	if d := status.Convert(res.err).Details(); len(d) != 1 || d[0].(*wrapperspb.StringValue).GetValue() != "detail" {
		t.Fatalf("details = %v", d)
	}
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"wrapped"}, callOpts{})
	wantSrvCode(t, res.err, codes.Aborted, "")
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"deadline"}, callOpts{})
	wantSrvCode(t, res.err, codes.DeadlineExceeded, "")
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"nil"}, callOpts{})
	if res.err != nil || !reflect.DeepEqual(res.replies, []string{""}) {
		t.Fatalf("nil reply: %+v", res)
	}
}

func TestServerUnaryCardinality(t *testing.T) {
	defer leakcheck.Check(t)
	ts := startEchoServer(t, &echoServer{})
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", nil, callOpts{})
	wantSrvCode(t, res.err, codes.Internal, "cardinality violation: received no request message from non-client-streaming RPC")
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"a", "b"}, callOpts{})
	wantSrvCode(t, res.err, codes.Internal, "cardinality violation: received multiple request messages for non-client-streaming RPC")
}

func TestServerMessageSizeLimits(t *testing.T) {
	defer leakcheck.Check(t)
	ts := startEchoServer(t, &echoServer{}, MaxRecvMsgSize(50), MaxSendMsgSize(30))
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	// 60 chars marshal to 62 bytes.
	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{strings.Repeat("r", 60)}, callOpts{})
	wantSrvCode(t, res.err, codes.ResourceExhausted, "grpc: received message larger than max (62 vs. 50)")
	// 40 chars fit the receive limit but the 42-byte echo exceeds the send limit.
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{strings.Repeat("s", 40)}, callOpts{})
	wantSrvCode(t, res.err, codes.ResourceExhausted, "trying to send message larger than max (42 vs. 30)")
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"small"}, callOpts{})
	if res.err != nil {
		t.Fatalf("small message: %v", res.err)
	}
}

func TestServerInterceptorOrder(t *testing.T) {
	defer leakcheck.Check(t)
	var mu sync.Mutex
	var order []string
	record := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	unary := func(name string) UnaryServerInterceptor {
		return func(ctx context.Context, req any, info *UnaryServerInfo, h UnaryHandler) (any, error) {
			if info.FullMethod != "/grpc.test.Echo/Echo" {
				t.Errorf("FullMethod = %q", info.FullMethod)
			}
			record(name)
			resp, err := h(ctx, req)
			record(name + " done")
			return resp, err
		}
	}
	stream := func(name string) StreamServerInterceptor {
		return func(srv any, ss ServerStream, info *StreamServerInfo, h StreamHandler) error {
			if info.FullMethod != "/grpc.test.Echo/Bidi" || !info.IsClientStream || !info.IsServerStream {
				t.Errorf("info = %+v", info)
			}
			record(name)
			err := h(srv, ss)
			record(name + " done")
			return err
		}
	}
	impl := &echoServer{echo: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		record("handler")
		return in, nil
	}}
	ts := startEchoServer(t, impl,
		ChainUnaryInterceptor(unary("c1"), unary("c2")),
		UnaryInterceptor(unary("u")),
		ChainUnaryInterceptor(unary("c3")),
		ChainStreamInterceptor(stream("s1")),
		StreamInterceptor(stream("s")),
		ChainStreamInterceptor(stream("s2")),
	)
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	if res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"x"}, callOpts{}); res.err != nil {
		t.Fatal(res.err)
	}
	want := []string{"u", "c1", "c2", "c3", "handler", "c3 done", "c2 done", "c1 done", "u done"}
	mu.Lock()
	got := order
	order = nil
	mu.Unlock()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unary order = %v, want %v", got, want)
	}

	if res := rawInvoke(ctx, ct, "/grpc.test.Echo/Bidi", []string{"x"}, callOpts{}); res.err != nil {
		t.Fatal(res.err)
	}
	want = []string{"s", "s1", "s2", "s2 done", "s1 done", "s done"}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("stream order = %v, want %v", order, want)
	}
}

func TestSettingAnInterceptorTwicePanics(t *testing.T) {
	u := func(ctx context.Context, req any, _ *UnaryServerInfo, h UnaryHandler) (any, error) {
		return h(ctx, req)
	}
	st := func(srv any, ss ServerStream, _ *StreamServerInfo, h StreamHandler) error { return h(srv, ss) }
	for name, opts := range map[string][]ServerOption{
		"unary":  {UnaryInterceptor(u), UnaryInterceptor(u)},
		"stream": {StreamInterceptor(st), StreamInterceptor(st)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: setting the interceptor twice did not panic", name)
				}
			}()
			NewServer(opts...)
		}()
	}
}

func TestUnknownServiceHandler(t *testing.T) {
	defer leakcheck.Check(t)
	handler := func(srv any, stream ServerStream) error {
		m, ok := MethodFromServerStream(stream)
		if !ok {
			return status.Error(codes.Internal, "no method")
		}
		var in wrapperspb.StringValue
		if err := stream.RecvMsg(&in); err != nil {
			return err
		}
		return stream.SendMsg(wrapperspb.String(m + ":" + in.GetValue()))
	}
	ts := startEchoServer(t, &echoServer{}, UnknownServiceHandler(handler))
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	for _, m := range []string{"/other.Svc/Do", "/grpc.test.Echo/Missing"} {
		res := rawInvoke(ctx, ct, m, []string{"in"}, callOpts{})
		if res.err != nil || !reflect.DeepEqual(res.replies, []string{m + ":in"}) {
			t.Fatalf("%s: %+v", m, res)
		}
	}
	// Registered methods still go to their handlers.
	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"in"}, callOpts{})
	if res.err != nil || !reflect.DeepEqual(res.replies, []string{"in"}) {
		t.Fatalf("registered: %+v", res)
	}
}

func TestServerMetadataAndContext(t *testing.T) {
	defer leakcheck.Check(t)
	impl := &echoServer{echo: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if got := md.Get("k"); len(got) != 1 || got[0] != "v" {
			return nil, status.Errorf(codes.InvalidArgument, "incoming md %v", md)
		}
		if _, ok := ctx.Deadline(); !ok {
			return nil, status.Error(codes.InvalidArgument, "no deadline")
		}
		if m, ok := Method(ctx); !ok || m != "/grpc.test.Echo/Echo" {
			return nil, status.Errorf(codes.InvalidArgument, "Method = %q", m)
		}
		if err := SetHeader(ctx, metadata.Pairs("h1", "a")); err != nil {
			return nil, err
		}
		if err := SetHeader(ctx, metadata.Pairs("h2", "b")); err != nil {
			return nil, err
		}
		if err := SetTrailer(ctx, metadata.Pairs("t1", "c")); err != nil {
			return nil, err
		}
		if err := SendHeader(ctx, nil); err != nil {
			return nil, err
		}
		if err := SetHeader(ctx, metadata.Pairs("late", "x")); err == nil {
			return nil, status.Error(codes.InvalidArgument, "SetHeader after SendHeader succeeded")
		}
		return in, nil
	}}
	ts := startEchoServer(t, impl)
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"x"}, callOpts{md: metadata.Pairs("k", "v")})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.header.Get("h1")[0] != "a" || res.header.Get("h2")[0] != "b" || len(res.trailer.Get("t1")) != 1 {
		t.Fatalf("header %v trailer %v", res.header, res.trailer)
	}
}

func TestServerContextHelpersWithoutStream(t *testing.T) {
	ctx := context.Background()
	for _, err := range []error{SetHeader(ctx, metadata.Pairs("a", "b")), SendHeader(ctx, nil), SetTrailer(ctx, metadata.Pairs("a", "b"))} {
		if status.Code(err) != codes.Internal {
			t.Errorf("got %v, want Internal", err)
		}
	}
	if SetHeader(ctx, nil) != nil || SetTrailer(ctx, nil) != nil {
		t.Error("empty metadata should be a no-op")
	}
	if _, ok := Method(ctx); ok {
		t.Error("Method found a stream in a plain context")
	}
	if err := SetSendCompressor(ctx, "gzip"); err == nil {
		t.Error("SetSendCompressor without stream succeeded")
	}
	if _, err := ClientSupportedCompressors(ctx); err == nil {
		t.Error("ClientSupportedCompressors without stream succeeded")
	}
}

func TestServerCompression(t *testing.T) {
	defer leakcheck.Check(t)
	impl := &echoServer{echo: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		names, err := ClientSupportedCompressors(ctx)
		if err != nil {
			return nil, err
		}
		switch in.GetValue() {
		case "unsupported":
			if err := SetSendCompressor(ctx, "snappy"); err == nil {
				return nil, status.Error(codes.InvalidArgument, "unregistered compressor accepted")
			}
			if err := SetSendCompressor(ctx, "gzip"); err == nil {
				return nil, status.Errorf(codes.InvalidArgument, "gzip accepted though client offered %v", names)
			}
		case "identity":
			if err := SetSendCompressor(ctx, "identity"); err != nil {
				return nil, err
			}
		case "gzip":
			if err := SetSendCompressor(ctx, "gzip"); err != nil {
				return nil, err
			}
		case "late":
			if err := SendHeader(ctx, nil); err != nil {
				return nil, err
			}
			if err := SetSendCompressor(ctx, "gzip"); err == nil {
				return nil, status.Error(codes.InvalidArgument, "SetSendCompressor after SendHeader succeeded")
			}
		}
		return in, nil
	}}
	ts := startEchoServer(t, impl)
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	// A gzip request gets a gzip response by default.
	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"plain"}, callOpts{compress: "gzip", accept: "gzip"})
	if res.err != nil || res.encoding != "gzip" || res.replies[0] != "plain" {
		t.Fatalf("gzip request: %+v", res)
	}
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"identity"}, callOpts{compress: "gzip", accept: "gzip"})
	if res.err != nil || res.replies[0] != "identity" {
		t.Fatalf("identity: %+v", res)
	}
	// Uncompressed request, client accepts gzip: the handler may opt in.
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"gzip"}, callOpts{accept: "deflate, gzip"})
	if res.err != nil || res.encoding != "gzip" || res.replies[0] != "gzip" {
		t.Fatalf("SetSendCompressor(gzip): %+v", res)
	}
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"late"}, callOpts{accept: "gzip"})
	if res.err != nil || res.encoding != "" {
		t.Fatalf("late: %+v", res)
	}
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"unsupported"}, callOpts{accept: "deflate"})
	if res.err != nil {
		t.Fatalf("unsupported: %v", res.err)
	}
	// A request compressed with an unknown algorithm is refused up front.
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"x"}, callOpts{compress: "snappy"})
	wantSrvCode(t, res.err, codes.Unimplemented, `grpc: Decompressor is not installed for grpc-encoding "snappy"`)
}

// blockingServer signals when its Echo handler starts and returns when
// released or when its context ends, reporting the context error.
type blockingServer struct {
	started chan struct{}
	release chan struct{}
	ctxErr  chan error
}

func newBlockingServer() (*blockingServer, *echoServer) {
	b := &blockingServer{started: make(chan struct{}, 1), release: make(chan struct{}), ctxErr: make(chan error, 1)}
	return b, &echoServer{echo: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		b.started <- struct{}{}
		select {
		case <-b.release:
			return in, nil
		case <-ctx.Done():
			b.ctxErr <- ctx.Err()
			return nil, ctx.Err()
		}
	}}
}

func TestGracefulStopFinishesInFlightRPC(t *testing.T) {
	defer leakcheck.Check(t)
	b, impl := newBlockingServer()
	ts := startEchoServer(t, impl)
	goAway := make(chan struct{})
	var once sync.Once
	ct := dialRawTransport(t, ts.addr, func() { once.Do(func() { close(goAway) }) })
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	result := make(chan rpcResult, 1)
	go func() { result <- rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"slow"}, callOpts{}) }()
	<-b.started

	stopped := make(chan struct{})
	go func() {
		ts.GracefulStop()
		close(stopped)
	}()
	select {
	case <-goAway:
	case <-ctx.Done():
		t.Fatal("no GOAWAY after GracefulStop")
	}
	// The listener is closed before connections are drained.
	if c, err := net.Dial("tcp", ts.addr); err == nil {
		c.Close()
		t.Fatal("new connection accepted during GracefulStop")
	}
	select {
	case <-stopped:
		t.Fatal("GracefulStop returned with an RPC in flight")
	default:
	}
	close(b.release)
	if res := <-result; res.err != nil || res.replies[0] != "slow" {
		t.Fatalf("in-flight RPC: %+v (err %v)", res, res.err)
	}
	<-stopped
	if err := <-ts.serveErr; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	ts.Stop() // a later Stop is harmless
}

func TestStopCancelsHandlers(t *testing.T) {
	defer leakcheck.Check(t)
	b, impl := newBlockingServer()
	ts := startEchoServer(t, impl, WaitForHandlers(true))
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	result := make(chan rpcResult, 1)
	go func() { result <- rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"x"}, callOpts{}) }()
	<-b.started
	ts.stop(t)
	// With WaitForHandlers the handler has returned once Stop has.
	select {
	case err := <-b.ctxErr:
		if err != context.Canceled {
			t.Fatalf("handler context error = %v", err)
		}
	default:
		t.Fatal("Stop returned before the handler did")
	}
	if res := <-result; status.Code(res.err) != codes.Unavailable {
		t.Fatalf("client got %v, want Unavailable", res.err)
	}
}

func TestServeAfterStop(t *testing.T) {
	defer leakcheck.Check(t)
	s := NewServer()
	s.Stop()
	s.GracefulStop()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(lis); err != ErrServerStopped {
		t.Fatalf("Serve after Stop = %v, want ErrServerStopped", err)
	}
	if _, err := lis.Accept(); err == nil {
		t.Fatal("Serve did not close the listener")
	}
}

func TestConcurrentStops(t *testing.T) {
	defer leakcheck.Check(t)
	_, impl := newBlockingServer()
	ts := startEchoServer(t, impl)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); ts.GracefulStop() }()
		go func() { defer wg.Done(); ts.Stop() }()
	}
	wg.Wait()
	if err := <-ts.serveErr; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
}

// tempAcceptErr is a net.Error whose Temporary method reports true.
type tempAcceptErr struct{}

func (tempAcceptErr) Error() string   { return "temporary" }
func (tempAcceptErr) Timeout() bool   { return false }
func (tempAcceptErr) Temporary() bool { return true }

// flakyListener fails its first Accept calls with a temporary error.
type flakyListener struct {
	net.Listener
	mu       sync.Mutex
	failures int
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.failures > 0 {
		l.failures--
		l.mu.Unlock()
		return nil, tempAcceptErr{}
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

func TestServeRetriesTemporaryAcceptErrors(t *testing.T) {
	defer leakcheck.Check(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer()
	s.RegisterService(&echoDesc, &echoServer{})
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.Serve(&flakyListener{Listener: inner, failures: 3}) }()
	ct := dialRawTransport(t, inner.Addr().String(), nil)
	defer ct.Close(errors.New("test done"))
	if res := rawInvoke(srvTestCtx(t), ct, "/grpc.test.Echo/Echo", []string{"x"}, callOpts{}); res.err != nil {
		t.Fatal(res.err)
	}
	s.Stop()
	if err := <-serveErr; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
}

// failingListener fails Accept with a permanent error.
type failingListener struct{ net.Listener }

func (failingListener) Accept() (net.Conn, error) { return nil, errors.New("accept broke") }

func TestServeReturnsPermanentAcceptError(t *testing.T) {
	defer leakcheck.Check(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer()
	defer s.Stop()
	if err := s.Serve(failingListener{inner}); err == nil || err.Error() != "accept broke" {
		t.Fatalf("Serve = %v", err)
	}
}

func TestConnectionTimeoutClosesSilentConn(t *testing.T) {
	defer leakcheck.Check(t)
	ts := startEchoServer(t, &echoServer{}, ConnectionTimeout(50*time.Millisecond))
	defer ts.stop(t)
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(srvTestTimeout))
	buf := make([]byte, 1024)
	for {
		// The server may send its SETTINGS before giving up on our preface.
		if _, err := c.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("server kept a silent connection open")
			}
			return
		}
	}
}

func TestStopDoesNotWaitForSilentConn(t *testing.T) {
	defer leakcheck.Check(t)
	ts := startEchoServer(t, &echoServer{}) // 120 s ConnectionTimeout
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Wait until the server is setting the connection up.
	for deadline := time.Now().Add(srvTestTimeout); ; {
		ts.mu.Lock()
		n := len(ts.pending)
		ts.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("connection never accepted")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		ts.stop(t)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(srvTestTimeout):
		t.Fatal("Stop blocked on a connection that never sent its preface")
	}
}

func TestRegisterServiceMisuse(t *testing.T) {
	defer leakcheck.Check(t)
	var msgs []string
	old := registrationFatalf
	registrationFatalf = func(format string, args ...any) { msgs = append(msgs, fmt.Sprintf(format, args...)) }
	defer func() { registrationFatalf = old }()

	s := NewServer()
	s.RegisterService(&echoDesc, &echoServer{})
	s.RegisterService(&echoDesc, &echoServer{})
	s.RegisterService(&echoDesc, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(lis) }()
	s.GracefulStop()
	<-served // whether or not Serve got to accept, it marked the server as serving
	other := echoDesc
	other.ServiceName = "grpc.test.Other"
	s.RegisterService(&other, &echoServer{})
	want := []string{
		`grpc: Server.RegisterService found duplicate service registration for "grpc.test.Echo"`,
		"grpc: Server.RegisterService found the handler of type struct {} that does not satisfy grpc.echoService",
		`grpc: Server.RegisterService after Server.Serve for "grpc.test.Other"`,
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Fatalf("fatal messages = %q, want %q", msgs, want)
	}
}

func TestGetServiceInfo(t *testing.T) {
	s := NewServer()
	s.RegisterService(&echoDesc, &echoServer{})
	want := map[string]ServiceInfo{"grpc.test.Echo": {
		Methods: []MethodInfo{
			{Name: "Echo"},
			{Name: "Bidi", IsClientStream: true, IsServerStream: true},
		},
		Metadata: "echo.proto",
	}}
	if got := s.GetServiceInfo(); !reflect.DeepEqual(got, want) {
		t.Fatalf("GetServiceInfo = %+v, want %+v", got, want)
	}
}

func TestStopAbortsGracefulStop(t *testing.T) {
	defer leakcheck.Check(t)
	b, impl := newBlockingServer()
	ts := startEchoServer(t, impl)
	goAway := make(chan struct{})
	var once sync.Once
	ct := dialRawTransport(t, ts.addr, func() { once.Do(func() { close(goAway) }) })
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	result := make(chan rpcResult, 1)
	go func() { result <- rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"x"}, callOpts{}) }()
	<-b.started
	graceful := make(chan struct{})
	go func() {
		ts.GracefulStop()
		close(graceful)
	}()
	<-goAway
	ts.Stop()
	<-graceful
	if err := <-b.ctxErr; err != context.Canceled {
		t.Fatalf("handler context error = %v", err)
	}
	if res := <-result; status.Code(res.err) != codes.Unavailable {
		t.Fatalf("client got %v, want Unavailable", res.err)
	}
	if err := <-ts.serveErr; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
}

func TestHeaderMetadataWithoutMessages(t *testing.T) {
	defer leakcheck.Check(t)
	impl := &echoServer{bidi: func(s BidiStreamingServer[wrapperspb.StringValue, wrapperspb.StringValue]) error {
		if len(metadataFrom(s.Context()).Get("with-header")) > 0 {
			s.SetHeader(metadata.Pairs("x-h", "1"))
		}
		s.SetTrailer(metadata.Pairs("x-t", "2"))
		for {
			if _, err := s.Recv(); err != nil {
				return status.Error(codes.Aborted, "done")
			}
		}
	}}
	ts := startEchoServer(t, impl)
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	// Header metadata travels in its own HEADERS frame, as in grpc-go.
	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Bidi", nil, callOpts{md: metadata.Pairs("with-header", "y")})
	wantSrvCode(t, res.err, codes.Aborted, "done")
	if res.trailersOnly || len(res.header.Get("x-h")) != 1 || len(res.trailer.Get("x-t")) != 1 || len(res.trailer.Get("x-h")) != 0 {
		t.Fatalf("with header metadata: %+v", res)
	}
	// Without it the response is trailers-only.
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Bidi", nil, callOpts{})
	wantSrvCode(t, res.err, codes.Aborted, "done")
	if !res.trailersOnly || len(res.trailer.Get("x-t")) != 1 {
		t.Fatalf("without header metadata: %+v", res)
	}
}

func metadataFrom(ctx context.Context) metadata.MD {
	md, _ := metadata.FromIncomingContext(ctx)
	return md
}
