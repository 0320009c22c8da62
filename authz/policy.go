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
	"google.golang.org/grpc/authz/audit"
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
	audit auditing
}

// auditCondition says which decisions are given to the audit loggers.
type auditCondition int

const (
	auditNone auditCondition = iota
	auditOnDeny
	auditOnAllow
	auditOnDenyAndAllow
)

// auditConditions maps the values audit_condition may take.
var auditConditions = map[string]auditCondition{
	"NONE":              auditNone,
	"ON_DENY":           auditOnDeny,
	"ON_ALLOW":          auditOnAllow,
	"ON_DENY_AND_ALLOW": auditOnDenyAndAllow,
}

// auditing is a policy's audit logging: the loggers built for it, in the
// order the policy lists them, and when to call them.
type auditing struct {
	condition auditCondition
	loggers   []audit.Logger
}

// wants reports whether a decision with the given outcome is audited.
func (a *auditing) wants(authorized bool) bool {
	if len(a.loggers) == 0 {
		return false
	}
	switch a.condition {
	case auditOnDenyAndAllow:
		return true
	case auditOnAllow:
		return authorized
	case auditOnDeny:
		return !authorized
	}
	return false
}

// hopByHopHeaders are connection-level HTTP headers. They, pseudo-headers
// and grpc-* headers are set by the transport rather than the caller, so a
// policy that mentions them is rejected rather than left to never match.
var hopByHopHeaders = map[string]bool{
	"host": true, "connection": true, "keep-alive": true, "proxy-authenticate": true,
	"proxy-authorization": true, "te": true, "trailer": true, "transfer-encoding": true, "upgrade": true,
}

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
	cond, err := checkAudit(jp.AuditLoggingOptions)
	if err != nil {
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
	loggers, err := buildLoggers(jp.AuditLoggingOptions.AuditLoggers)
	if err != nil {
		return nil, err
	}
	return &policy{name: jp.Name, deny: deny, allow: allow, audit: auditing{condition: cond, loggers: loggers}}, nil
}

// checkAudit validates the shape of audit_logging_options and returns its
// condition, NONE when absent.
func checkAudit(o jsonAuditOptions) (auditCondition, error) {
	cond := auditNone
	if o.AuditCondition != "" {
		c, ok := auditConditions[o.AuditCondition]
		if !ok {
			return 0, fmt.Errorf("failed to parse AuditCondition %v. Allowed values {NONE, ON_DENY, ON_ALLOW, ON_DENY_AND_ALLOW}", o.AuditCondition)
		}
		cond = c
	}
	for i, l := range o.AuditLoggers {
		if l.Name == "" {
			return 0, fmt.Errorf("missing required field: name in audit_logging_options.audit_loggers[%v]", i)
		}
		if len(l.Config) > 0 && string(l.Config) != "null" && !bytes.HasPrefix(bytes.TrimSpace(l.Config), []byte("{")) {
			return 0, fmt.Errorf("failed to unmarshal policy: audit_logging_options.audit_loggers[%v]: config must be a JSON object", i)
		}
	}
	return cond, nil
}

// buildLoggers builds the audit loggers a policy names, using the builders
// registered with package audit. A logger whose name has no builder is an
// error unless it is marked optional, in which case it is left out. Each
// builder is given the logger's config as a JSON object, "{}" when the
// policy has none.
func buildLoggers(ls []jsonAuditLogger) ([]audit.Logger, error) {
	var out []audit.Logger
	for _, l := range ls {
		b := audit.GetLoggerBuilder(l.Name)
		if b == nil {
			if l.IsOptional {
				continue
			}
			return nil, fmt.Errorf("no builder registered for %v", l.Name)
		}
		cfg := json.RawMessage("{}")
		if len(l.Config) > 0 && string(l.Config) != "null" {
			var buf bytes.Buffer
			if err := json.Compact(&buf, l.Config); err != nil {
				return nil, fmt.Errorf("custom config could not be parsed by registered factory. error: %v", err)
			}
			cfg = buf.Bytes()
		}
		c, err := b.ParseLoggerConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("custom config could not be parsed by registered factory. error: %v", err)
		}
		out = append(out, b.Build(c))
	}
	return out, nil
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
	// spiffeID is the peer's SPIFFE ID, if it has one; it is the principal
	// reported to audit loggers.
	spiffeID string
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
		if ti.SPIFFEID != nil {
			r.spiffeID = ti.SPIFFEID.String()
		}
	case *credentials.TLSInfo:
		r.tls, r.certs = true, ti.State.PeerCertificates
		if ti.SPIFFEID != nil {
			r.spiffeID = ti.SPIFFEID.String()
		}
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

// auditDecision gives the decision decide reached for r to the policy's
// audit loggers if its condition asks for it. The reported rule is
// qualified with the policy's name, as "<policy>_<rule>", and is empty when
// the request was refused for matching no allow rule.
func (p *policy) auditDecision(r *request, rule string, authorized bool) {
	if !p.audit.wants(authorized) {
		return
	}
	if rule != "" {
		rule = p.name + "_" + rule
	}
	e := &audit.Event{
		FullMethodName: r.method,
		Principal:      r.spiffeID,
		PolicyName:     p.name,
		MatchedRule:    rule,
		Authorized:     authorized,
	}
	for _, l := range p.audit.loggers {
		l.Log(e)
	}
}
