package roundrobin

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/internal/fakes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/resolver"
)

func endpoints(n int) resolver.State {
	var s resolver.State
	for i := range n {
		s.Endpoints = append(s.Endpoints, resolver.Endpoint{Addresses: []resolver.Address{{Addr: fmt.Sprintf("10.0.0.%d:80", i+1)}}})
	}
	return s
}

// connect drives sc to READY, including the health update that pick_first
// waits for when round_robin enables its health listener.
func connect(t *testing.T, sc *fakes.SubConn) {
	t.Helper()
	sc.SetState(connectivity.Connecting)
	sc.SetState(connectivity.Ready)
	if !sc.SetHealth(balancer.SubConnState{ConnectivityState: connectivity.Ready}) {
		t.Fatalf("%v: no health listener registered", sc)
	}
}

func pickCounts(t *testing.T, p balancer.Picker, n int) map[balancer.SubConn]int {
	t.Helper()
	counts := make(map[balancer.SubConn]int)
	for range n {
		res, err := p.Pick(balancer.PickInfo{})
		if err != nil {
			t.Fatalf("Pick: %v", err)
		}
		counts[res.SubConn]++
	}
	return counts
}

// waitConnect waits until Connect is called on sc. Reconnection happens on
// a goroutine of endpointsharding, so the test has to wait for it.
func waitConnect(t *testing.T, cc *fakes.ClientConn, sc *fakes.SubConn) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-cc.Connects:
			if got == sc {
				return
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %v to reconnect", sc)
		}
	}
}

func newRR(t *testing.T, n int) (*fakes.ClientConn, balancer.Balancer, []*fakes.SubConn) {
	t.Helper()
	cc := fakes.NewClientConn()
	b := balancer.Get(Name).Build(cc, balancer.BuildOptions{})
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: endpoints(n)}); err != nil {
		t.Fatal(err)
	}
	scs := cc.SubConns()
	if len(scs) != n {
		t.Fatalf("%d SubConns, want %d", len(scs), n)
	}
	for _, sc := range scs {
		if sc.Connects() != 1 {
			t.Fatalf("%v: Connect called %d times, want 1", sc, sc.Connects())
		}
	}
	return cc, b, scs
}

func TestEvenRotation(t *testing.T) {
	defer leakcheck.Check(t)
	cc, b, scs := newRR(t, 3)
	defer b.Close()
	if got := cc.LastState().ConnectivityState; got != connectivity.Connecting {
		t.Fatalf("state %v, want CONNECTING", got)
	}
	for _, sc := range scs {
		connect(t, sc)
	}
	st := cc.LastState()
	if st.ConnectivityState != connectivity.Ready {
		t.Fatalf("state %v, want READY", st.ConnectivityState)
	}
	// Consecutive picks cycle through all three.
	var first [3]balancer.SubConn
	for i := range 3 {
		res, _ := st.Picker.Pick(balancer.PickInfo{})
		first[i] = res.SubConn
	}
	if first[0] == first[1] || first[1] == first[2] || first[0] == first[2] {
		t.Fatalf("three consecutive picks were not distinct: %v", first)
	}
	for sc, n := range pickCounts(t, st.Picker, 300) {
		if n != 100 {
			t.Fatalf("%v picked %d times out of 300, want 100", sc, n)
		}
	}
}

func TestFailedEndpointLeavesRotationAndReconnects(t *testing.T) {
	defer leakcheck.Check(t)
	cc, b, scs := newRR(t, 3)
	defer b.Close()
	for _, sc := range scs {
		connect(t, sc)
	}
	// scs[0] loses its connection: it leaves the rotation and is redialled
	// without waiting for an RPC.
	scs[0].SetState(connectivity.Idle)
	waitConnect(t, cc, scs[0])
	scs[0].SetState(connectivity.Connecting)
	scs[0].Fail(errors.New("refused"))
	st := cc.LastState()
	if st.ConnectivityState != connectivity.Ready {
		t.Fatalf("state %v, want READY", st.ConnectivityState)
	}
	counts := pickCounts(t, st.Picker, 100)
	if counts[scs[0]] != 0 || counts[scs[1]] != 50 || counts[scs[2]] != 50 {
		t.Fatalf("picks %v, want 50/50 over the two healthy endpoints", counts)
	}

	// It comes back.
	scs[0].SetState(connectivity.Idle)
	connect(t, scs[0])
	counts = pickCounts(t, cc.LastState().Picker, 99)
	for _, sc := range scs {
		if counts[sc] != 33 {
			t.Fatalf("picks %v, want 33 each after recovery", counts)
		}
	}
}

func TestAllFailedIsTransientFailure(t *testing.T) {
	defer leakcheck.Check(t)
	cc, b, scs := newRR(t, 2)
	defer b.Close()
	for _, sc := range scs {
		sc.SetState(connectivity.Connecting)
		sc.Fail(errors.New("down " + sc.Addrs[0].Addr))
	}
	st := cc.LastState()
	if st.ConnectivityState != connectivity.TransientFailure {
		t.Fatalf("state %v, want TRANSIENT_FAILURE", st.ConnectivityState)
	}
	if _, err := st.Picker.Pick(balancer.PickInfo{}); err == nil {
		t.Fatal("Pick succeeded with every endpoint down")
	}
	// One recovers: READY again.
	scs[1].SetState(connectivity.Idle)
	connect(t, scs[1])
	if got := cc.LastState().ConnectivityState; got != connectivity.Ready {
		t.Fatalf("state %v, want READY", got)
	}
}

func TestRemovedEndpointIsShutDown(t *testing.T) {
	defer leakcheck.Check(t)
	cc, b, scs := newRR(t, 2)
	defer b.Close()
	for _, sc := range scs {
		connect(t, sc)
	}
	keep := resolver.State{Endpoints: []resolver.Endpoint{{Addresses: scs[1].Addrs}}}
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: keep}); err != nil {
		t.Fatal(err)
	}
	if !scs[0].IsShutdown() || scs[1].IsShutdown() {
		t.Fatal("only the removed endpoint's SubConn should be shut down")
	}
	for sc, n := range pickCounts(t, cc.LastState().Picker, 10) {
		if sc != scs[1] || n != 10 {
			t.Fatalf("picked %v after its endpoint was removed", sc)
		}
	}
	if err := b.UpdateClientConnState(balancer.ClientConnState{}); err != balancer.ErrBadResolverState {
		t.Fatalf("empty update: %v, want ErrBadResolverState", err)
	}
	if got := cc.LastState().ConnectivityState; got != connectivity.TransientFailure {
		t.Fatalf("state %v, want TRANSIENT_FAILURE", got)
	}
}
