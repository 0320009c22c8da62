package base

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/internal/fakes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/resolver"
)

// recordingBuilder remembers the READY sets it was given.
type recordingBuilder struct {
	builds []map[balancer.SubConn]SubConnInfo
}

func (r *recordingBuilder) Build(info PickerBuildInfo) balancer.Picker {
	r.builds = append(r.builds, info.ReadySCs)
	return NewErrPicker(errors.New("test picker"))
}

func addrs(as ...string) resolver.State {
	var s resolver.State
	for _, a := range as {
		s.Addresses = append(s.Addresses, resolver.Address{Addr: a})
	}
	return s
}

func TestBaseConnectsEveryAddress(t *testing.T) {
	cc := fakes.NewClientConn()
	pb := &recordingBuilder{}
	b := NewBalancerBuilder("test", pb, Config{HealthCheck: true}).Build(cc, balancer.BuildOptions{})
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: addrs("a:1", "b:1")}); err != nil {
		t.Fatal(err)
	}
	scs := cc.SubConns()
	if len(scs) != 2 {
		t.Fatalf("%d SubConns, want 2", len(scs))
	}
	for _, sc := range scs {
		if sc.Connects() != 1 {
			t.Fatalf("%v connected %d times, want 1", sc, sc.Connects())
		}
	}
	if got := cc.LastState().ConnectivityState; got != connectivity.Connecting {
		t.Fatalf("state %v, want CONNECTING", got)
	}

	scs[0].SetState(connectivity.Connecting)
	scs[0].SetState(connectivity.Ready)
	if got := cc.LastState().ConnectivityState; got != connectivity.Ready {
		t.Fatalf("state %v, want READY", got)
	}
	last := pb.builds[len(pb.builds)-1]
	if len(last) != 1 || last[scs[0]].Address.Addr != "a:1" {
		t.Fatalf("picker built with %v, want only a:1", last)
	}

	// A dropped connection is redialled straight away.
	scs[0].SetState(connectivity.Idle)
	if scs[0].Connects() != 2 {
		t.Fatalf("Connect called %d times after IDLE, want 2", scs[0].Connects())
	}

	// Removing an address shuts its SubConn down.
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: addrs("a:1")}); err != nil {
		t.Fatal(err)
	}
	if !scs[1].IsShutdown() || scs[0].IsShutdown() {
		t.Fatal("only b:1 should have been shut down")
	}
	scs[1].DeliverShutdown()
}

func TestBaseTransientFailureIsSticky(t *testing.T) {
	cc := fakes.NewClientConn()
	b := NewBalancerBuilder("test", &recordingBuilder{}, Config{}).Build(cc, balancer.BuildOptions{})
	b.UpdateClientConnState(balancer.ClientConnState{ResolverState: addrs("a:1")})
	sc := cc.SubConns()[0]
	sc.SetState(connectivity.Connecting)
	sc.Fail(errors.New("refused"))
	st := cc.LastState()
	if st.ConnectivityState != connectivity.TransientFailure {
		t.Fatalf("state %v, want TRANSIENT_FAILURE", st.ConnectivityState)
	}
	if _, err := st.Picker.Pick(balancer.PickInfo{}); err == nil || !strings.Contains(err.Error(), "last connection error: refused") {
		t.Fatalf("Pick error %v, want the connection error", err)
	}
	n := len(cc.States())
	sc.SetState(connectivity.Idle)
	sc.SetState(connectivity.Connecting)
	if len(cc.States()) != n {
		t.Fatal("retries after a failure should not change the reported state")
	}
	if sc.Connects() != 2 {
		t.Fatalf("Connect called %d times, want 2", sc.Connects())
	}
}

func TestBaseNoAddresses(t *testing.T) {
	cc := fakes.NewClientConn()
	b := NewBalancerBuilder("test", &recordingBuilder{}, Config{}).Build(cc, balancer.BuildOptions{})
	if err := b.UpdateClientConnState(balancer.ClientConnState{}); err != balancer.ErrBadResolverState {
		t.Fatalf("err %v, want ErrBadResolverState", err)
	}
	st := cc.LastState()
	if st.ConnectivityState != connectivity.TransientFailure {
		t.Fatalf("state %v, want TRANSIENT_FAILURE", st.ConnectivityState)
	}
	if _, err := st.Picker.Pick(balancer.PickInfo{}); err == nil || !strings.Contains(err.Error(), "produced zero addresses") {
		t.Fatalf("Pick error %v", err)
	}
}

func TestErrPicker(t *testing.T) {
	want := errors.New("x")
	for _, p := range []balancer.Picker{NewErrPicker(want), NewErrPickerV2(want)} {
		if _, err := p.Pick(balancer.PickInfo{}); err != want {
			t.Fatalf("Pick error %v, want %v", err, want)
		}
	}
}
