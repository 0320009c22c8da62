package dns

import (
	"errors"
	"net"
	"testing"

	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

const scJSON = `{"loadBalancingConfig":[{"round_robin":{}}]}`

func overrideCanary(t *testing.T, host string, draw int) {
	t.Helper()
	origRand, origHost := randIntN, hostname
	randIntN = func(int) int { return draw }
	hostname = func() (string, error) { return host, nil }
	t.Cleanup(func() { randIntN, hostname = origRand, origHost })
}

func TestSelectServiceConfig(t *testing.T) {
	// The drawn percentile is 50 (randIntN returns 49).
	overrideCanary(t, "myhost", 49)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"malformed", "{not json", ""},
		{"not a list", `{"serviceConfig":{}}`, ""},
		{"no selectors", `[{"serviceConfig":{"a":1}}]`, `{"a":1}`},
		{"no config in choice", `[{"clientLanguage":["GO"]}]`, ""},
		{"language mismatch then match",
			`[{"clientLanguage":["CPP","JAVA"],"serviceConfig":{"a":1}},{"clientLanguage":["GO"],"serviceConfig":{"b":2}}]`, `{"b":2}`},
		{"language is case sensitive", `[{"clientLanguage":["go"],"serviceConfig":{"a":1}}]`, ""},
		{"percentage selected", `[{"percentage":50,"serviceConfig":{"a":1}}]`, `{"a":1}`},
		{"percentage not selected", `[{"percentage":49,"serviceConfig":{"a":1}},{"serviceConfig":{"b":2}}]`, `{"b":2}`},
		{"percentage zero", `[{"percentage":0,"serviceConfig":{"a":1}}]`, ""},
		{"hostname match", `[{"clientHostname":["other","myhost"],"serviceConfig":{"a":1}}]`, `{"a":1}`},
		{"hostname mismatch", `[{"clientHostname":["other"],"serviceConfig":{"a":1}}]`, ""},
		{"grpc-go spelling of hostname key", `[{"clientHostName":["other"],"serviceConfig":{"a":1}}]`, ""},
		{"first applicable wins", `[{"serviceConfig":{"a":1}},{"serviceConfig":{"b":2}}]`, `{"a":1}`},
	}
	for _, tc := range tests {
		if got := selectServiceConfig(tc.in); got != tc.want {
			t.Errorf("%s: selectServiceConfig(%s) = %q; want %q", tc.name, tc.in, got, tc.want)
		}
	}

	hostname = func() (string, error) { return "", errors.New("no hostname") }
	if got := selectServiceConfig(`[{"serviceConfig":{"a":1}}]`); got != "" {
		t.Errorf("selectServiceConfig without hostname = %q; want \"\"", got)
	}
}

// resolveOnce builds a resolver for foo.test, returns its first state and
// closes it.
func resolveOnce(t *testing.T, f *fakeNetResolver, opts resolver.BuildOptions) resolver.State {
	t.Helper()
	overrideClock(t)
	overrideNetResolver(t, f)
	cc := newTestClientConn()
	r, err := buildTarget(t, "dns:///foo.test", cc, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return cc.nextState(t)
}

func configJSON(t *testing.T, pr *serviceconfig.ParseResult) string {
	t.Helper()
	if pr == nil || pr.Err != nil {
		t.Fatalf("ServiceConfig = %+v; want a parsed config", pr)
	}
	return pr.Config.(parsedSC).json
}

func TestTXTServiceConfig(t *testing.T) {
	defer leakcheck.Check(t)
	overrideCanary(t, "myhost", 0)
	f := &fakeNetResolver{
		hosts: map[string][]string{"foo.test": {"1.1.1.1"}},
		// Long records arrive split into several strings.
		txts: map[string][]string{"_grpc_config.foo.test": {`grpc_config=[{"serviceConfig":`, scJSON + `}]`}},
	}
	s := resolveOnce(t, f, resolver.BuildOptions{})
	if got := configJSON(t, s.ServiceConfig); got != scJSON {
		t.Errorf("service config = %s; want %s", got, scJSON)
	}
}

func TestTXTServiceConfigDisabled(t *testing.T) {
	defer leakcheck.Check(t)
	f := &fakeNetResolver{
		hosts: map[string][]string{"foo.test": {"1.1.1.1"}},
		txts:  map[string][]string{"_grpc_config.foo.test": {`grpc_config=[{"serviceConfig":` + scJSON + `}]`}},
	}
	s := resolveOnce(t, f, resolver.BuildOptions{DisableServiceConfig: true})
	if s.ServiceConfig != nil {
		t.Errorf("ServiceConfig = %+v; want nil", s.ServiceConfig)
	}
	if _, txt := f.counts(); txt != 0 {
		t.Errorf("%d TXT lookups with service config disabled", txt)
	}
}

func TestTXTWithoutAttribute(t *testing.T) {
	defer leakcheck.Check(t)
	f := &fakeNetResolver{
		hosts: map[string][]string{"foo.test": {"1.1.1.1"}},
		txts:  map[string][]string{"_grpc_config.foo.test": {`v=spf1 -all`}},
	}
	if s := resolveOnce(t, f, resolver.BuildOptions{}); s.ServiceConfig != nil {
		t.Errorf("ServiceConfig = %+v; want nil", s.ServiceConfig)
	}
}

func TestTXTNoMatchingChoice(t *testing.T) {
	defer leakcheck.Check(t)
	f := &fakeNetResolver{
		hosts: map[string][]string{"foo.test": {"1.1.1.1"}},
		txts:  map[string][]string{"_grpc_config.foo.test": {`grpc_config=[{"clientLanguage":["CPP"],"serviceConfig":{}}]`}},
	}
	// As in grpc-go, the empty selection is still handed to the channel,
	// which rejects it.
	if s := resolveOnce(t, f, resolver.BuildOptions{}); s.ServiceConfig == nil || s.ServiceConfig.Err != errEmptyConfig {
		t.Errorf("ServiceConfig = %+v; want the parse error for an empty config", s.ServiceConfig)
	}
}

func TestTXTErrors(t *testing.T) {
	defer leakcheck.Check(t)
	origIgnore := ignoreTXTErrors
	defer func() { ignoreTXTErrors = origIgnore }()
	temporary := &net.DNSError{Err: "timeout", Name: "_grpc_config.foo.test", IsTimeout: true}

	// Ignored by default.
	ignoreTXTErrors = true
	f := &fakeNetResolver{hosts: map[string][]string{"foo.test": {"1.1.1.1"}}, txtErr: temporary}
	if s := resolveOnce(t, f, resolver.BuildOptions{}); s.ServiceConfig != nil {
		t.Errorf("ServiceConfig = %+v; want nil when TXT errors are ignored", s.ServiceConfig)
	}

	ignoreTXTErrors = false
	s := resolveOnce(t, f, resolver.BuildOptions{})
	if s.ServiceConfig == nil || s.ServiceConfig.Err == nil {
		t.Fatalf("ServiceConfig = %+v; want an error", s.ServiceConfig)
	}
	if got, want := s.ServiceConfig.Err.Error(), "dns: TXT record lookup error: lookup _grpc_config.foo.test: timeout"; got != want {
		t.Errorf("error = %q; want %q", got, want)
	}
	if len(s.Addresses) != 1 {
		t.Errorf("addresses = %v; a TXT failure must not hide the addresses", s.Addresses)
	}

	// A missing record is never an error.
	f = &fakeNetResolver{hosts: map[string][]string{"foo.test": {"1.1.1.1"}}}
	if s := resolveOnce(t, f, resolver.BuildOptions{}); s.ServiceConfig != nil {
		t.Errorf("ServiceConfig = %+v; want nil for a missing TXT record", s.ServiceConfig)
	}
}
