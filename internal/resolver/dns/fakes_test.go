package dns

import (
	"context"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/internal/resolver/dns/internal"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

// testTimeout only guards against a hung test; nothing waits for it in the
// normal course of a test.
const testTimeout = 10 * time.Second

// fakeNetResolver serves canned answers and counts lookups.
type fakeNetResolver struct {
	mu          sync.Mutex
	hosts       map[string][]string
	hostErr     error
	txts        map[string][]string
	txtErr      error
	hostLookups int
	txtLookups  int
}

func (f *fakeNetResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hostLookups++
	if f.hostErr != nil {
		return nil, f.hostErr
	}
	if addrs, ok := f.hosts[host]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (f *fakeNetResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txtLookups++
	if f.txtErr != nil {
		return nil, f.txtErr
	}
	if txts, ok := f.txts[name]; ok {
		return txts, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeNetResolver) set(fn func(f *fakeNetResolver)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeNetResolver) counts() (host, txt int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hostLookups, f.txtLookups
}

// overrideNetResolver makes every resolver built during the test use f and
// records the authorities asked for.
func overrideNetResolver(t *testing.T, f *fakeNetResolver) *[]string {
	t.Helper()
	orig := internal.NewNetResolver
	var authorities []string
	internal.NewNetResolver = func(authority string) (internal.NetResolver, error) {
		authorities = append(authorities, authority)
		return f, nil
	}
	t.Cleanup(func() { internal.NewNetResolver = orig })
	return &authorities
}

// fakeClock freezes time and lets the test end each wait explicitly: the
// resolver's requested wait durations appear on waits, and a wait ends when
// the test sends on fire.
type fakeClock struct {
	waits chan time.Duration
	fire  chan time.Time
}

func overrideClock(t *testing.T) *fakeClock {
	t.Helper()
	origAfter, origNow := internal.TimeAfterFunc, internal.TimeNowFunc
	c := &fakeClock{waits: make(chan time.Duration, 100), fire: make(chan time.Time)}
	now := time.Unix(1_000_000, 0)
	internal.TimeNowFunc = func() time.Time { return now }
	internal.TimeAfterFunc = func(d time.Duration) <-chan time.Time {
		c.waits <- d
		return c.fire
	}
	t.Cleanup(func() { internal.TimeAfterFunc, internal.TimeNowFunc = origAfter, origNow })
	return c
}

func (c *fakeClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(testTimeout):
		t.Fatal("timed out waiting for the resolver to start a wait")
		return 0
	}
}

func (c *fakeClock) endWait(t *testing.T) {
	t.Helper()
	select {
	case c.fire <- time.Time{}:
	case <-time.After(testTimeout):
		t.Fatal("timed out ending the resolver's wait")
	}
}

// parsedSC lets tests see which JSON the resolver asked to parse.
type parsedSC struct {
	serviceconfig.Config
	json string
}

// testClientConn records what the resolver reports.
type testClientConn struct {
	resolver.ClientConn
	states chan resolver.State
	errs   chan error

	mu        sync.Mutex
	updateErr error
}

func newTestClientConn() *testClientConn {
	return &testClientConn{states: make(chan resolver.State, 100), errs: make(chan error, 100)}
}

func (cc *testClientConn) UpdateState(s resolver.State) error {
	cc.states <- s
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.updateErr
}

func (cc *testClientConn) setUpdateErr(err error) {
	cc.mu.Lock()
	cc.updateErr = err
	cc.mu.Unlock()
}

func (cc *testClientConn) ReportError(err error) { cc.errs <- err }

func (cc *testClientConn) ParseServiceConfig(js string) *serviceconfig.ParseResult {
	if js == "" {
		return &serviceconfig.ParseResult{Err: errEmptyConfig}
	}
	return &serviceconfig.ParseResult{Config: parsedSC{json: js}}
}

var errEmptyConfig = errorString("no JSON service config provided")

type errorString string

func (e errorString) Error() string { return string(e) }

func (cc *testClientConn) nextState(t *testing.T) resolver.State {
	t.Helper()
	select {
	case s := <-cc.states:
		return s
	case err := <-cc.errs:
		t.Fatalf("got error %v; want a state update", err)
	case <-time.After(testTimeout):
		t.Fatal("timed out waiting for a state update")
	}
	return resolver.State{}
}

func (cc *testClientConn) nextError(t *testing.T) error {
	t.Helper()
	select {
	case err := <-cc.errs:
		return err
	case s := <-cc.states:
		t.Fatalf("got state %+v; want an error", s)
	case <-time.After(testTimeout):
		t.Fatal("timed out waiting for an error")
	}
	return nil
}

func buildTarget(t *testing.T, target string, cc resolver.ClientConn, opts resolver.BuildOptions) (resolver.Resolver, error) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", target, err)
	}
	return resolver.Get("dns").Build(resolver.Target{URL: *u}, cc, opts)
}

func addrsOf(s resolver.State) []string {
	var out []string
	for _, a := range s.Addresses {
		out = append(out, a.Addr)
	}
	return out
}
