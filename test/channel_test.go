package test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"
)

const roundRobinConfig = `{"loadBalancingConfig": [{"round_robin": {}}]}`

func TestRoundRobinSpreadsEvenly(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	bs := []*backend{startBackend(t, "a"), startBackend(t, "b"), startBackend(t, "c")}
	defer func() {
		for _, b := range bs {
			b.stop()
		}
	}()
	r := manual.NewBuilderWithScheme("rr")
	r.InitialState(resolver.State{Addresses: addrsOf(bs...)})
	cc, c := dialManual(t, r, roundRobinConfig)
	defer cc.Close()

	waitForBackends(ctx, t, c, "a", "b", "c")
	counts := map[string]int{}
	const rpcs = 300
	for range rpcs {
		name, err := whoAnswers(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		counts[name]++
	}
	// All three are READY throughout, so the rotation is exact.
	for _, b := range bs {
		if counts[b.name] != rpcs/len(bs) {
			t.Fatalf("RPCs per backend %v, want %d each", counts, rpcs/len(bs))
		}
	}
}

func TestRoundRobinBackendDownAndBack(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a, b, c3 := startBackend(t, "a"), startBackend(t, "b"), startBackend(t, "c")
	defer a.stop()
	defer c3.stop()
	r := manual.NewBuilderWithScheme("rr")
	r.InitialState(resolver.State{Addresses: addrsOf(a, b, c3)})
	cc, c := dialManual(t, r, roundRobinConfig, fastReconnect)
	defer cc.Close()
	waitForBackends(ctx, t, c, "a", "b", "c")

	b.stop()
	// RPCs run one at a time, so at most the one in flight when b died may
	// fail; after that the channel knows and routes around it.
	failed := 0
	seen := map[string]int{}
	for range 100 {
		name, err := whoAnswers(ctx, c)
		if err != nil {
			failed++
			continue
		}
		seen[name]++
	}
	if failed > 1 {
		t.Fatalf("%d RPCs failed after one backend died, want at most 1", failed)
	}
	if seen["a"] == 0 || seen["c"] == 0 {
		t.Fatalf("traffic after b died: %v, want it spread over a and c", seen)
	}
	if seen["b"] > 0 {
		t.Fatalf("stopped backend b answered %d RPCs", seen["b"])
	}

	b.restart()
	defer b.stop()
	waitForBackends(ctx, t, c, "b")
}

func TestPickFirstFailsOverDownTheList(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a, b := startBackend(t, "a"), startBackend(t, "b")
	defer b.stop()
	dead := resolver.Address{Addr: closedPort(t)}
	r := manual.NewBuilderWithScheme("pf")
	r.InitialState(resolver.State{Addresses: []resolver.Address{dead, a.address(), b.address()}})
	cc, c := dialManual(t, r, "", fastReconnect)
	defer cc.Close()

	for range 10 {
		if name, err := whoAnswers(ctx, c); err != nil || name != "a" {
			t.Fatalf("pick_first RPC went to %q (%v), want a: the first reachable address", name, err)
		}
	}
	a.stop()
	// Until the client has seen the connection go, an RPC may still be
	// sent on it and fail (so would grpc-go's); wait for that first.
	if !cc.WaitForStateChange(ctx, connectivity.Ready) {
		t.Fatal("the channel never noticed that a stopped")
	}
	// pick_first goes IDLE when its connection is lost and reconnects
	// down the list on the next RPC; wait-for-ready rides over the gap.
	if name, err := whoAnswers(ctx, c, grpc.WaitForReady(true)); err != nil || name != "b" {
		t.Fatalf("after a died the RPC went to %q (%v), want b", name, err)
	}
}

func TestManualResolverUpdateRebalancesLiveTraffic(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a, b, c3 := startBackend(t, "a"), startBackend(t, "b"), startBackend(t, "c")
	defer a.stop()
	defer b.stop()
	defer c3.stop()
	r := manual.NewBuilderWithScheme("move")
	r.InitialState(resolver.State{Addresses: addrsOf(a)})
	cc, c := dialManual(t, r, roundRobinConfig)
	defer cc.Close()
	waitForBackends(ctx, t, c, "a")

	// Keep traffic flowing while the addresses change under it.
	errc := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				errc <- nil
				return
			default:
			}
			if _, err := whoAnswers(ctx, c); err != nil {
				errc <- err
				return
			}
		}
	}()
	r.UpdateState(resolver.State{Addresses: addrsOf(b, c3)})
	waitForBackends(ctx, t, c, "b", "c")
	close(stop)
	if err := <-errc; err != nil {
		t.Fatalf("RPC failed during the resolver update: %v", err)
	}
	before := a.hits.Load()
	for range 20 {
		if _, err := whoAnswers(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if a.hits.Load() != before {
		t.Fatal("backend a still gets RPCs after the resolver dropped it")
	}
}

func TestDNSResolvesLocalhost(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a := startBackend(t, "a")
	defer a.stop()
	_, port, _ := net.SplitHostPort(a.addr)
	for _, target := range []string{"dns:///localhost:" + port, "localhost:" + port} {
		cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		name, err := whoAnswers(ctx, testpb.NewTestServiceClient(cc))
		cc.Close()
		if err != nil || name != "a" {
			t.Fatalf("RPC to %q: %q, %v", target, name, err)
		}
	}
}

func TestWaitForReadySemantics(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), fastReconnect)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	c := testpb.NewTestServiceClient(cc)

	// Fail fast: Unavailable with the connection error.
	_, err = c.Unary(ctx, &testpb.Request{})
	st := wantCode(t, err, codes.Unavailable)
	if !strings.Contains(st.Message(), "connection refused") {
		t.Fatalf("fail-fast error %q does not carry the connection error", st.Message())
	}
	// Wait-for-ready: waits until its deadline.
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = c.Unary(short, &testpb.Request{}, grpc.WaitForReady(true))
	cancelShort()
	wantCode(t, err, codes.DeadlineExceeded)

	// Wait-for-ready: succeeds once a server appears.
	done := make(chan error, 1)
	go func() {
		_, err := c.Unary(ctx, &testpb.Request{}, grpc.WaitForReady(true))
		done <- err
	}()
	waitForState(ctx, t, cc, connectivity.TransientFailure)
	lis, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv, _, served := serveOn(t, lis, nil)
	defer func() { srv.Stop(); <-served }()
	if err := <-done; err != nil {
		t.Fatalf("wait-for-ready RPC: %v", err)
	}
}

func TestIdleTimeoutReleasesAndReconnects(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a := startBackend(t, "a")
	defer a.stop()
	cc, err := grpc.NewClient(a.addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithIdleTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	c := testpb.NewTestServiceClient(cc)
	if _, err := whoAnswers(ctx, c); err != nil {
		t.Fatal(err)
	}
	waitForState(ctx, t, cc, connectivity.Ready)
	waitForState(ctx, t, cc, connectivity.Idle)
	if _, err := whoAnswers(ctx, c); err != nil {
		t.Fatalf("RPC after idle: %v", err)
	}
	if s := cc.GetState(); s != connectivity.Ready {
		t.Fatalf("state after an RPC woke the channel: %v", s)
	}
}

func TestServiceConfigFromResolver(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	ts := &testServer{unary: func(ctx context.Context, _ *testpb.Request) (*testpb.Response, error) {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}}
	srv, lis, served := startServer(t, ts)
	defer func() { srv.Stop(); <-served }()

	r := manual.NewBuilderWithScheme("sc")
	cc, c := dialManual(t, r, "")
	defer cc.Close()
	cc.Connect() // builds the resolver
	sc := r.CC().ParseServiceConfig(`{"methodConfig": [{"name": [{"service": "grpc.e2e.TestService"}], "timeout": "0.05s"}]}`)
	if sc.Err != nil {
		t.Fatal(sc.Err)
	}
	r.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: lis.Addr().String()}}, ServiceConfig: sc})
	_, err := c.Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.DeadlineExceeded)
	if got := cc.GetMethodConfig("/grpc.e2e.TestService/Unary").Timeout; got == nil || *got != 50*time.Millisecond {
		t.Fatalf("GetMethodConfig timeout = %v", got)
	}

	// A bad config with no earlier one and no default fails the channel.
	r2 := manual.NewBuilderWithScheme("badsc")
	cc2, c2 := dialManual(t, r2, "")
	defer cc2.Close()
	cc2.Connect()
	bad := r2.CC().ParseServiceConfig(`{"loadBalancingConfig": [{"no_such_policy": {}}]}`)
	if bad.Err == nil {
		t.Fatal("an unknown policy parsed")
	}
	r2.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: lis.Addr().String()}}, ServiceConfig: bad})
	_, err = c2.Unary(ctx, &testpb.Request{})
	if st := wantCode(t, err, codes.Unavailable); !strings.Contains(st.Message(), "error parsing service config") {
		t.Fatalf("error %q", st.Message())
	}
}

func TestInvalidDefaultServiceConfig(t *testing.T) {
	_, err := grpc.NewClient("localhost:1", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(`{"methodConfig": [{"timeout": "forever"}]}`))
	if err == nil || !strings.Contains(err.Error(), "default service config is invalid") {
		t.Fatalf("NewClient with a bad default service config: %v", err)
	}
}

func TestConnectionLossTriggersReResolution(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a := startBackend(t, "a")
	r := manual.NewBuilderWithScheme("reresolve")
	resolveNow := make(chan struct{}, 1)
	r.ResolveNowCallback = func(resolver.ResolveNowOptions) {
		select {
		case resolveNow <- struct{}{}:
		default:
		}
	}
	r.InitialState(resolver.State{Addresses: addrsOf(a)})
	cc, c := dialManual(t, r, "")
	defer cc.Close()
	if _, err := whoAnswers(ctx, c); err != nil {
		t.Fatal(err)
	}
	a.stop()
	select {
	case <-resolveNow:
	case <-ctx.Done():
		t.Fatal("losing the connection did not ask the resolver to resolve again")
	}
}
