package authz

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// The JSON shapes of an authorization policy (gRFC A43). Field names are
// matched by encoding/json, case-insensitively, and unknown fields are an
// error so that a typo cannot silently widen a policy.
type (
	jsonPolicy struct {
		Name                string
		DenyRules           []jsonRule       `json:"deny_rules"`
		AllowRules          []jsonRule       `json:"allow_rules"`
		AuditLoggingOptions jsonAuditOptions `json:"audit_logging_options"`
	}
	jsonRule struct {
		Name    string
		Source  struct{ Principals []string }
		Request struct {
			Paths   []string
			Headers []jsonHeader
		}
	}
	jsonHeader struct {
		Key    string
		Values []string
	}
	jsonAuditOptions struct {
		AuditCondition string            `json:"audit_condition"`
		AuditLoggers   []jsonAuditLogger `json:"audit_loggers"`
	}
	jsonAuditLogger struct {
		Name       string          `json:"name"`
		Config     json.RawMessage `json:"config"`
		IsOptional bool            `json:"is_optional"`
	}
)

// matchKind is how a policy string is compared with a request value.
type matchKind int

const (
	exact    matchKind = iota
	prefix             // "abc*"
	suffix             // "*abc"
	nonEmpty           // "*" alone: any value but the empty string
)

// strMatcher is one policy string, compiled.
type strMatcher struct {
	kind matchKind
	s    string
}

// compileString interprets the single-"*" wildcard syntax. A trailing star
// wins over a leading one, so "*a*" is the prefix "*a".
func compileString(v string) strMatcher {
	switch {
	case v == "*":
		return strMatcher{kind: nonEmpty}
	case strings.HasSuffix(v, "*"):
		return strMatcher{kind: prefix, s: strings.TrimSuffix(v, "*")}
	case strings.HasPrefix(v, "*"):
		return strMatcher{kind: suffix, s: strings.TrimPrefix(v, "*")}
	default:
		return strMatcher{kind: exact, s: v}
	}
}

func (m strMatcher) match(v string) bool {
	switch m.kind {
	case prefix:
		return strings.HasPrefix(v, m.s)
	case suffix:
		return strings.HasSuffix(v, m.s)
	case nonEmpty:
		return v != ""
	default:
		return v == m.s
	}
}

// anyOf reports whether one of ms matches v.
func anyOf(ms []strMatcher, v string) bool {
	for _, m := range ms {
		if m.match(v) {
			return true
		}
	}
	return false
}

// headerRule matches when header key is present and its values, joined
// with commas as HTTP would fold them, match one of values.
type headerRule struct {
	key    string
	values []strMatcher
}

// rule is one compiled allow or deny rule. A nil principals or paths list
// means the rule does not constrain that part of the request; all headers
// must match.
type rule struct {
	name       string
	principals []strMatcher
	paths      []strMatcher
	headers    []headerRule
}

// policy is a compiled authorization policy.
type policy struct {
	name  string
	deny  []rule
	allow []rule
}

// hopByHopHeaders are connection-level HTTP headers. They, pseudo-headers
// and grpc-* headers are set by the transport rather than the caller, so a
// policy that mentions them is rejected rather than left to never match.
var hopByHopHeaders = map[string]bool{
	"host": true, "connection": true, "keep-alive": true, "proxy-authenticate": true,
	"proxy-authorization": true, "te": true, "trailer": true, "transfer-encoding": true, "upgrade": true,
}

// auditConditions are the values audit_condition may take.
var auditConditions = map[string]bool{"NONE": true, "ON_DENY": true, "ON_ALLOW": true, "ON_DENY_AND_ALLOW": true}

// parsePolicy validates and compiles a JSON policy.
func parsePolicy(s string) (*policy, error) {
	var jp jsonPolicy
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.DisallowUnknownFields()
	if err := d.Decode(&jp); err != nil {
		return nil, fmt.Errorf("failed to unmarshal policy: %v", err)
	}
	if jp.Name == "" {
		return nil, errors.New(`"name" is not present`)
	}
	if len(jp.AllowRules) == 0 {
		return nil, errors.New(`"allow_rules" is not present`)
	}
	if err := checkAudit(jp.AuditLoggingOptions); err != nil {
		return nil, err
	}
	deny, err := compileRules(jp.DenyRules)
	if err != nil {
		return nil, fmt.Errorf(`"deny_rules" %v`, err)
	}
	allow, err := compileRules(jp.AllowRules)
	if err != nil {
		return nil, fmt.Errorf(`"allow_rules" %v`, err)
	}
	return &policy{name: jp.Name, deny: deny, allow: allow}, nil
}

// checkAudit validates audit_logging_options. Audit loggers are not
// implemented here, so, as when none is registered, a required logger is an
// error and an optional one is ignored.
func checkAudit(o jsonAuditOptions) error {
	if o.AuditCondition != "" && !auditConditions[o.AuditCondition] {
		return fmt.Errorf("failed to parse AuditCondition %v. Allowed values {NONE, ON_DENY, ON_ALLOW, ON_DENY_AND_ALLOW}", o.AuditCondition)
	}
	for i, l := range o.AuditLoggers {
		if l.Name == "" {
			return fmt.Errorf("missing required field: name in audit_logging_options.audit_loggers[%v]", i)
		}
		if len(l.Config) > 0 && string(l.Config) != "null" && !bytes.HasPrefix(bytes.TrimSpace(l.Config), []byte("{")) {
			return fmt.Errorf("audit_logging_options.audit_loggers[%v]: config must be a JSON object", i)
		}
		if !l.IsOptional {
			return fmt.Errorf("no builder registered for %v", l.Name)
		}
	}
	return nil
}

func compileRules(rules []jsonRule) ([]rule, error) {
	out := make([]rule, 0, len(rules))
	// Rules are keyed by name: a later rule with an existing name replaces
	// the earlier one, as in grpc-go where rules become map entries.
	index := make(map[string]int)
	for i, jr := range rules {
		if jr.Name == "" {
			return nil, fmt.Errorf(`%d: "name" is not present`, i)
		}
		r := rule{name: jr.Name}
		for _, p := range jr.Source.Principals {
			r.principals = append(r.principals, compileString(p))
		}
		for _, p := range jr.Request.Paths {
			r.paths = append(r.paths, compileString(p))
		}
		for j, h := range jr.Request.Headers {
			if h.Key == "" {
				return nil, fmt.Errorf(`%d: "headers" %d: "key" is not present`, i, j)
			}
			key := strings.ToLower(h.Key)
			if key[0] == ':' || strings.HasPrefix(key, "grpc-") || hopByHopHeaders[key] {
				return nil, fmt.Errorf(`%d: "headers" %d: unsupported "key" %s`, i, j, key)
			}
			if len(h.Values) == 0 {
				return nil, fmt.Errorf(`%d: "headers" %d: "values" is not present`, i, j)
			}
			hr := headerRule{key: key}
			for _, v := range h.Values {
				hr.values = append(hr.values, compileString(v))
			}
			r.headers = append(r.headers, hr)
		}
		if k, ok := index[r.name]; ok {
			out[k] = r
			continue
		}
		index[r.name] = len(out)
		out = append(out, r)
	}
	return out, nil
}

// request is what rules are matched against.
type request struct {
	method string
	md     metadata.MD
	// tls is whether the peer connected over TLS; principals never match
	// otherwise, since only TLS identifies the peer.
	tls   bool
	certs []*x509.Certificate
}

// requestFromContext gathers the request's properties from a server
// handler's context.
func requestFromContext(ctx context.Context) (*request, error) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return nil, errors.New("missing metadata in incoming context")
	}
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, errors.New("missing peer info in incoming context")
	}
	m, ok := grpc.Method(ctx)
	if !ok {
		return nil, errors.New("missing method in incoming context")
	}
	r := &request{method: m, md: md}
	switch ti := p.AuthInfo.(type) {
	case credentials.TLSInfo:
		r.tls, r.certs = true, ti.State.PeerCertificates
	case *credentials.TLSInfo:
		r.tls, r.certs = true, ti.State.PeerCertificates
	}
	return r, nil
}

// principalMatches applies one principal pattern to the peer's identity:
// with no client certificate the identity is the empty string; otherwise it
// is the certificate's URI SANs if it has any, else its DNS SANs if any,
// else its subject.
func (r *request) principalMatches(m strMatcher) bool {
	if !r.tls {
		return false
	}
	if len(r.certs) == 0 {
		return m.match("")
	}
	c := r.certs[0]
	if len(c.URIs) > 0 {
		for _, u := range c.URIs {
			if m.match(u.String()) {
				return true
			}
		}
		return false
	}
	if len(c.DNSNames) > 0 {
		for _, n := range c.DNSNames {
			if m.match(n) {
				return true
			}
		}
		return false
	}
	return m.match(c.Subject.String())
}

func (r *request) matches(ru *rule) bool {
	if ru.principals != nil {
		ok := false
		for _, p := range ru.principals {
			if r.principalMatches(p) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if ru.paths != nil && !anyOf(ru.paths, r.method) {
		return false
	}
	for _, h := range ru.headers {
		vs, ok := r.md[h.key]
		if !ok || !anyOf(h.values, strings.Join(vs, ",")) {
			return false
		}
	}
	return true
}

// decide returns the name of the rule that decided, and whether the request
// is allowed: a matching deny rule refuses it, otherwise a matching allow
// rule admits it, and a request matching no rule is refused.
func (p *policy) decide(r *request) (string, bool) {
	for i := range p.deny {
		if r.matches(&p.deny[i]) {
			return p.deny[i].name, false
		}
	}
	for i := range p.allow {
		if r.matches(&p.allow[i]) {
			return p.allow[i].name, true
		}
	}
	return "", false
}
