package manual_test

import (
	"errors"
	"net/url"
	"testing"

	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

type fakeCC struct {
	resolver.ClientConn
	states []resolver.State
	err    error
}

func (f *fakeCC) UpdateState(s resolver.State) error {
	f.states = append(f.states, s)
	return f.err
}

func TestManual(t *testing.T) {
	defer leakcheck.Check(t)

	r := manual.NewBuilderWithScheme("whatever")
	if r.Scheme() != "whatever" {
		t.Fatalf("Scheme() = %q", r.Scheme())
	}
	var built resolver.Target
	r.BuildCallback = func(tg resolver.Target, _ resolver.ClientConn, _ resolver.BuildOptions) { built = tg }
	cbErrs := make(chan error, 10)
	r.UpdateStateCallback = func(err error) { cbErrs <- err }
	resolveNows, closes := 0, 0
	r.ResolveNowCallback = func(resolver.ResolveNowOptions) { resolveNows++ }
	r.CloseCallback = func() { closes++ }

	func() {
		defer func() {
			if recover() == nil {
				t.Error("CC() before Build did not panic")
			}
		}()
		r.CC()
	}()

	initial := resolver.State{Addresses: []resolver.Address{{Addr: "a"}}}
	r.InitialState(initial)

	cc := &fakeCC{err: errors.New("rejected")}
	u, _ := url.Parse("whatever:///x")
	rr, err := r.Build(resolver.Target{URL: *u}, cc, resolver.BuildOptions{})
	if err != nil || rr != r {
		t.Fatalf("Build() = %v, %v; want the manual resolver itself", rr, err)
	}
	if built.Endpoint() != "x" {
		t.Errorf("BuildCallback got target %v", built)
	}
	if r.CC() != cc {
		t.Error("CC() does not return the built ClientConn")
	}
	// The initial state is replayed to the ClientConn at Build, and its
	// result delivered to UpdateStateCallback.
	if err := <-cbErrs; err == nil || err.Error() != "rejected" {
		t.Errorf("UpdateStateCallback after Build got %v", err)
	}
	if len(cc.states) != 1 || cc.states[0].Addresses[0].Addr != "a" {
		t.Fatalf("states after Build = %+v", cc.states)
	}

	cc.err = nil
	r.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: "b"}}})
	if err := <-cbErrs; err != nil {
		t.Errorf("UpdateStateCallback got %v; want nil", err)
	}
	if len(cc.states) != 2 || cc.states[1].Addresses[0].Addr != "b" {
		t.Fatalf("states after UpdateState = %+v", cc.states)
	}

	r.ResolveNow(resolver.ResolveNowOptions{})
	r.Close()
	if resolveNows != 1 || closes != 1 {
		t.Errorf("ResolveNow/Close callbacks ran %d/%d times; want 1/1", resolveNows, closes)
	}

	// Rebuilding (as after channel idleness) replays the latest state.
	cc2 := &fakeCC{}
	if _, err := r.Build(resolver.Target{URL: *u}, cc2, resolver.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	<-cbErrs
	if len(cc2.states) != 1 || cc2.states[0].Addresses[0].Addr != "b" {
		t.Fatalf("states after rebuild = %+v", cc2.states)
	}
}

func TestUpdateStateBeforeBuild(t *testing.T) {
	defer leakcheck.Check(t)

	r := manual.NewBuilderWithScheme("whatever")
	// With the default callbacks nothing must panic.
	r.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: "early"}}})
	cc := &fakeCC{}
	u, _ := url.Parse("whatever:///x")
	if _, err := r.Build(resolver.Target{URL: *u}, cc, resolver.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(cc.states) != 1 || cc.states[0].Addresses[0].Addr != "early" {
		t.Fatalf("states = %+v; want the state set before Build", cc.states)
	}
	r.ResolveNow(resolver.ResolveNowOptions{})
	r.Close()
}
