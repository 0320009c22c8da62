package test

// Chaos tests: servers that die under their clients, connection churn,
// RPCs cancelled at random moments, and a slow receiver facing a fast
// sender. They check that nothing hangs, nothing leaks (goroutines, file
// descriptors) and memory stays bounded.

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/status"
)

// chaosScale picks the size of the churn tests: full size when
// GRPC_TEST_CHAOS_FULL is set or the race detector is off, small otherwise.
func chaosScale(full, race int) int {
	if raceEnabled && os.Getenv("GRPC_TEST_CHAOS_FULL") == "" {
		return race
	}
	return full
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	return len(ents)
}

// checkFDs waits for the open descriptor count to come back to within
// slack of before; sockets are closed asynchronously by some teardown paths.
func checkFDs(t *testing.T, before, slack int) {
	t.Helper()
	var n int
	for deadline := time.Now().Add(10 * time.Second); ; {
		if n = openFDs(t); n <= before+slack || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n > before+slack {
		t.Errorf("%d file descriptors open, %d before the test", n, before)
	}
}

// trackingListener remembers accepted connections so a test can drop them
// all at once, the way the kernel does when a server process dies.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// kill closes the listener and every accepted connection without a GOAWAY.
func (l *trackingListener) kill() {
	l.Listener.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, as for a crashed peer
		}
		c.Close()
	}
}

// chaosInFlight starts, on client, one RPC of each shape that is still
// running when the server dies, and returns a channel of their results.
func chaosInFlight(t *testing.T, ctx context.Context, client testpb.TestServiceClient) <-chan error {
	t.Helper()
	errs := make(chan error, 3)
	bidi, err := client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bidi.Send(&testpb.Request{Payload: payload(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := bidi.Recv(); err != nil {
		t.Fatal(err)
	}
	out, err := client.StreamingOutput(ctx, &testpb.Request{ResponseCount: 1, WaitForCancel: true})
	if err != nil {
		t.Fatal(err)
	}
	unaryStarted := make(chan struct{})
	go func() {
		close(unaryStarted)
		_, err := client.Unary(ctx, &testpb.Request{WaitForCancel: true})
		errs <- fmt.Errorf("unary: %w", err)
	}()
	go func() {
		_, err := bidi.Recv()
		errs <- fmt.Errorf("bidi: %w", err)
	}()
	go func() {
		_, err := out.Recv()
		errs <- fmt.Errorf("server streaming: %w", err)
	}()
	<-unaryStarted
	return errs
}

// wantUnavailable collects n results and requires each to be Unavailable.
func wantUnavailable(t *testing.T, errs <-chan error, n int) {
	t.Helper()
	for range n {
		select {
		case err := <-errs:
			if status.Code(err) != codes.Unavailable {
				t.Errorf("%v; want Unavailable", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("an RPC hung after its server died")
		}
	}
}

// TestChaosServerKilledMidStream drops every server connection without a
// GOAWAY while RPCs of each kind are in flight. They must fail with
// Unavailable rather than hang, and the client must reach a server that
// comes back on the same address.
func TestChaosServerKilledMidStream(t *testing.T) {
	defer leakcheck.Check(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis := &trackingListener{Listener: inner}
	addr := lis.Addr().String()
	srv, _, served := serveOn(t, lis, nil)
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), fastReconnect)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)
	ctx, cancel := testCtx(t)
	defer cancel()

	errs := chaosInFlight(t, ctx, client)
	// Let the unary call reach the server before it dies (it may also fail
	// before that: either way it must be Unavailable).
	time.Sleep(50 * time.Millisecond)
	lis.kill()
	wantUnavailable(t, errs, 3)
	srv.Stop()
	<-served

	lis2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	srv2, _, served2 := serveOn(t, lis2, nil)
	defer func() { srv2.Stop(); <-served2 }()
	if _, err := client.Unary(ctx, &testpb.Request{Payload: payload(2)}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("RPC after the server came back: %v", err)
	}
}

// TestChaosServerProcessKilled runs the server in a child process and kills
// it with SIGKILL while RPCs are in flight.
func TestChaosServerProcessKilled(t *testing.T) {
	if os.Getenv("GRPC_TEST_CHAOS_CHILD") != "" {
		chaosChildServer()
		return
	}
	defer leakcheck.Check(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestChaosServerProcessKilled$")
	cmd.Env = append(os.Environ(), "GRPC_TEST_CHAOS_CHILD=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	var line [64]byte
	n, err := stdout.Read(line[:])
	addr, ok := strings.CutPrefix(strings.TrimSpace(string(line[:n])), "listening on ")
	if err != nil || !ok {
		t.Fatalf("child server did not start: %q, %v", line[:n], err)
	}

	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), fastReconnect)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)
	ctx, cancel := testCtx(t)
	defer cancel()
	errs := chaosInFlight(t, ctx, client)
	time.Sleep(50 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wantUnavailable(t, errs, 3)
	// With nobody listening any more, a fail-fast RPC fails at once.
	_, err = client.Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.Unavailable)
}

// chaosChildServer is the child side of TestChaosServerProcessKilled: it
// serves until killed.
func chaosChildServer() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, &testServer{})
	fmt.Printf("listening on %s\n", lis.Addr())
	srv.Serve(lis)
	os.Exit(0)
}

// TestChaosConnectionChurn opens and closes many connections: channels that
// make one RPC, raw sockets that hang up at once or after a partial
// preface. Afterwards no goroutine or descriptor may be left.
func TestChaosConnectionChurn(t *testing.T) {
	defer leakcheck.Check(t)
	total := chaosScale(10000, 2000)
	fdsBefore := openFDs(t)
	srv, lis, served := startServer(t, nil)
	addr := lis.Addr().String()

	var failed atomic.Int32
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total || failed.Load() > 10 {
					return
				}
				if err := chaosOneConn(i, addr); err != nil {
					if failed.Add(1) <= 10 {
						t.Errorf("connection %d: %v", i, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	srv.Stop()
	<-served
	checkFDs(t, fdsBefore, 2)
}

// chaosOneConn makes connection i of the churn test: every third one a
// gRPC channel with one RPC, the others raw sockets.
func chaosOneConn(i int, addr string) error {
	switch i % 3 {
	case 0:
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return err
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{Payload: payload(i % 100)})
		return err
	case 1:
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	default:
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		c.Write([]byte("PRI * HTTP/2.0\r\n"[:i%16]))
		return c.Close()
	}
}

// TestChaosRandomCancellations runs many RPCs of every kind over a few
// channels and cancels a random share of them at random points. Each must
// end with OK or Canceled, and nothing may be left behind.
func TestChaosRandomCancellations(t *testing.T) {
	defer leakcheck.Check(t)
	total := chaosScale(100000, 20000)
	fdsBefore := openFDs(t)
	e := newEnv(t, nil, nil)
	cc2, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	clients := []testpb.TestServiceClient{e.client, testpb.NewTestServiceClient(cc2)}

	var next, done, cancelled atomic.Int64
	var failed atomic.Int32
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for {
				i := next.Add(1) - 1
				if i >= int64(total) || failed.Load() > 10 {
					return
				}
				err := chaosOneRPC(rng, clients[i%2])
				switch status.Code(err) {
				case codes.OK:
					done.Add(1)
				case codes.Canceled:
					cancelled.Add(1)
				default:
					if failed.Add(1) <= 10 {
						t.Errorf("RPC %d: %v", i, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d RPCs: %d completed, %d cancelled", total, done.Load(), cancelled.Load())
	checkServerStillWorks(t, e)
	cc2.Close()
	e.stop()
	checkFDs(t, fdsBefore, 2)
}

// chaosOneRPC makes one RPC of a random kind and, half the time, cancels it
// at a random moment.
func chaosOneRPC(rng *rand.Rand, client testpb.TestServiceClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if rng.IntN(2) == 0 {
		d := time.Duration(rng.IntN(300)) * time.Microsecond
		t := time.AfterFunc(d, cancel)
		defer t.Stop()
	}
	switch rng.IntN(4) {
	case 0:
		_, err := client.Unary(ctx, &testpb.Request{Payload: payload(rng.IntN(2000))})
		return err
	case 1:
		_, err := client.Unary(ctx, &testpb.Request{ResponseSize: int32(rng.IntN(4000))})
		return err
	case 2:
		s, err := client.StreamingOutput(ctx, &testpb.Request{ResponseCount: int32(rng.IntN(5)), ResponseSize: 100})
		if err != nil {
			return err
		}
		for {
			if _, err := s.Recv(); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
		}
	default:
		s, err := client.FullDuplex(ctx)
		if err != nil {
			return err
		}
		for range rng.IntN(4) {
			if err := s.Send(&testpb.Request{Payload: payload(10)}); err != nil {
				break // the status comes from Recv
			}
			if _, err := s.Recv(); err != nil {
				return err
			}
		}
		s.CloseSend()
		if _, err := s.Recv(); err != io.EOF {
			return err
		}
		return nil
	}
}

// seqPayload is message seq of a backpressure test: the sequence number
// then filler, size bytes in all.
func seqPayload(seq, size int) *testpb.Payload {
	b := make([]byte, size)
	binary.BigEndian.PutUint64(b, uint64(seq))
	return &testpb.Payload{Body: b}
}

func seqOf(p *testpb.Payload) int {
	if len(p.GetBody()) < 8 {
		return -1
	}
	return int(binary.BigEndian.Uint64(p.GetBody()))
}

// TestChaosBackpressure: a fast sender facing a slow receiver, in both
// directions, with fixed 64 KiB windows and with the default dynamic ones
// (which may grow to 16 MiB). Flow control must hold the sender back to
// about a window ahead, so the heap stays far below the volume sent, and
// every message must arrive once, in order.
func TestChaosBackpressure(t *testing.T) {
	const (
		msgs = 2000
		size = 32 << 10 // 64 MiB in all
	)
	for _, tc := range []struct {
		name  string
		sopts []grpc.ServerOption
		dopts []grpc.DialOption
		ahead int64 // messages the sender may run ahead
		slack int64 // live heap growth allowed
	}{
		{
			name:  "64KiB windows",
			sopts: []grpc.ServerOption{grpc.InitialWindowSize(64 << 10), grpc.InitialConnWindowSize(64 << 10)},
			dopts: []grpc.DialOption{grpc.WithInitialWindowSize(64 << 10), grpc.WithInitialConnWindowSize(64 << 10)},
			ahead: 50,
			slack: 8 << 20,
		},
		{
			name:  "dynamic windows",
			ahead: 16<<20/size + 50,
			slack: 40 << 20,
		},
	} {
		t.Run(tc.name+"/server sends", func(t *testing.T) {
			backpressureServerSends(t, msgs, size, tc.ahead, tc.slack, tc.sopts, tc.dopts)
		})
		t.Run(tc.name+"/client sends", func(t *testing.T) {
			backpressureClientSends(t, msgs, size, tc.ahead, tc.slack, tc.sopts, tc.dopts)
		})
	}
}

// slowReceiver pauses now and then, so the receiver falls behind.
func slowReceiver(i int) {
	if i%10 == 0 {
		time.Sleep(time.Millisecond)
	}
}

func backpressureServerSends(t *testing.T, msgs, size int, maxAhead, slack int64, sopts []grpc.ServerOption, dopts []grpc.DialOption) {
	defer leakcheck.Check(t)
	var sent atomic.Int64
	ts := &testServer{bidi: func(stream testpb.TestService_FullDuplexServer) error {
		if _, err := stream.Recv(); err != nil {
			return err
		}
		for i := range msgs {
			if err := stream.Send(&testpb.Response{Payload: seqPayload(i, size)}); err != nil {
				return err
			}
			sent.Add(1)
		}
		return nil
	}}
	e := newEnv(t, ts, sopts, dopts...)
	defer e.stop()
	checkServerStillWorks(t, e)
	before := liveHeap()
	ctx, cancel := testCtx(t)
	defer cancel()
	s, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&testpb.Request{}); err != nil {
		t.Fatal(err)
	}
	var peak, peakAhead int64
	for i := 0; ; i++ {
		resp, err := s.Recv()
		if err == io.EOF {
			if i != msgs {
				t.Fatalf("stream ended after %d messages, want %d", i, msgs)
			}
			break
		}
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if got := seqOf(resp.GetPayload()); got != i || len(resp.GetPayload().GetBody()) != size {
			t.Fatalf("message %d: got seq %d, %d bytes", i, got, len(resp.GetPayload().GetBody()))
		}
		if i%100 == 50 {
			peakAhead = max(peakAhead, sent.Load()-int64(i))
			peak = max(peak, int64(liveHeap())-int64(before))
		}
		slowReceiver(i)
	}
	t.Logf("sender at most %d messages ahead; live heap peaked %d bytes above the start", peakAhead, peak)
	if peakAhead > maxAhead {
		t.Errorf("sender ran %d messages ahead of the receiver, want at most %d", peakAhead, maxAhead)
	}
	if peak > slack {
		t.Errorf("live heap grew by %d bytes while a slow receiver read %d bytes", peak, msgs*size)
	}
}

func backpressureClientSends(t *testing.T, msgs, size int, maxAhead, slack int64, sopts []grpc.ServerOption, dopts []grpc.DialOption) {
	defer leakcheck.Check(t)
	var received atomic.Int64
	result := make(chan error, 1)
	ts := &testServer{bidi: func(stream testpb.TestService_FullDuplexServer) error {
		for i := 0; ; i++ {
			req, err := stream.Recv()
			if err == io.EOF {
				if i != msgs {
					err = fmt.Errorf("stream ended after %d messages, want %d", i, msgs)
				} else {
					err = nil
				}
				result <- err
				return err
			}
			if err != nil {
				result <- err
				return err
			}
			if got := seqOf(req.GetPayload()); got != i || len(req.GetPayload().GetBody()) != size {
				err := fmt.Errorf("message %d: got seq %d, %d bytes", i, got, len(req.GetPayload().GetBody()))
				result <- err
				return err
			}
			received.Add(1)
			slowReceiver(i)
		}
	}}
	e := newEnv(t, ts, sopts, dopts...)
	defer e.stop()
	checkServerStillWorks(t, e)
	before := liveHeap()
	ctx, cancel := testCtx(t)
	defer cancel()
	s, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var peak, peakAhead int64
	for i := range msgs {
		if err := s.Send(&testpb.Request{Payload: seqPayload(i, size)}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		if i%100 == 50 {
			peakAhead = max(peakAhead, int64(i)-received.Load())
			peak = max(peak, int64(liveHeap())-int64(before))
		}
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("final Recv: %v", err)
	}
	t.Logf("sender at most %d messages ahead; live heap peaked %d bytes above the start", peakAhead, peak)
	if peakAhead > maxAhead {
		t.Errorf("sender ran %d messages ahead of the receiver, want at most %d", peakAhead, maxAhead)
	}
	if peak > slack {
		t.Errorf("live heap grew by %d bytes while a slow receiver read %d bytes", peak, msgs*size)
	}
}
