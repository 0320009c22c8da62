package grpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"google.golang.org/grpc/internal"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/codes"
	internalserviceconfig "google.golang.org/grpc/internal/serviceconfig"
	"google.golang.org/grpc/serviceconfig"
)

// MethodConfig is what a service config says about the RPCs of one method,
// one service, or all of them.
//
// Deprecated: service configs should reach the channel through the name
// resolver (https://github.com/grpc/grpc/blob/master/doc/service_config.md);
// applications have no reason to build or inspect this type.
type MethodConfig = internalserviceconfig.MethodConfig

// ServiceConfig is a parsed and validated service config: the settings a
// service owner recommends to its clients.
//
// Deprecated: service configs should reach the channel through the name
// resolver (https://github.com/grpc/grpc/blob/master/doc/service_config.md);
// applications have no reason to build or inspect this type.
type ServiceConfig struct {
	// The embedded interface makes *ServiceConfig a serviceconfig.Config,
	// whose only method is unexported; it is always nil.
	serviceconfig.Config

	// Methods maps "/service/method", "/service/" and "" (the default) to
	// the method config that applies; see methodConfig for the lookup
	// order.
	Methods map[string]MethodConfig

	// lbConfig is the chosen load balancing policy; nil means the config
	// names none and the channel uses pick_first.
	lbConfig *internalserviceconfig.BalancerConfig
	// retryThrottling is nil when retries and hedges are not throttled.
	retryThrottling *retryThrottlingPolicy
	// healthCheckConfig is nil when the config does not ask for client-side
	// health checking.
	healthCheckConfig *healthCheckConfig
	// rawJSONString is the document this config was parsed from; it is how
	// two configs are compared.
	rawJSONString string
}

// retryThrottlingPolicy is the validated "retryThrottling" object (gRFC A6).
// The channel keeps one token bucket per config; see retryThrottler.
type retryThrottlingPolicy struct {
	// MaxTokens is the bucket size, in (0, 1000]. Retries and hedges stop
	// while the bucket holds MaxTokens/2 or fewer tokens.
	MaxTokens float64
	// TokenRatio is what each successful RPC puts back. gRFC A6 gives it
	// three decimal places, so the parser rounds it to a multiple of 0.001
	// (and never below 0.001, so a positive ratio always refills).
	TokenRatio float64
}

// healthCheckConfig is the "healthCheckConfig" object: which service name
// client-side health checks ask about.
type healthCheckConfig struct {
	// ServiceName is the name sent in health check requests; nil when the
	// object leaves it out.
	ServiceName *string
}

// scDefaultMaxAttempts is the attempt limit used when the caller passes no
// usable one; it matches the default of WithMaxCallAttempts.
const scDefaultMaxAttempts = 5

func init() {
	internal.ParseServiceConfig = func(js string) *serviceconfig.ParseResult {
		return parseServiceConfig(js, defaultMaxCallAttempts)
	}
}

// parseServiceConfig parses and validates the service config document js.
// maxAttempts is the channel's WithMaxCallAttempts limit: retry and hedging
// policies asking for more attempts are cut down to it (values below 2 fall
// back to the default of 5, as the dial option itself does). Any violation
// of gRFC A2/A6 rules makes the whole document invalid: a config the channel
// cannot fully honour is reported, never half applied.
func parseServiceConfig(js string, maxAttempts int) *serviceconfig.ParseResult {
	if maxAttempts < 2 {
		maxAttempts = scDefaultMaxAttempts
	}
	sc, err := parseServiceConfigDoc(js, maxAttempts)
	if err != nil {
		return &serviceconfig.ParseResult{Err: fmt.Errorf("grpc: invalid service config: %w", err)}
	}
	return &serviceconfig.ParseResult{Config: sc}
}

// serviceConfigJSON holds the top-level fields still in JSON form, so each
// can be parsed on its own and errors can name the field. encoding/json
// matches keys case-insensitively, which keeps grpc-go's leniency, and it
// skips unknown keys, so configs written for newer clients still load.
type serviceConfigJSON struct {
	LoadBalancingPolicy json.RawMessage
	LoadBalancingConfig json.RawMessage
	MethodConfig        json.RawMessage
	RetryThrottling     json.RawMessage
	HealthCheckConfig   json.RawMessage
}

func parseServiceConfigDoc(js string, maxAttempts int) (*ServiceConfig, error) {
	doc := []byte(js)
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) == 0 {
		return nil, errors.New("empty document")
	}
	if !json.Valid(doc) {
		// Decoding again only to get encoding/json's description of what is
		// wrong, including the byte offset.
		var v any
		err := json.Unmarshal(doc, &v)
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if trimmed[0] != '{' {
		return nil, errors.New("the document must be a JSON object")
	}
	var top serviceConfigJSON
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, err
	}

	sc := &ServiceConfig{
		Methods:       make(map[string]MethodConfig),
		rawJSONString: js,
	}
	var err error
	if sc.lbConfig, err = parseLBConfig(top.LoadBalancingConfig, top.LoadBalancingPolicy); err != nil {
		return nil, err
	}
	if err := parseMethodConfigs(top.MethodConfig, maxAttempts, sc.Methods); err != nil {
		return nil, err
	}
	if sc.retryThrottling, err = parseRetryThrottling(top.RetryThrottling); err != nil {
		return nil, fmt.Errorf("retryThrottling: %w", err)
	}
	if sc.healthCheckConfig, err = parseHealthCheckConfig(top.HealthCheckConfig); err != nil {
		return nil, fmt.Errorf("healthCheckConfig: %w", err)
	}
	return sc, nil
}

// absent reports whether a field was left out or set to null; the two mean
// the same thing in a service config.
func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// parseLBConfig chooses the load balancing policy. The loadBalancingConfig
// list takes precedence; the deprecated loadBalancingPolicy name is only
// consulted without it. A nil result means neither is present.
func parseLBConfig(list, policy json.RawMessage) (*internalserviceconfig.BalancerConfig, error) {
	if !absent(list) {
		bc := new(internalserviceconfig.BalancerConfig)
		if err := bc.UnmarshalJSON(list); err != nil {
			return nil, err
		}
		return bc, nil
	}
	if absent(policy) {
		return nil, nil
	}
	var name string
	if err := json.Unmarshal(policy, &name); err != nil {
		return nil, fmt.Errorf("loadBalancingPolicy must be a policy name: %v", err)
	}
	builder := balancer.Get(name)
	if builder == nil {
		return nil, fmt.Errorf("loadBalancingPolicy %q is not a registered policy", name)
	}
	bc := &internalserviceconfig.BalancerConfig{Name: name}
	// A bare name means "this policy with its defaults", so a policy that
	// takes a config is given an empty one, and must accept it.
	if parser, ok := builder.(balancer.ConfigParser); ok {
		cfg, err := parser.ParseConfig(json.RawMessage("{}"))
		if err != nil {
			return nil, fmt.Errorf("loadBalancingPolicy %q rejects an empty config: %v", name, err)
		}
		bc.Config = cfg
	}
	return bc, nil
}

// methodConfigJSON is one "methodConfig" entry with its fields unparsed.
type methodConfigJSON struct {
	Name                    json.RawMessage
	WaitForReady            json.RawMessage
	Timeout                 json.RawMessage
	MaxRequestMessageBytes  json.RawMessage
	MaxResponseMessageBytes json.RawMessage
	RetryPolicy             json.RawMessage
	HedgingPolicy           json.RawMessage
}

// methodNameJSON is one element of a method config's "name" list.
type methodNameJSON struct {
	Service string
	Method  string
}

// parseMethodConfigs parses the "methodConfig" list into methods, keyed by
// the paths methodConfig looks up. Entries are validated even when their
// name list is empty, since an invalid entry is an invalid config whether
// or not it applies to anything.
func parseMethodConfigs(raw json.RawMessage, maxAttempts int, methods map[string]MethodConfig) error {
	if absent(raw) {
		return nil
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return fmt.Errorf("methodConfig must be a list: %v", err)
	}
	for i, entry := range entries {
		paths, mc, err := parseMethodConfig(entry, maxAttempts)
		if err != nil {
			return fmt.Errorf("methodConfig[%d]: %w", i, err)
		}
		for _, p := range paths {
			// A name claimed twice would make the outcome depend on list
			// order, which the service owner surely did not intend.
			if _, dup := methods[p]; dup {
				return fmt.Errorf("methodConfig[%d]: name %q appears more than once", i, describePath(p))
			}
			methods[p] = mc
		}
	}
	return nil
}

// describePath renders a method config key for error messages.
func describePath(p string) string {
	if p == "" {
		return "<default>"
	}
	return p
}

func parseMethodConfig(raw json.RawMessage, maxAttempts int) ([]string, MethodConfig, error) {
	var mc MethodConfig
	var m methodConfigJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, mc, fmt.Errorf("want an object: %v", err)
	}

	var paths []string
	if !absent(m.Name) {
		var names []methodNameJSON
		if err := json.Unmarshal(m.Name, &names); err != nil {
			return nil, mc, fmt.Errorf("name must be a list of {service, method} objects: %v", err)
		}
		for j, n := range names {
			switch {
			case n.Service == "" && n.Method != "":
				return nil, mc, fmt.Errorf("name[%d]: method %q given without a service", j, n.Method)
			case n.Service == "":
				paths = append(paths, "")
			default:
				paths = append(paths, "/"+n.Service+"/"+n.Method)
			}
		}
	}

	if !absent(m.WaitForReady) {
		var b bool
		if err := json.Unmarshal(m.WaitForReady, &b); err != nil {
			return nil, mc, fmt.Errorf("waitForReady must be a boolean: %v", err)
		}
		mc.WaitForReady = &b
	}
	if !absent(m.Timeout) {
		var d internalserviceconfig.Duration
		if err := d.UnmarshalJSON(m.Timeout); err != nil {
			return nil, mc, fmt.Errorf("timeout: %v", err)
		}
		t := time.Duration(d)
		mc.Timeout = &t
	}
	var err error
	if mc.MaxReqSize, err = parseMessageLimit(m.MaxRequestMessageBytes); err != nil {
		return nil, mc, fmt.Errorf("maxRequestMessageBytes: %w", err)
	}
	if mc.MaxRespSize, err = parseMessageLimit(m.MaxResponseMessageBytes); err != nil {
		return nil, mc, fmt.Errorf("maxResponseMessageBytes: %w", err)
	}

	// gRFC A6: a method is either retried or hedged, never both.
	if !absent(m.RetryPolicy) && !absent(m.HedgingPolicy) {
		return nil, mc, errors.New("retryPolicy and hedgingPolicy are mutually exclusive")
	}
	if mc.RetryPolicy, err = parseRetryPolicy(m.RetryPolicy, maxAttempts); err != nil {
		return nil, mc, fmt.Errorf("retryPolicy: %w", err)
	}
	if mc.HedgingPolicy, err = parseHedgingPolicy(m.HedgingPolicy, maxAttempts); err != nil {
		return nil, mc, fmt.Errorf("hedgingPolicy: %w", err)
	}
	return paths, mc, nil
}

// parseMessageLimit reads a message size limit. Sizes past what an int can
// hold are clamped, since they mean "no practical limit".
func parseMessageLimit(raw json.RawMessage) (*int, error) {
	if absent(raw) {
		return nil, nil
	}
	v, err := parseJSONInteger(raw)
	if err != nil {
		return nil, err
	}
	if v < 0 {
		return nil, fmt.Errorf("must not be negative, got %d", v)
	}
	n := math.MaxInt
	if v < int64(math.MaxInt) {
		n = int(v)
	}
	return &n, nil
}

// retryPolicyJSON is a "retryPolicy" object with its fields unparsed.
type retryPolicyJSON struct {
	MaxAttempts          json.RawMessage
	InitialBackoff       json.RawMessage
	MaxBackoff           json.RawMessage
	BackoffMultiplier    json.RawMessage
	RetryableStatusCodes json.RawMessage
}

// parseRetryPolicy validates a retry policy by the rules of gRFC A6: every
// field is required, maxAttempts must allow at least one retry, the backoff
// values must be positive and at least one status code must be retryable.
func parseRetryPolicy(raw json.RawMessage, maxAttempts int) (*internalserviceconfig.RetryPolicy, error) {
	if absent(raw) {
		return nil, nil
	}
	var p retryPolicyJSON
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("want an object: %v", err)
	}
	rp := &internalserviceconfig.RetryPolicy{}
	var err error
	if rp.MaxAttempts, err = parseMaxAttempts(p.MaxAttempts, maxAttempts); err != nil {
		return nil, err
	}
	if rp.InitialBackoff, err = parsePositiveDuration("initialBackoff", p.InitialBackoff); err != nil {
		return nil, err
	}
	if rp.MaxBackoff, err = parsePositiveDuration("maxBackoff", p.MaxBackoff); err != nil {
		return nil, err
	}
	if absent(p.BackoffMultiplier) {
		return nil, errors.New("backoffMultiplier is required")
	}
	if rp.BackoffMultiplier, err = parseJSONFloat(p.BackoffMultiplier); err != nil {
		return nil, fmt.Errorf("backoffMultiplier: %w", err)
	}
	if rp.BackoffMultiplier <= 0 {
		return nil, fmt.Errorf("backoffMultiplier must be positive, got %v", rp.BackoffMultiplier)
	}
	if absent(p.RetryableStatusCodes) {
		return nil, errors.New("retryableStatusCodes is required")
	}
	if rp.RetryableStatusCodes, err = parseStatusCodes(p.RetryableStatusCodes); err != nil {
		return nil, fmt.Errorf("retryableStatusCodes: %w", err)
	}
	if len(rp.RetryableStatusCodes) == 0 {
		return nil, errors.New("retryableStatusCodes must not be empty")
	}
	return rp, nil
}

// hedgingPolicyJSON is a "hedgingPolicy" object with its fields unparsed.
type hedgingPolicyJSON struct {
	MaxAttempts         json.RawMessage
	HedgingDelay        json.RawMessage
	NonFatalStatusCodes json.RawMessage
}

// parseHedgingPolicy validates a hedging policy (gRFC A6). Only maxAttempts
// is required; no delay means all attempts start together, and no non-fatal
// codes means the first failure ends the RPC.
func parseHedgingPolicy(raw json.RawMessage, maxAttempts int) (*internalserviceconfig.HedgingPolicy, error) {
	if absent(raw) {
		return nil, nil
	}
	var p hedgingPolicyJSON
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("want an object: %v", err)
	}
	hp := &internalserviceconfig.HedgingPolicy{NonFatalStatusCodes: map[codes.Code]bool{}}
	var err error
	if hp.MaxAttempts, err = parseMaxAttempts(p.MaxAttempts, maxAttempts); err != nil {
		return nil, err
	}
	if !absent(p.HedgingDelay) {
		var d internalserviceconfig.Duration
		if err := d.UnmarshalJSON(p.HedgingDelay); err != nil {
			return nil, fmt.Errorf("hedgingDelay: %v", err)
		}
		if d < 0 {
			return nil, fmt.Errorf("hedgingDelay must not be negative, got %v", d)
		}
		hp.HedgingDelay = time.Duration(d)
	}
	if !absent(p.NonFatalStatusCodes) {
		if hp.NonFatalStatusCodes, err = parseStatusCodes(p.NonFatalStatusCodes); err != nil {
			return nil, fmt.Errorf("nonFatalStatusCodes: %w", err)
		}
	}
	return hp, nil
}

// parseMaxAttempts reads a policy's maxAttempts, which counts the original
// attempt and so must be at least 2, and caps it at the channel's limit.
func parseMaxAttempts(raw json.RawMessage, limit int) (int, error) {
	if absent(raw) {
		return 0, errors.New("maxAttempts is required")
	}
	v, err := parseJSONInteger(raw)
	if err != nil {
		return 0, fmt.Errorf("maxAttempts: %w", err)
	}
	if v < 2 {
		return 0, fmt.Errorf("maxAttempts must be greater than 1, got %d", v)
	}
	if v > int64(limit) {
		return limit, nil
	}
	return int(v), nil
}

func parsePositiveDuration(field string, raw json.RawMessage) (time.Duration, error) {
	if absent(raw) {
		return 0, fmt.Errorf("%s is required", field)
	}
	var d internalserviceconfig.Duration
	if err := d.UnmarshalJSON(raw); err != nil {
		return 0, fmt.Errorf("%s: %v", field, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s must be positive, got %v", field, d)
	}
	return time.Duration(d), nil
}

// parseStatusCodes reads a list of status codes, each either a canonical
// name such as "UNAVAILABLE" or its number, into a set.
func parseStatusCodes(raw json.RawMessage) (map[codes.Code]bool, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("want a list of status codes: %v", err)
	}
	set := make(map[codes.Code]bool, len(list))
	for i, elem := range list {
		// codes.Code treats null as "leave unchanged", which here would
		// silently mean OK.
		if absent(elem) {
			return nil, fmt.Errorf("element %d is null", i)
		}
		var c codes.Code
		if err := c.UnmarshalJSON(elem); err != nil {
			return nil, fmt.Errorf("element %d: %v", i, err)
		}
		set[c] = true
	}
	return set, nil
}

// retryThrottlingJSON is a "retryThrottling" object with its fields
// unparsed.
type retryThrottlingJSON struct {
	MaxTokens  json.RawMessage
	TokenRatio json.RawMessage
}

// parseRetryThrottling validates a throttling policy: gRFC A6 bounds
// maxTokens to (0, 1000] and requires a positive tokenRatio. Both are kept to
// three decimal places, the precision A6 promises.
func parseRetryThrottling(raw json.RawMessage) (*retryThrottlingPolicy, error) {
	if absent(raw) {
		return nil, nil
	}
	var p retryThrottlingJSON
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("want an object: %v", err)
	}
	if absent(p.MaxTokens) {
		return nil, errors.New("maxTokens is required")
	}
	maxTokens, err := parseJSONFloat(p.MaxTokens)
	if err != nil {
		return nil, fmt.Errorf("maxTokens: %w", err)
	}
	if maxTokens <= 0 || maxTokens > 1000 {
		return nil, fmt.Errorf("maxTokens must be in (0, 1000], got %v", maxTokens)
	}
	if absent(p.TokenRatio) {
		return nil, errors.New("tokenRatio is required")
	}
	ratio, err := parseJSONFloat(p.TokenRatio)
	if err != nil {
		return nil, fmt.Errorf("tokenRatio: %w", err)
	}
	if ratio <= 0 {
		return nil, fmt.Errorf("tokenRatio must be positive, got %v", ratio)
	}
	return &retryThrottlingPolicy{
		MaxTokens:  roundThousandths(maxTokens),
		TokenRatio: roundThousandths(ratio),
	}, nil
}

// roundThousandths rounds a positive v to three decimal places, but not
// below 0.001: a value that was valid because it is positive must stay so.
func roundThousandths(v float64) float64 {
	return max(math.Round(v*1000), 1) / 1000
}

// parseHealthCheckConfig reads {"serviceName": "..."}.
func parseHealthCheckConfig(raw json.RawMessage) (*healthCheckConfig, error) {
	if absent(raw) {
		return nil, nil
	}
	var h struct{ ServiceName *string }
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("want an object with a string serviceName: %v", err)
	}
	return &healthCheckConfig{ServiceName: h.ServiceName}, nil
}

// jsonNumberText returns the text of a JSON number that may be written
// either bare or, as the protobuf JSON mapping allows for 64-bit and
// floating point fields, inside a string.
func jsonNumberText(raw json.RawMessage) (string, error) {
	s := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
	}
	// A valid JSON text that starts like a number is a number; this refuses
	// the looser syntax strconv accepts ("0x10", "1_000", "+1", "Inf").
	if s == "" || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) || !json.Valid([]byte(s)) ||
		strings.TrimSpace(s) != s {
		return "", fmt.Errorf("want a number, got %s", raw)
	}
	return s, nil
}

// parseJSONInteger reads an integer written as a JSON number or numeric
// string. Exponent and fraction forms are fine when the value is whole
// ("1e3", "5.0"); values beyond int64 saturate, which every caller clamps
// anyway.
func parseJSONInteger(raw json.RawMessage) (int64, error) {
	s, err := jsonNumberText(raw)
	if err != nil {
		return 0, err
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	// Not a plain in-range integer: go through float64, whose exponent
	// handling stays cheap however large the exponent is written.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, fmt.Errorf("want an integer, got %s", raw)
	}
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64, nil
	case f <= math.MinInt64:
		return math.MinInt64, nil
	case f != math.Trunc(f):
		return 0, fmt.Errorf("want an integer, got %s", raw)
	}
	return int64(f), nil
}

// parseJSONFloat reads a finite number written as a JSON number or numeric
// string.
func parseJSONFloat(raw json.RawMessage) (float64, error) {
	s, err := jsonNumberText(raw)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("number %s out of range", raw)
	}
	return f, nil
}

// methodConfig returns the config for method, given as "/service/method".
// The most specific entry wins: the exact method, then the service's
// default ("/service/"), then the config-wide default (""). Without any of
// them, or without a config, the zero MethodConfig leaves every decision to
// the call and dial options.
func (sc *ServiceConfig) methodConfig(method string) MethodConfig {
	if sc == nil {
		return MethodConfig{}
	}
	if mc, ok := sc.Methods[method]; ok {
		return mc
	}
	if i := strings.LastIndexByte(method, '/'); i > 0 {
		if mc, ok := sc.Methods[method[:i+1]]; ok {
			return mc
		}
	}
	return sc.Methods[""]
}

// equalServiceConfig reports whether a and b came from the same document,
// ignoring insignificant whitespace. Resolvers tend to re-send an unchanged
// config with every update; comparing the source text lets the channel
// skip those cheaply and without having to compare balancer configs whose
// types it does not know. A nil config (untyped, or a nil *ServiceConfig)
// only equals another nil one.
func equalServiceConfig(a, b serviceconfig.Config) bool {
	as, aIsSC := a.(*ServiceConfig)
	bs, bIsSC := b.(*ServiceConfig)
	aNil := a == nil || (aIsSC && as == nil)
	bNil := b == nil || (bIsSC && bs == nil)
	if aNil || bNil {
		return aNil == bNil
	}
	if !aIsSC || !bIsSC {
		return false
	}
	if as.rawJSONString == bs.rawJSONString {
		return true
	}
	var ac, bc bytes.Buffer
	if json.Compact(&ac, []byte(as.rawJSONString)) != nil || json.Compact(&bc, []byte(bs.rawJSONString)) != nil {
		return false
	}
	return bytes.Equal(ac.Bytes(), bc.Bytes())
}
