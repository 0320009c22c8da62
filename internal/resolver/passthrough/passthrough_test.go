package passthrough

import (
	"context"
	"net"
	"net/url"
	"testing"

	"google.golang.org/grpc/resolver"
)

type fakeCC struct {
	resolver.ClientConn
	states []resolver.State
}

func (f *fakeCC) UpdateState(s resolver.State) error {
	f.states = append(f.states, s)
	return nil
}

func target(t *testing.T, s string) resolver.Target {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return resolver.Target{URL: *u}
}

func TestPassthrough(t *testing.T) {
	b := resolver.Get("passthrough")
	if b == nil {
		t.Fatal("passthrough resolver not registered")
	}
	cc := &fakeCC{}
	r, err := b.Build(target(t, "passthrough:///localhost:1234"), cc, resolver.BuildOptions{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	r.ResolveNow(resolver.ResolveNowOptions{})
	r.Close()
	if len(cc.states) != 1 || len(cc.states[0].Addresses) != 1 || cc.states[0].Addresses[0].Addr != "localhost:1234" {
		t.Fatalf("states = %+v; want one state with address localhost:1234", cc.states)
	}
}

func TestPassthroughEmpty(t *testing.T) {
	b := resolver.Get("passthrough")
	_, err := b.Build(target(t, "passthrough:///"), &fakeCC{}, resolver.BuildOptions{})
	if err == nil || err.Error() != "passthrough: received empty target in Build()" {
		t.Fatalf("Build(empty) error = %v", err)
	}
	// A custom dialer may accept an empty address.
	cc := &fakeCC{}
	dialer := func(context.Context, string) (net.Conn, error) { return nil, nil }
	if _, err := b.Build(target(t, "passthrough:///"), cc, resolver.BuildOptions{Dialer: dialer}); err != nil {
		t.Fatalf("Build(empty, custom dialer) = %v", err)
	}
	if len(cc.states) != 1 || cc.states[0].Addresses[0].Addr != "" {
		t.Fatalf("states = %+v; want one empty address", cc.states)
	}
}
