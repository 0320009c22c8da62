package dns

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/resolver/dns/internal"
	"google.golang.org/grpc/resolver"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, host, port string
		wantErr        string
	}{
		{in: "example.com", host: "example.com", port: "443"},
		{in: "example.com:80", host: "example.com", port: "80"},
		{in: "1.2.3.4", host: "1.2.3.4", port: "443"},
		{in: "::1", host: "::1", port: "443"},
		{in: "[::1]", host: "::1", port: "443"},
		{in: "[::1]:80", host: "::1", port: "80"},
		{in: ":80", host: "localhost", port: "80"},
		{in: "", wantErr: internal.ErrMissingAddr.Error()},
		{in: "[::1]:", wantErr: internal.ErrEndsWithColon.Error()},
		{in: "host:", wantErr: internal.ErrEndsWithColon.Error()},
		{in: "a:b:c:80x", wantErr: "invalid target address a:b:c:80x"},
	}
	for _, tc := range tests {
		host, port, err := splitTarget(tc.in, "443")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("splitTarget(%q) error = %v; want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || host != tc.host || port != tc.port {
			t.Errorf("splitTarget(%q) = %q, %q, %v; want %q, %q", tc.in, host, port, err, tc.host, tc.port)
		}
	}
}

func TestIPLiteral(t *testing.T) {
	defer leakcheck.Check(t)
	// Any lookup would be a bug; the fake holds no answers.
	f := &fakeNetResolver{}
	overrideNetResolver(t, f)
	for target, want := range map[string]string{
		"dns:///1.2.3.4":       "1.2.3.4:443",
		"dns:///1.2.3.4:80":    "1.2.3.4:80",
		"dns:///::1":           "[::1]:443",
		"dns:///[::1]:80":      "[::1]:80",
		"dns://8.8.8.8/[::1]":  "[::1]:443",
		"dns:///[fe80::1]:123": "[fe80::1]:123",
	} {
		cc := newTestClientConn()
		r, err := buildTarget(t, target, cc, resolver.BuildOptions{})
		if err != nil {
			t.Fatalf("Build(%q): %v", target, err)
		}
		// The state is reported synchronously from Build.
		select {
		case s := <-cc.states:
			if got := addrsOf(s); !slices.Equal(got, []string{want}) {
				t.Errorf("Build(%q) addresses = %v; want [%v]", target, got, want)
			}
			if len(s.Endpoints) != 1 || s.Endpoints[0].Addresses[0].Addr != want {
				t.Errorf("Build(%q) endpoints = %+v", target, s.Endpoints)
			}
		default:
			t.Errorf("Build(%q) reported no state", target)
		}
		r.ResolveNow(resolver.ResolveNowOptions{})
		r.Close()
	}
	if h, txt := f.counts(); h+txt != 0 {
		t.Errorf("IP literals caused %d host and %d TXT lookups", h, txt)
	}
}

func TestBuildErrors(t *testing.T) {
	for target, want := range map[string]string{
		"dns:///":           internal.ErrMissingAddr.Error(),
		"dns:///host:":      internal.ErrEndsWithColon.Error(),
		"dns://[::1]:/host": internal.ErrEndsWithColon.Error(),
	} {
		if _, err := buildTarget(t, target, newTestClientConn(), resolver.BuildOptions{}); err == nil || err.Error() != want {
			t.Errorf("Build(%q) error = %v; want %q", target, err, want)
		}
	}
}

func TestResolveAndReresolve(t *testing.T) {
	defer leakcheck.Check(t)
	clock := overrideClock(t)
	f := &fakeNetResolver{hosts: map[string][]string{"foo.test": {"1.1.1.1", "2001:db8::1"}}}
	authorities := overrideNetResolver(t, f)

	cc := newTestClientConn()
	r, err := buildTarget(t, "dns:///foo.test:1234", cc, resolver.BuildOptions{DisableServiceConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(*authorities) != 1 || (*authorities)[0] != "" {
		t.Errorf("net resolver requested for authorities %q; want [\"\"]", *authorities)
	}

	s := cc.nextState(t)
	want := []string{"1.1.1.1:1234", "[2001:db8::1]:1234"}
	if got := addrsOf(s); !slices.Equal(got, want) {
		t.Fatalf("addresses = %v; want %v", got, want)
	}
	if len(s.Endpoints) != 2 || s.Endpoints[1].Addresses[0].Addr != want[1] {
		t.Fatalf("endpoints = %+v; want one per address", s.Endpoints)
	}
	if s.ServiceConfig != nil {
		t.Errorf("ServiceConfig = %+v with service config disabled", s.ServiceConfig)
	}

	// After a success the resolver idles until asked; once asked it waits out
	// the rest of the minimum interval (all of it, as the clock is frozen).
	f.set(func(f *fakeNetResolver) { f.hosts["foo.test"] = []string{"3.3.3.3"} })
	r.ResolveNow(resolver.ResolveNowOptions{})
	if d := clock.nextWait(t); d != MinResolutionInterval {
		t.Errorf("wait after ResolveNow = %v; want %v", d, MinResolutionInterval)
	}
	// Requests arriving during the wait collapse into a single pending one.
	for range 5 {
		r.ResolveNow(resolver.ResolveNowOptions{})
	}
	clock.endWait(t)
	if got := addrsOf(cc.nextState(t)); !slices.Equal(got, []string{"3.3.3.3:1234"}) {
		t.Fatalf("addresses after re-resolution = %v", got)
	}
	clock.nextWait(t)
	clock.endWait(t)
	cc.nextState(t)

	r.Close()
	if h, txt := f.counts(); h != 3 || txt != 0 {
		t.Errorf("lookups = %d host, %d TXT; want 3 host (7 ResolveNow calls rate limited), 0 TXT", h, txt)
	}
}

func TestLookupErrorBackoff(t *testing.T) {
	defer leakcheck.Check(t)
	clock := overrideClock(t)
	f := &fakeNetResolver{
		hosts:   map[string][]string{"foo.test": {"1.1.1.1"}},
		hostErr: &net.DNSError{Err: "server misbehaving", Name: "foo.test", IsTemporary: true},
	}
	overrideNetResolver(t, f)

	cc := newTestClientConn()
	r, err := buildTarget(t, "dns:///foo.test", cc, resolver.BuildOptions{DisableServiceConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	err = cc.nextError(t)
	if !strings.HasPrefix(err.Error(), "dns: A record lookup error: ") {
		t.Errorf("reported error = %q", err)
	}
	// Failures are retried on the backoff schedule without a ResolveNow.
	if d := clock.nextWait(t); d <= 0 {
		t.Errorf("backoff = %v; want > 0", d)
	}
	clock.endWait(t)
	cc.nextError(t)
	clock.nextWait(t)

	f.set(func(f *fakeNetResolver) { f.hostErr = nil })
	clock.endWait(t)
	if got := addrsOf(cc.nextState(t)); !slices.Equal(got, []string{"1.1.1.1:443"}) {
		t.Fatalf("addresses after recovery = %v", got)
	}
}

func TestNotFoundIsEmptyResult(t *testing.T) {
	defer leakcheck.Check(t)
	overrideClock(t)
	f := &fakeNetResolver{}
	overrideNetResolver(t, f)

	cc := newTestClientConn()
	r, err := buildTarget(t, "dns:///missing.test", cc, resolver.BuildOptions{DisableServiceConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A definitive "no such host" is not an error for the resolver; the
	// channel decides what an empty address list means.
	if s := cc.nextState(t); len(s.Addresses) != 0 || len(s.Endpoints) != 0 {
		t.Fatalf("state = %+v; want no addresses", s)
	}
}

func TestBadARecord(t *testing.T) {
	defer leakcheck.Check(t)
	overrideClock(t)
	overrideNetResolver(t, &fakeNetResolver{hosts: map[string][]string{"foo.test": {"not-an-ip"}}})
	cc := newTestClientConn()
	r, err := buildTarget(t, "dns:///foo.test", cc, resolver.BuildOptions{DisableServiceConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := cc.nextError(t); !strings.HasPrefix(err.Error(), "dns: error parsing A record IP address not-an-ip: ") {
		t.Fatalf("error = %q", err)
	}
}

func TestUpdateStateErrorBacksOff(t *testing.T) {
	defer leakcheck.Check(t)
	clock := overrideClock(t)
	overrideNetResolver(t, &fakeNetResolver{hosts: map[string][]string{"foo.test": {"1.1.1.1"}}})
	cc := newTestClientConn()
	cc.setUpdateErr(errors.New("bad state"))
	r, err := buildTarget(t, "dns:///foo.test", cc, resolver.BuildOptions{DisableServiceConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cc.nextState(t)
	// A rejected update is retried without waiting for ResolveNow.
	clock.nextWait(t)
	cc.setUpdateErr(nil)
	clock.endWait(t)
	cc.nextState(t)
}

func TestCustomAuthority(t *testing.T) {
	defer leakcheck.Check(t)
	overrideClock(t)
	origDialer := internal.AddressDialer
	defer func() { internal.AddressDialer = origDialer }()
	dialed := make(chan string, 100)
	internal.AddressDialer = func(address string) func(context.Context, string, string) (net.Conn, error) {
		return func(context.Context, string, string) (net.Conn, error) {
			dialed <- address
			return nil, errors.New("no network in tests")
		}
	}

	for authority, want := range map[string]string{
		"127.0.0.1:5353": "127.0.0.1:5353",
		"127.0.0.1":      "127.0.0.1:53",
		"[::1]":          "[::1]:53",
	} {
		cc := newTestClientConn()
		r, err := buildTarget(t, "dns://"+authority+"/foo.invalid", cc, resolver.BuildOptions{DisableServiceConfig: true})
		if err != nil {
			t.Fatalf("Build with authority %q: %v", authority, err)
		}
		if got := <-dialed; got != want {
			t.Errorf("authority %q: dialed DNS server %q; want %q", authority, got, want)
		}
		r.Close()
		// The Go resolver may dial several times (A and AAAA, retries);
		// Close has waited for the lookup, so all those dials are queued.
		for len(dialed) > 0 {
			if got := <-dialed; got != want {
				t.Errorf("authority %q: dialed DNS server %q; want %q", authority, got, want)
			}
		}
	}

	nr, err := newNetResolver("")
	if err != nil || nr != net.DefaultResolver {
		t.Errorf("newNetResolver(\"\") = %v, %v; want net.DefaultResolver", nr, err)
	}
	if _, err := newNetResolver("host:"); err == nil {
		t.Error("newNetResolver(\"host:\") succeeded")
	}
}

// TestLocalhost performs a real lookup through the system resolver.
func TestLocalhost(t *testing.T) {
	defer leakcheck.Check(t)
	cc := newTestClientConn()
	r, err := buildTarget(t, "dns:///localhost:50051", cc, resolver.BuildOptions{DisableServiceConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := cc.nextState(t)
	got := addrsOf(s)
	if !slices.Contains(got, "127.0.0.1:50051") && !slices.Contains(got, "[::1]:50051") {
		t.Fatalf("localhost resolved to %v; want a loopback address", got)
	}
}
