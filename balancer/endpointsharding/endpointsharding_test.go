package endpointsharding

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/internal/fakes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

// stubChild is a child policy whose state the test sets directly.
type stubChild struct {
	cc       balancer.ClientConn
	updates  []balancer.ClientConnState
	exitIdle chan struct{}
	closed   bool
}

func (c *stubChild) UpdateClientConnState(s balancer.ClientConnState) error {
	c.updates = append(c.updates, s)
	return nil
}
func (c *stubChild) ResolverError(error)                                        {}
func (c *stubChild) UpdateSubConnState(balancer.SubConn, balancer.SubConnState) {}
func (c *stubChild) Close()                                                     { c.closed = true }
func (c *stubChild) ExitIdle()                                                  { c.exitIdle <- struct{}{} }

func (c *stubChild) report(s connectivity.State, name string) {
	c.cc.UpdateState(balancer.State{ConnectivityState: s, Picker: namedPicker(name)})
}

type namedPicker string

func (p namedPicker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	return balancer.PickResult{}, errors.New(string(p))
}

type testConfig struct {
	serviceconfig.LoadBalancingConfig
}

func setup(t *testing.T, opts Options) (*fakes.ClientConn, balancer.Balancer, *[]*stubChild) {
	t.Helper()
	orig := randIntN
	randIntN = func(int) int { return 0 }
	t.Cleanup(func() { randIntN = orig })
	children := &[]*stubChild{}
	build := func(cc balancer.ClientConn, _ balancer.BuildOptions) balancer.Balancer {
		c := &stubChild{cc: cc, exitIdle: make(chan struct{}, 10)}
		*children = append(*children, c)
		return c
	}
	cc := fakes.NewClientConn()
	return cc, NewBalancer(cc, balancer.BuildOptions{}, build, opts), children
}

func ep(addrs ...string) resolver.Endpoint {
	var e resolver.Endpoint
	for _, a := range addrs {
		e.Addresses = append(e.Addresses, resolver.Address{Addr: a})
	}
	return e
}

func pickName(t *testing.T, p balancer.Picker) string {
	t.Helper()
	_, err := p.Pick(balancer.PickInfo{})
	return err.Error()
}

func TestChildPerEndpointAndAggregation(t *testing.T) {
	cc, b, children := setup(t, Options{DisableAutoReconnect: true})
	cfg := testConfig{}
	rs := resolver.State{Endpoints: []resolver.Endpoint{ep("a", "a2"), ep("b"), ep("a2", "a")}}
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: rs, BalancerConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	if len(*children) != 2 {
		t.Fatalf("%d children, want 2 (duplicate endpoint ignored)", len(*children))
	}
	a, bc := (*children)[0], (*children)[1]
	if got := a.updates[0]; len(got.ResolverState.Endpoints) != 1 || got.ResolverState.Endpoints[0].Addresses[0].Addr != "a" || got.BalancerConfig != cfg {
		t.Fatalf("child got %+v, want only its endpoint and the config", got)
	}

	a.report(connectivity.Connecting, "a")
	bc.report(connectivity.TransientFailure, "b")
	st := cc.LastState()
	if st.ConnectivityState != connectivity.Connecting || pickName(t, st.Picker) != "a" {
		t.Fatalf("got %v, want CONNECTING using child a's picker", st.ConnectivityState)
	}
	bc.report(connectivity.Ready, "b")
	st = cc.LastState()
	if st.ConnectivityState != connectivity.Ready || pickName(t, st.Picker) != "b" {
		t.Fatalf("got %v, want READY using child b's picker", st.ConnectivityState)
	}
	a.report(connectivity.Ready, "a")
	st = cc.LastState()
	seen := map[string]int{}
	for range 10 {
		seen[pickName(t, st.Picker)]++
	}
	if seen["a"] != 5 || seen["b"] != 5 {
		t.Fatalf("picks %v, want alternation", seen)
	}

	states := ChildStatesFromPicker(st.Picker)
	if len(states) != 2 || states[0].Endpoint.Addresses[0].Addr != "a" || states[1].State.ConnectivityState != connectivity.Ready {
		t.Fatalf("ChildStatesFromPicker = %+v", states)
	}
	if ChildStatesFromPicker(namedPicker("x")) != nil {
		t.Fatal("ChildStatesFromPicker of a foreign picker should be nil")
	}

	// Dropping an endpoint closes its child.
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: resolver.State{Endpoints: []resolver.Endpoint{ep("b")}}})
	if !a.closed || bc.closed {
		t.Fatal("wrong child closed")
	}
	if len(ChildStatesFromPicker(cc.LastState().Picker)) != 1 {
		t.Fatal("closed child still listed")
	}
	b.Close()
	if !bc.closed {
		t.Fatal("Close did not close the children")
	}
}

func TestIdleChildren(t *testing.T) {
	defer leakcheck.Check(t)
	for _, disable := range []bool{false, true} {
		cc, b, children := setup(t, Options{DisableAutoReconnect: disable})
		b.UpdateClientConnState(balancer.ClientConnState{ResolverState: resolver.State{Endpoints: []resolver.Endpoint{ep("a")}}})
		c := (*children)[0]
		c.report(connectivity.Idle, "a")
		if disable {
			select {
			case <-c.exitIdle:
				t.Fatal("ExitIdle called despite DisableAutoReconnect")
			default:
			}
			ChildStatesFromPicker(cc.LastState().Picker)[0].ExitIdle()
		}
		select {
		case <-c.exitIdle:
		case <-time.After(10 * time.Second):
			t.Fatalf("DisableAutoReconnect=%v: child never asked to exit IDLE", disable)
		}
		b.ExitIdle()
		<-c.exitIdle
		b.Close()
	}
}

func TestNoEndpoints(t *testing.T) {
	cc, b, _ := setup(t, Options{})
	if err := b.UpdateClientConnState(balancer.ClientConnState{}); err != balancer.ErrBadResolverState {
		t.Fatalf("err %v, want ErrBadResolverState", err)
	}
	st := cc.LastState()
	if st.ConnectivityState != connectivity.TransientFailure || pickName(t, st.Picker) != "no children to pick from" {
		t.Fatalf("got %v / %v", st.ConnectivityState, pickName(t, st.Picker))
	}
}

func TestAddressesWithoutEndpoints(t *testing.T) {
	_, b, children := setup(t, Options{})
	rs := resolver.State{Addresses: []resolver.Address{{Addr: "a"}, {Addr: "b"}}}
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: rs}); err != nil {
		t.Fatal(err)
	}
	if len(*children) != 2 {
		t.Fatalf("%d children, want one per address", len(*children))
	}
}
