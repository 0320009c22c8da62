package authz

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
)

func TestParsePolicyErrors(t *testing.T) {
	for _, tc := range []struct{ policy, wantErr string }{
		{`{`, "failed to unmarshal policy"},
		{`{"name": "p", "allow_rules": [{"name": "r"}], "typo": 1}`, "unknown field"},
		{`{"allow_rules": [{"name": "r"}]}`, `"name" is not present`},
		{`{"name": "p"}`, `"allow_rules" is not present`},
		{`{"name": "p", "allow_rules": [{}]}`, `"allow_rules" 0: "name" is not present`},
		{`{"name": "p", "allow_rules": [{"name": "r"}], "deny_rules": [{"name": "d"}, {}]}`, `"deny_rules" 1: "name" is not present`},
		{`{"name": "p", "allow_rules": [{"name": "r", "request": {"headers": [{"values": ["v"]}]}}]}`, `"key" is not present`},
		{`{"name": "p", "allow_rules": [{"name": "r", "request": {"headers": [{"key": "k"}]}}]}`, `"values" is not present`},
		{`{"name": "p", "allow_rules": [{"name": "r", "request": {"headers": [{"key": ":path", "values": ["v"]}]}}]}`, `unsupported "key" :path`},
		{`{"name": "p", "allow_rules": [{"name": "r", "request": {"headers": [{"key": "Host", "values": ["v"]}]}}]}`, `unsupported "key" host`},
		{`{"name": "p", "allow_rules": [{"name": "r", "request": {"headers": [{"key": "grpc-timeout", "values": ["v"]}]}}]}`, `unsupported "key" grpc-timeout`},
		{`{"name": "p", "allow_rules": [{"name": "r", "request": {"headers": [{"key": "te", "values": ["v"]}]}}]}`, `unsupported "key" te`},
		{`{"name": "p", "allow_rules": [{"name": "r"}], "audit_logging_options": {"audit_condition": "SOMETIMES"}}`, "failed to parse AuditCondition"},
		{`{"name": "p", "allow_rules": [{"name": "r"}], "audit_logging_options": {"audit_loggers": [{"name": "authz_test_unregistered"}]}}`, "no builder registered for authz_test_unregistered"},
		{`{"name": "p", "allow_rules": [{"name": "r"}], "audit_logging_options": {"audit_loggers": [{"is_optional": true}]}}`, "missing required field: name"},
	} {
		_, err := NewStatic(tc.policy)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("NewStatic(%s) = %v, want error containing %q", tc.policy, err, tc.wantErr)
		}
	}
	ok := `{"name": "p", "allow_rules": [{"name": "r"}], "audit_logging_options": {"audit_condition": "ON_DENY",
		"audit_loggers": [{"name": "custom", "config": {"a": 1}, "is_optional": true}]}}`
	if _, err := NewStatic(ok); err != nil {
		t.Errorf("policy with only optional audit loggers: %v", err)
	}
}

func cert(subject string, dns []string, uris ...string) []*x509.Certificate {
	c := &x509.Certificate{Subject: pkix.Name{CommonName: subject}, DNSNames: dns}
	for _, u := range uris {
		pu, _ := url.Parse(u)
		c.URIs = append(c.URIs, pu)
	}
	return []*x509.Certificate{c}
}

func TestDecide(t *testing.T) {
	const pol = `{
		"name": "authz",
		"deny_rules": [
			{"name": "no-admin", "request": {"paths": ["/pkg.Admin/*"]}},
			{"name": "no-bad-header", "request": {"headers": [{"key": "X-Env", "values": ["*-test"]}]}}
		],
		"allow_rules": [
			{"name": "spiffe-client", "source": {"principals": ["spiffe://example.com/*"]}},
			{"name": "dns-client", "source": {"principals": ["*.example.org"]}, "request": {"paths": ["/pkg.Svc/Get"]}},
			{"name": "subject-client", "source": {"principals": ["CN=legacy"]}},
			{"name": "no-cert", "source": {"principals": [""]}, "request": {"paths": ["/pkg.Svc/Public"]}},
			{"name": "header", "request": {"paths": ["*/List"], "headers": [
				{"key": "x-user", "values": ["alice", "bob"]},
				{"key": "x-tags", "values": ["a,b*"]}]}},
			{"name": "anyone", "request": {"paths": ["/pkg.Open/*"]}},
			{"name": "any-cert", "source": {"principals": ["*"]}, "request": {"paths": ["/pkg.Certs/Do"]}}
		]
	}`
	s, err := NewStatic(pol)
	if err != nil {
		t.Fatal(err)
	}
	spiffe := cert("x", []string{"a.example.org"}, "spiffe://example.com/svc")
	for _, tc := range []struct {
		name string
		req  request
		rule string
		ok   bool
	}{
		{"uri san", request{method: "/pkg.Svc/Any", tls: true, certs: spiffe}, "spiffe-client", true},
		// URI SANs take precedence: the DNS SAN is not considered.
		{"uri san shadows dns", request{method: "/pkg.Svc/Get", tls: true, certs: cert("x", []string{"a.example.org"}, "spiffe://other/x")}, "", false},
		{"dns san", request{method: "/pkg.Svc/Get", tls: true, certs: cert("x", []string{"z.example.com", "a.example.org"})}, "dns-client", true},
		{"dns san wrong path", request{method: "/pkg.Svc/Put", tls: true, certs: cert("x", []string{"a.example.org"})}, "", false},
		{"subject", request{method: "/pkg.Svc/X", tls: true, certs: cert("legacy", nil)}, "subject-client", true},
		{"tls without client cert", request{method: "/pkg.Svc/Public", tls: true}, "no-cert", true},
		{"plaintext is not an empty principal", request{method: "/pkg.Svc/Public"}, "", false},
		{"star needs a certificate", request{method: "/pkg.Certs/Do", tls: true}, "", false},
		{"star with certificate", request{method: "/pkg.Certs/Do", tls: true, certs: cert("anything", nil)}, "any-cert", true},
		{"star over plaintext", request{method: "/pkg.Certs/Do"}, "", false},
		{"deny beats allow", request{method: "/pkg.Admin/Reset", tls: true, certs: spiffe}, "no-admin", false},
		{"deny by header suffix", request{method: "/pkg.Open/X", md: metadata.Pairs("x-env", "qa-test")}, "no-bad-header", false},
		{"open to all", request{method: "/pkg.Open/X", md: metadata.Pairs("x-env", "prod")}, "anyone", true},
		{"headers all match", request{method: "/a.B/List", md: metadata.Pairs("x-user", "bob", "x-tags", "a", "x-tags", "bc")}, "header", true},
		{"one header missing", request{method: "/a.B/List", md: metadata.Pairs("x-user", "bob")}, "", false},
		{"header value differs", request{method: "/a.B/List", md: metadata.Pairs("x-user", "carol", "x-tags", "a,b")}, "", false},
		{"no rule matches", request{method: "/pkg.Svc/Get"}, "", false},
	} {
		rule, ok := s.policy.decide(&tc.req)
		if rule != tc.rule || ok != tc.ok {
			t.Errorf("%s: decide = %q, %v; want %q, %v", tc.name, rule, ok, tc.rule, tc.ok)
		}
	}
}

func TestCompileString(t *testing.T) {
	for _, tc := range []struct {
		pattern, value string
		want           bool
	}{
		{"*", "x", true}, {"*", "", false},
		{"abc*", "abcd", true}, {"abc*", "xabc", false},
		{"*abc", "xabc", true}, {"*abc", "abcx", false},
		{"*a*", "*ab", true}, {"*a*", "ba", false},
		{"abc", "abc", true}, {"abc", "ABC", false},
		{"", "", true}, {"", "x", false},
	} {
		if got := compileString(tc.pattern).match(tc.value); got != tc.want {
			t.Errorf("%q matching %q = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}

func TestDuplicateRuleNamesReplace(t *testing.T) {
	s, err := NewStatic(`{"name": "p", "allow_rules": [
		{"name": "r", "request": {"paths": ["/a.B/C"]}},
		{"name": "r", "request": {"paths": ["/a.B/D"]}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.policy.decide(&request{method: "/a.B/C"}); ok {
		t.Error("the first of two same-named rules still applies")
	}
	if _, ok := s.policy.decide(&request{method: "/a.B/D"}); !ok {
		t.Error("the last of two same-named rules does not apply")
	}
}
