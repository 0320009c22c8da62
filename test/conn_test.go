package test

//lint:file-ignore SA1019 these tests exercise grpc-go's deprecated API on purpose: a drop-in keeps it working.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// fastReconnect makes reconnection attempts quick and deterministic enough
// for tests.
var fastReconnect = grpc.WithConnectParams(grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1.1, MaxDelay: 50 * time.Millisecond},
	MinConnectTimeout: time.Second,
})

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func TestFailFastVersusWaitForReady(t *testing.T) {
	defer leakcheck.Check(t)
	addr := closedPort(t)
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), fastReconnect)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)
	ctx, cancel := testCtx(t)
	defer cancel()

	_, err = client.Unary(ctx, &testpb.Request{})
	st := wantCode(t, err, codes.Unavailable)
	if !strings.Contains(st.Message(), `connection error: desc = "transport: Error while dialing: `) {
		t.Fatalf("fail-fast message %q lacks the connection error", st.Message())
	}
	if s := cc.GetState(); s != connectivity.TransientFailure {
		t.Fatalf("state %v, want TRANSIENT_FAILURE", s)
	}

	// WaitForReady blocks until the deadline instead.
	sctx, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer scancel()
	_, err = client.Unary(sctx, &testpb.Request{}, grpc.WaitForReady(true))
	wantCode(t, err, codes.DeadlineExceeded)

	// And succeeds once a server appears.
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot re-listen on %s: %v", addr, err)
	}
	srv, _, served := serveOn(t, lis, nil)
	defer func() { srv.Stop(); <-served }()
	if _, err := client.Unary(ctx, &testpb.Request{}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("WaitForReady RPC after server start: %v", err)
	}
}

func TestServerRestartReconnects(t *testing.T) {
	defer leakcheck.Check(t)
	srv, lis, served := startServer(t, nil)
	addr := lis.Addr().String()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), fastReconnect)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)
	ctx, cancel := testCtx(t)
	defer cancel()

	if _, err := client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("first RPC: %v", err)
	}
	srv.Stop()
	<-served
	// Losing the connection makes the channel IDLE (pick_first).
	waitForState(ctx, t, cc, connectivity.Idle)

	lis2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot re-listen on %s: %v", addr, err)
	}
	srv2, _, served2 := serveOn(t, lis2, nil)
	defer func() { srv2.Stop(); <-served2 }()
	if _, err := client.Unary(ctx, &testpb.Request{}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("RPC after restart: %v", err)
	}
	if s := cc.GetState(); s != connectivity.Ready {
		t.Fatalf("state %v after reconnect, want READY", s)
	}
}

func TestGracefulStopDuringRPC(t *testing.T) {
	defer leakcheck.Check(t)
	started := make(chan struct{})
	release := make(chan struct{})
	ts := &testServer{unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		close(started)
		<-release
		return respond(ctx, req)
	}}
	e := newEnv(t, ts, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	done := make(chan error, 1)
	go func() {
		_, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(3)})
		done <- err
	}()
	<-started
	stopped := make(chan struct{})
	go func() {
		e.srv.GracefulStop()
		close(stopped)
	}()
	// GracefulStop waits for the RPC; a new RPC must not reach this server.
	select {
	case <-stopped:
		t.Fatal("GracefulStop returned while an RPC was in flight")
	case err := <-done:
		t.Fatalf("in-flight RPC ended early: %v", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("in-flight RPC failed across GracefulStop: %v", err)
	}
	<-stopped
	// The GOAWAY took the connection out of service: the channel is IDLE and
	// a fail-fast RPC now fails to connect instead of using the old one.
	waitForState(ctx, t, e.cc, connectivity.Idle)
	_, err := e.client.Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.Unavailable)
}

func TestGoAwayTransparentReconnect(t *testing.T) {
	defer leakcheck.Check(t)
	// Two servers on one listener address are not possible, so restart on
	// the same port: after GracefulStop the client must move to the new
	// server without failing RPCs that wait for ready.
	srv, lis, served := startServer(t, nil)
	addr := lis.Addr().String()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), fastReconnect)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatal(err)
	}
	srv.GracefulStop()
	<-served
	lis2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot re-listen on %s: %v", addr, err)
	}
	srv2, _, served2 := serveOn(t, lis2, nil)
	defer func() { srv2.Stop(); <-served2 }()
	for i := 0; i < 20; i++ {
		if _, err := client.Unary(ctx, &testpb.Request{}, grpc.WaitForReady(true)); err != nil {
			t.Fatalf("RPC %d after GOAWAY: %v", i, err)
		}
	}
}

func TestClientConnCloseCancelsRPCs(t *testing.T) {
	defer leakcheck.Check(t)
	started := make(chan struct{}, 2)
	ts := &testServer{
		unary: func(ctx context.Context, _ *testpb.Request) (*testpb.Response, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		},
		bidi: func(stream testpb.TestService_FullDuplexServer) error {
			started <- struct{}{}
			<-stream.Context().Done()
			return stream.Context().Err()
		},
	}
	e := newEnv(t, ts, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	unaryErr := make(chan error, 1)
	go func() {
		_, err := e.client.Unary(ctx, &testpb.Request{})
		unaryErr <- err
	}()
	stream, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	<-started
	e.cc.Close()

	st := wantCode(t, <-unaryErr, codes.Canceled)
	if st.Message() != "grpc: the client connection is closing" {
		t.Fatalf("unary message %q", st.Message())
	}
	_, err = stream.Recv()
	wantCode(t, err, codes.Canceled)

	// New RPCs fail the same way, and a second Close reports it.
	_, err = e.client.Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.Canceled)
	if err := e.cc.Close(); status.Code(err) != codes.Canceled {
		t.Fatalf("second Close = %v, want Canceled", err)
	}
	if s := e.cc.GetState(); s != connectivity.Shutdown {
		t.Fatalf("state %v, want SHUTDOWN", s)
	}
}

func TestConnectivityStateTransitions(t *testing.T) {
	defer leakcheck.Check(t)
	srv, lis, served := startServer(t, nil)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), fastReconnect)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()

	if s := cc.GetState(); s != connectivity.Idle {
		t.Fatalf("new client state %v, want IDLE", s)
	}
	// Nothing happens without Connect or an RPC.
	sctx, scancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if cc.WaitForStateChange(sctx, connectivity.Idle) {
		t.Fatal("state changed without Connect")
	}
	scancel()

	cc.Connect()
	var seen []connectivity.State
	for s := cc.GetState(); s != connectivity.Ready; s = cc.GetState() {
		seen = append(seen, s)
		if !cc.WaitForStateChange(ctx, s) {
			t.Fatalf("timed out in state %v", s)
		}
	}
	if len(seen) == 0 || seen[len(seen)-1] != connectivity.Connecting {
		t.Fatalf("states before READY %v, want ... CONNECTING", seen)
	}

	srv.Stop()
	<-served
	waitForState(ctx, t, cc, connectivity.Idle)
	// Reconnecting to a dead server: CONNECTING, then TRANSIENT_FAILURE.
	cc.Connect()
	waitForState(ctx, t, cc, connectivity.TransientFailure)
	cc.Close()
	if s := cc.GetState(); s != connectivity.Shutdown {
		t.Fatalf("state after Close %v, want SHUTDOWN", s)
	}
}

func TestDialWithBlock(t *testing.T) {
	defer leakcheck.Check(t)
	srv, lis, served := startServer(t, nil)
	defer func() { srv.Stop(); <-served }()
	ctx, cancel := testCtx(t)
	defer cancel()

	cc, err := grpc.DialContext(ctx, lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithBlock())
	if err != nil {
		t.Fatalf("DialContext(WithBlock): %v", err)
	}
	if s := cc.GetState(); s != connectivity.Ready {
		t.Errorf("state after blocking dial %v, want READY", s)
	}
	cc.Close()

	// Against a closed port a blocking dial times out with the last error.
	addr := closedPort(t)
	sctx, scancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer scancel()
	_, err = grpc.DialContext(sctx, addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithReturnConnectionError(), fastReconnect)
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") || !strings.Contains(err.Error(), "Error while dialing") {
		t.Fatalf("blocking dial to closed port = %v, want deadline + connection error", err)
	}
	// FailOnNonTempDialError gives up at the first refused connection.
	_, err = grpc.DialContext(ctx, addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithBlock(), grpc.FailOnNonTempDialError(true))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("FailOnNonTempDialError dial = %v, want connection refused", err)
	}
}

func TestDeprecatedDialerAndTimeout(t *testing.T) {
	defer leakcheck.Check(t)
	srv, lis, served := startServer(t, nil)
	defer func() { srv.Stop(); <-served }()

	dialed := make(chan string, 1)
	dialer := func(addr string, timeout time.Duration) (net.Conn, error) {
		select {
		case dialed <- addr:
		default:
		}
		return net.DialTimeout("tcp", addr, timeout)
	}
	cc, err := grpc.Dial(lis.Addr().String(), grpc.WithInsecure(), grpc.WithDialer(dialer), grpc.WithBlock(), grpc.WithTimeout(testTimeout))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer cc.Close()
	if got := <-dialed; got != lis.Addr().String() {
		t.Fatalf("dialer got %q, want %q", got, lis.Addr().String())
	}

	// WithTimeout bounds a blocking Dial.
	start := time.Now()
	_, err = grpc.Dial(closedPort(t), grpc.WithInsecure(), grpc.WithBlock(), grpc.WithTimeout(100*time.Millisecond), fastReconnect)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("blocking Dial to a closed port = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Dial took %v despite WithTimeout", d)
	}
}

func TestBufconnContextDialer(t *testing.T) {
	defer leakcheck.Check(t)
	lis := bufconn.Listen(1 << 20)
	srv, _, served := serveOn(t, lis, nil)
	defer func() { srv.Stop(); <-served }()

	var mu sync.Mutex
	var dialed []string
	dialer := func(ctx context.Context, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		return lis.DialContext(ctx)
	}
	cc, err := grpc.NewClient("passthrough:///bufnet", grpc.WithContextDialer(dialer), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	resp, err := testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{ResponseSize: 70000})
	if err != nil || len(resp.GetPayload().GetBody()) != 70000 {
		t.Fatalf("Unary over bufconn: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) != 1 || dialed[0] != "bufnet" {
		t.Fatalf("dialer called with %q, want [bufnet]", dialed)
	}
}

func TestWrongContentType(t *testing.T) {
	defer leakcheck.Check(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A plain HTTP/2 server that is not gRPC.
	h2 := &http2.Server{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnsupportedMediaType)
		w.Write([]byte("not grpc"))
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				h2.ServeConn(conn, &http2.ServeConnOpts{Handler: handler})
			}()
		}
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := testCtx(t)
	defer cancel()
	_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{})
	st := wantCode(t, err, codes.Unknown)
	if !strings.Contains(st.Message(), "unexpected HTTP status code received from server: 415 (Unsupported Media Type)") {
		t.Fatalf("message %q", st.Message())
	}
	cc.Close()
	lis.Close()
	wg.Wait()
}

func TestManyConcurrentUnaryRPCs(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	const n = 1000
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(i % 100)})
			if err == nil && len(resp.GetPayload().GetBody()) != i%100 {
				err = status.Errorf(codes.Internal, "RPC %d got %d bytes", i, len(resp.GetPayload().GetBody()))
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent RPC: %v", err)
		}
	}
}

func TestManyConcurrentBidiStreams(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	const streams, msgs = 100, 20
	errs := make(chan error, streams)
	var wg sync.WaitGroup
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- func() error {
				stream, err := e.client.FullDuplex(ctx)
				if err != nil {
					return err
				}
				for j := 0; j < msgs; j++ {
					if err := stream.Send(&testpb.Request{ResponseSize: int32(i + j + 1)}); err != nil {
						return err
					}
					resp, err := stream.Recv()
					if err != nil {
						return err
					}
					if len(resp.GetPayload().GetBody()) != i+j+1 {
						return status.Errorf(codes.Internal, "stream %d message %d: %d bytes", i, j, len(resp.GetPayload().GetBody()))
					}
				}
				stream.CloseSend()
				if _, err := stream.Recv(); err != io.EOF {
					return fmt.Errorf("final Recv = %v, want io.EOF", err)
				}
				return nil
			}()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("bidi stream: %v", err)
		}
	}
}

func TestServerMaxConcurrentStreams(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, []grpc.ServerOption{grpc.MaxConcurrentStreams(2)})
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	// Streams beyond the server's limit wait for a slot instead of failing.
	const n = 20
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(10)})
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("RPC over a 2-stream limit: %v", err)
		}
	}
}
