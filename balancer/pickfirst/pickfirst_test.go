package pickfirst

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/internal/fakes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/resolver"
)

// manualTimers replaces the Happy Eyeballs timer with timers the test fires.
type manualTimers struct {
	pending []*manualTimer
}

type manualTimer struct {
	f       func()
	stopped bool
}

func useManualTimers(t *testing.T) *manualTimers {
	mt := &manualTimers{}
	orig := afterFunc
	afterFunc = func(_ time.Duration, f func()) func() {
		tm := &manualTimer{f: f}
		mt.pending = append(mt.pending, tm)
		return func() { tm.stopped = true }
	}
	t.Cleanup(func() { afterFunc = orig })
	return mt
}

// fire runs the most recent timer if it was not stopped, and reports
// whether it did.
func (mt *manualTimers) fire() bool {
	if len(mt.pending) == 0 {
		return false
	}
	tm := mt.pending[len(mt.pending)-1]
	mt.pending = mt.pending[:len(mt.pending)-1]
	if tm.stopped {
		return false
	}
	tm.f()
	return true
}

func newPF(t *testing.T) (*fakes.ClientConn, balancer.Balancer) {
	t.Helper()
	useManualTimers(t)
	cc := fakes.NewClientConn()
	b := balancer.Get(Name).Build(cc, balancer.BuildOptions{})
	t.Cleanup(b.Close)
	return cc, b
}

func stateOf(as ...string) resolver.State {
	var s resolver.State
	for _, a := range as {
		s.Addresses = append(s.Addresses, resolver.Address{Addr: a})
	}
	return s
}

func wantState(t *testing.T, cc *fakes.ClientConn, want connectivity.State) balancer.State {
	t.Helper()
	st := cc.LastState()
	if st.ConnectivityState != want {
		t.Fatalf("balancer state %v, want %v", st.ConnectivityState, want)
	}
	return st
}

func wantPick(t *testing.T, st balancer.State, want balancer.SubConn) {
	t.Helper()
	res, err := st.Picker.Pick(balancer.PickInfo{})
	if err != nil {
		t.Fatalf("Pick: %v", err)
	}
	if res.SubConn != want {
		t.Fatalf("picked %v, want %v", res.SubConn, want)
	}
}

func TestRegisteredAndConfig(t *testing.T) {
	bb := balancer.Get(Name)
	if bb == nil {
		t.Fatal("pick_first is not registered")
	}
	p := bb.(balancer.ConfigParser)
	cfg, err := p.ParseConfig(json.RawMessage(`{"shuffleAddressList": true, "unknown": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.(*config).ShuffleAddressList {
		t.Fatal("shuffleAddressList not parsed")
	}
	if _, err := p.ParseConfig(json.RawMessage(`{"shuffleAddressList": "yes"}`)); err == nil {
		t.Fatal("ParseConfig accepted a string for shuffleAddressList")
	}
}

func TestFirstAddressWins(t *testing.T) {
	cc, b := newPF(t)
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1", "b:1", "c:1")}); err != nil {
		t.Fatal(err)
	}
	st := wantState(t, cc, connectivity.Connecting)
	if _, err := st.Picker.Pick(balancer.PickInfo{}); err != balancer.ErrNoSubConnAvailable {
		t.Fatalf("Pick while connecting: %v", err)
	}
	scs := cc.SubConns()
	if len(scs) != 1 || scs[0].Addrs[0].Addr != "a:1" || scs[0].Connects() != 1 {
		t.Fatalf("want exactly one SubConn, for a:1, connecting; got %v", scs)
	}
	scs[0].SetState(connectivity.Connecting)
	scs[0].SetState(connectivity.Ready)
	wantPick(t, wantState(t, cc, connectivity.Ready), scs[0])
}

func TestFailoverInOrder(t *testing.T) {
	cc, b := newPF(t)
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1", "b:1", "c:1")})
	a := cc.SubConn("a:1")
	a.SetState(connectivity.Connecting)
	a.Fail(errors.New("a down"))
	// Still connecting: not every address has been tried.
	wantState(t, cc, connectivity.Connecting)
	bsc := cc.SubConn("b:1")
	if bsc == nil || bsc.Connects() != 1 {
		t.Fatal("b:1 was not tried after a:1 failed")
	}
	bsc.SetState(connectivity.Connecting)
	bsc.SetState(connectivity.Ready)
	wantPick(t, wantState(t, cc, connectivity.Ready), bsc)
	if !a.IsShutdown() {
		t.Fatal("losing SubConn a:1 was not shut down")
	}
	if cc.SubConn("c:1") != nil {
		t.Fatal("c:1 should never have been created")
	}
}

func TestStickyTransientFailure(t *testing.T) {
	cc, b := newPF(t)
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1", "b:1")})
	a := cc.SubConn("a:1")
	a.SetState(connectivity.Connecting)
	a.Fail(errors.New("a down"))
	bsc := cc.SubConn("b:1")
	bsc.SetState(connectivity.Connecting)
	bsc.Fail(errors.New("b down"))

	st := wantState(t, cc, connectivity.TransientFailure)
	if _, err := st.Picker.Pick(balancer.PickInfo{}); err == nil || err.Error() != "b down" {
		t.Fatalf("Pick error %v, want the last connection error", err)
	}

	// Backoff ends: both are redialled at once, without any RPC, and the
	// policy stays in TRANSIENT_FAILURE while they try.
	a.SetState(connectivity.Idle)
	bsc.SetState(connectivity.Idle)
	if a.Connects() != 2 || bsc.Connects() != 2 {
		t.Fatalf("connects after backoff: a=%d b=%d, want 2 each", a.Connects(), bsc.Connects())
	}
	a.SetState(connectivity.Connecting)
	bsc.SetState(connectivity.Connecting)
	wantState(t, cc, connectivity.TransientFailure)

	// The error is refreshed once per round of failures.
	a.Fail(errors.New("a still down"))
	bsc.Fail(errors.New("b still down"))
	st = wantState(t, cc, connectivity.TransientFailure)
	if _, err := st.Picker.Pick(balancer.PickInfo{}); err == nil || !strings.Contains(err.Error(), "still down") {
		t.Fatalf("Pick error %v, want a refreshed error", err)
	}

	// Any success ends it.
	a.SetState(connectivity.Idle)
	a.SetState(connectivity.Connecting)
	a.SetState(connectivity.Ready)
	wantPick(t, wantState(t, cc, connectivity.Ready), a)
	if !bsc.IsShutdown() {
		t.Fatal("b:1 was not shut down after a:1 connected")
	}
}

func TestIdleAfterDisconnectReconnectsOnPick(t *testing.T) {
	cc, b := newPF(t)
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1", "b:1")})
	a := cc.SubConn("a:1")
	a.SetState(connectivity.Connecting)
	a.SetState(connectivity.Ready)
	wantState(t, cc, connectivity.Ready)

	a.SetState(connectivity.Idle)
	st := wantState(t, cc, connectivity.Idle)
	if a.Connects() != 1 {
		t.Fatal("pick_first reconnected before anything asked it to")
	}
	// Two picks: only the first one triggers reconnection.
	for range 2 {
		if _, err := st.Picker.Pick(balancer.PickInfo{}); err != balancer.ErrNoSubConnAvailable {
			t.Fatalf("Pick on idle picker: %v", err)
		}
	}
	wantState(t, cc, connectivity.Connecting)
	if a.Connects() != 2 {
		t.Fatalf("a:1 connected %d times, want 2", a.Connects())
	}
	a.SetState(connectivity.Connecting)
	a.SetState(connectivity.Ready)
	wantPick(t, wantState(t, cc, connectivity.Ready), a)
}

func TestExitIdleRestartsFromFirstAddress(t *testing.T) {
	cc, b := newPF(t)
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1", "b:1")})
	a := cc.SubConn("a:1")
	a.SetState(connectivity.Connecting)
	a.Fail(errors.New("down"))
	bsc := cc.SubConn("b:1")
	bsc.SetState(connectivity.Connecting)
	bsc.SetState(connectivity.Ready)
	bsc.SetState(connectivity.Idle)
	wantState(t, cc, connectivity.Idle)
	b.ExitIdle()
	// a:1 was shut down when b:1 won, so a fresh SubConn is made for it.
	if na := cc.SubConn("a:1"); na == a || na.Connects() != 1 {
		t.Fatal("ExitIdle did not restart from a fresh a:1")
	}
}

func TestHappyEyeballsTimerStartsNextAttempt(t *testing.T) {
	mt := useManualTimers(t)
	cc := fakes.NewClientConn()
	b := balancer.Get(Name).Build(cc, balancer.BuildOptions{})
	defer b.Close()
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("[::1]:1", "[::2]:1", "10.0.0.1:1")})
	// Families are interleaved, so the IPv4 address comes second.
	first := cc.SubConn("[::1]:1")
	first.SetState(connectivity.Connecting)
	if !mt.fire() {
		t.Fatal("no Happy Eyeballs timer was armed")
	}
	second := cc.SubConn("10.0.0.1:1")
	if second == nil || second.Connects() != 1 {
		t.Fatal("timer did not start an attempt on the IPv4 address")
	}
	second.SetState(connectivity.Connecting)
	second.SetState(connectivity.Ready)
	wantPick(t, wantState(t, cc, connectivity.Ready), second)
	if !first.IsShutdown() {
		t.Fatal("slower attempt was not cancelled")
	}
	if mt.fire() {
		t.Fatal("a timer survived the connection becoming READY")
	}
}

func TestEndpointsAreFlattenedAndDeduplicated(t *testing.T) {
	cc, b := newPF(t)
	rs := resolver.State{Endpoints: []resolver.Endpoint{
		{Addresses: []resolver.Address{{Addr: "a:1"}, {Addr: "b:1"}}},
		{Addresses: []resolver.Address{{Addr: "a:1"}, {Addr: "c:1"}}},
	}}
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: rs})
	var order []string
	for {
		scs := cc.SubConns()
		sc := scs[len(scs)-1]
		order = append(order, sc.Addrs[0].Addr)
		sc.SetState(connectivity.Connecting)
		sc.Fail(errors.New("down"))
		if len(cc.SubConns()) == len(scs) {
			break
		}
	}
	if got := strings.Join(order, ","); got != "a:1,b:1,c:1" {
		t.Fatalf("tried %s, want a:1,b:1,c:1", got)
	}
	wantState(t, cc, connectivity.TransientFailure)
}

func TestShuffleKeepsAddressesOfAnEndpointTogether(t *testing.T) {
	cc, b := newPF(t)
	orig := shuffle
	shuffle = func(n int, swap func(i, j int)) { swap(0, n-1) }
	defer func() { shuffle = orig }()
	rs := resolver.State{Endpoints: []resolver.Endpoint{
		{Addresses: []resolver.Address{{Addr: "a:1"}, {Addr: "a:2"}}},
		{Addresses: []resolver.Address{{Addr: "b:1"}}},
	}}
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: rs, BalancerConfig: &config{ShuffleAddressList: true}})
	if sc := cc.SubConns()[0]; sc.Addrs[0].Addr != "b:1" {
		t.Fatalf("first attempt on %v, want b:1", sc)
	}
	if rs.Endpoints[0].Addresses[0].Addr != "a:1" {
		t.Fatal("shuffling modified the resolver's slice")
	}
}

func TestResolverUpdateKeepsReadyConnection(t *testing.T) {
	cc, b := newPF(t)
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1", "b:1")})
	a := cc.SubConn("a:1")
	a.SetState(connectivity.Connecting)
	a.SetState(connectivity.Ready)
	n := len(cc.States())
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("c:1", "a:1")})
	if a.IsShutdown() || len(cc.States()) != n {
		t.Fatal("an update still listing the connected address disturbed it")
	}
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("c:1")})
	if !a.IsShutdown() {
		t.Fatal("connection to a removed address was kept")
	}
	wantState(t, cc, connectivity.Connecting)
	if c := cc.SubConn("c:1"); c == nil || c.Connects() != 1 {
		t.Fatal("c:1 not tried")
	}
}

func TestEmptyUpdateAndResolverErrors(t *testing.T) {
	cc, b := newPF(t)
	b.ResolverError(errors.New("no dns"))
	st := wantState(t, cc, connectivity.TransientFailure)
	if _, err := st.Picker.Pick(balancer.PickInfo{}); err == nil || err.Error() != "name resolver error: no dns" {
		t.Fatalf("Pick error %v", err)
	}
	if err := b.UpdateClientConnState(balancer.ClientConnState{}); err != balancer.ErrBadResolverState {
		t.Fatalf("empty update: %v, want ErrBadResolverState", err)
	}
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1")})
	wantState(t, cc, connectivity.Connecting)
	n := len(cc.States())
	b.ResolverError(errors.New("later"))
	if len(cc.States()) != n {
		t.Fatal("resolver error with a good address list changed the state")
	}
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1"), BalancerConfig: badConfig{}}); !errors.Is(err, balancer.ErrBadResolverState) {
		t.Fatalf("wrong config type: %v", err)
	}
}

type badConfig struct{ config }

func TestHealthListener(t *testing.T) {
	cc, b := newPF(t)
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: EnableHealthListener(stateOf("a:1"))})
	a := cc.SubConn("a:1")
	a.SetState(connectivity.Connecting)
	a.SetState(connectivity.Ready)
	wantState(t, cc, connectivity.Connecting)
	if !a.SetHealth(balancer.SubConnState{ConnectivityState: connectivity.Ready}) {
		t.Fatal("no health listener registered")
	}
	wantPick(t, wantState(t, cc, connectivity.Ready), a)
	a.SetHealth(balancer.SubConnState{ConnectivityState: connectivity.TransientFailure, ConnectionError: errors.New("NOT_SERVING")})
	st := wantState(t, cc, connectivity.TransientFailure)
	if _, err := st.Picker.Pick(balancer.PickInfo{}); err == nil || !strings.Contains(err.Error(), "health check failure: NOT_SERVING") {
		t.Fatalf("Pick error %v", err)
	}
}

func TestStaleSubConnUpdatesIgnored(t *testing.T) {
	cc, b := newPF(t)
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1")})
	a := cc.SubConn("a:1")
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("b:1")})
	n := len(cc.States())
	a.SetState(connectivity.Connecting)
	a.SetState(connectivity.Ready)
	if len(cc.States()) != n {
		t.Fatal("update from a removed SubConn changed the state")
	}
}

func TestInterleave(t *testing.T) {
	in := []string{"[::1]:1", "[::2]:1", "[::3]:1", "1.1.1.1:1", "host:1", "2.2.2.2:1"}
	var as []resolver.Address
	for _, a := range in {
		as = append(as, resolver.Address{Addr: a})
	}
	var got []string
	for _, a := range interleave(as) {
		got = append(got, a.Addr)
	}
	want := "[::1]:1 1.1.1.1:1 host:1 [::2]:1 2.2.2.2:1 [::3]:1"
	if strings.Join(got, " ") != want {
		t.Fatalf("interleave = %v, want %v", got, want)
	}
}

func TestHappyEyeballsOutOfTurnFailures(t *testing.T) {
	mt := useManualTimers(t)
	cc := fakes.NewClientConn()
	b := balancer.Get(Name).Build(cc, balancer.BuildOptions{})
	defer b.Close()
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: stateOf("a:1", "b:1")})
	a := cc.SubConn("a:1")
	a.SetState(connectivity.Connecting)
	mt.fire()
	bsc := cc.SubConn("b:1")
	bsc.SetState(connectivity.Connecting)
	// a:1 fails after the timer moved on: b:1 is still pending, so the
	// pass is not over.
	a.Fail(errors.New("a down"))
	wantState(t, cc, connectivity.Connecting)
	bsc.Fail(errors.New("b down"))
	wantState(t, cc, connectivity.TransientFailure)
	// The late attempt on a:1 may still win.
	a.SetState(connectivity.Idle)
	if a.Connects() != 2 {
		t.Fatalf("a:1 connected %d times, want a retry after backoff", a.Connects())
	}
	a.SetState(connectivity.Connecting)
	a.SetState(connectivity.Ready)
	wantPick(t, wantState(t, cc, connectivity.Ready), a)
}
