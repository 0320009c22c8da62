package unix

import (
	"net/url"
	"testing"

	"google.golang.org/grpc/internal/resolver/networktype"
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

func TestUnix(t *testing.T) {
	tests := []struct {
		target   string
		wantAddr string
	}{
		{"unix:///tmp/sock", "/tmp/sock"},
		{"unix:relative/sock", "relative/sock"},
		{"unix-abstract:name", "@name"},
		{"unix-abstract:///name", "@/name"},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		b := resolver.Get(u.Scheme)
		if b == nil {
			t.Fatalf("%s resolver not registered", u.Scheme)
		}
		cc := &fakeCC{}
		r, err := b.Build(resolver.Target{URL: *u}, cc, resolver.BuildOptions{})
		if err != nil {
			t.Fatalf("Build(%q): %v", tc.target, err)
		}
		r.ResolveNow(resolver.ResolveNowOptions{})
		r.Close()
		if len(cc.states) != 1 || len(cc.states[0].Addresses) != 1 {
			t.Fatalf("Build(%q) states = %+v; want one address", tc.target, cc.states)
		}
		a := cc.states[0].Addresses[0]
		if a.Addr != tc.wantAddr {
			t.Errorf("Build(%q) address = %q; want %q", tc.target, a.Addr, tc.wantAddr)
		}
		if nt, ok := networktype.Get(a); !ok || nt != "unix" {
			t.Errorf("Build(%q) network type = %q, %v; want unix", tc.target, nt, ok)
		}
		if got := b.(resolver.AuthorityOverrider).OverrideAuthority(resolver.Target{URL: *u}); got != "localhost" {
			t.Errorf("OverrideAuthority = %q; want localhost", got)
		}
	}
}

func TestUnixAuthority(t *testing.T) {
	u, _ := url.Parse("unix://host/tmp/sock")
	_, err := resolver.Get("unix").Build(resolver.Target{URL: *u}, &fakeCC{}, resolver.BuildOptions{})
	if err == nil || err.Error() != "invalid (non-empty) authority: host" {
		t.Fatalf("Build with authority: err = %v", err)
	}
}
