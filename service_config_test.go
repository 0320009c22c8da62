package grpc

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/codes"
	internalserviceconfig "google.golang.org/grpc/internal/serviceconfig"
	"google.golang.org/grpc/serviceconfig"
)

// Test-only policies, with names no real policy uses.
const (
	scTestPlainPolicy  = "sc-test-plain-policy"  // no ConfigParser
	scTestParserPolicy = "sc-test-parser-policy" // accepts {"value": n>=0}
	scTestStrictPolicy = "sc-test-strict-policy" // requires "value"
)

type scTestLBConfig struct {
	serviceconfig.LoadBalancingConfig
	Value *int `json:"value"`
}

type scTestBuilder struct{ name string }

func (b scTestBuilder) Build(balancer.ClientConn, balancer.BuildOptions) balancer.Balancer {
	return nil
}
func (b scTestBuilder) Name() string { return b.name }

type scTestParserBuilder struct {
	scTestBuilder
	strict bool
}

func (b scTestParserBuilder) ParseConfig(js json.RawMessage) (serviceconfig.LoadBalancingConfig, error) {
	c := &scTestLBConfig{}
	if err := json.Unmarshal(js, c); err != nil {
		return nil, err
	}
	if c.Value == nil && b.strict {
		return nil, errors.New("value is required")
	}
	if c.Value != nil && *c.Value < 0 {
		return nil, errors.New("value must not be negative")
	}
	return c, nil
}

func init() {
	balancer.Register(scTestBuilder{name: scTestPlainPolicy})
	balancer.Register(scTestParserBuilder{scTestBuilder: scTestBuilder{name: scTestParserPolicy}})
	balancer.Register(scTestParserBuilder{scTestBuilder: scTestBuilder{name: scTestStrictPolicy}, strict: true})
}

func scPtr[T any](v T) *T { return &v }

func scCodes(cs ...codes.Code) map[codes.Code]bool {
	m := make(map[codes.Code]bool, len(cs))
	for _, c := range cs {
		m[c] = true
	}
	return m
}

// scValidCases are documents that must parse, with what they must parse to
// (rawJSONString is filled in by the test). maxAttempts 0 means 5.
var scValidCases = []struct {
	name        string
	js          string
	maxAttempts int
	want        ServiceConfig
}{
	{name: "empty object", js: `{}`},
	{name: "whitespace around", js: " \n{ }\t"},
	{name: "unknown fields ignored", js: `{"someFutureField": {"x": [1, 2]}, "methodConfig": [{"name": [{"service": "s"}], "future": true}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {}}}},
	{name: "null fields are absent", js: `{"loadBalancingConfig": null, "loadBalancingPolicy": null, "methodConfig": null, "retryThrottling": null, "healthCheckConfig": null}`},
	{name: "first registered lb policy wins", js: `{"loadBalancingConfig": [{"sc-test-unknown": {}}, {"sc-test-plain-policy": {"ignored": 1}}, {"sc-test-parser-policy": {"value": -1}}]}`,
		want: ServiceConfig{lbConfig: &internalserviceconfig.BalancerConfig{Name: scTestPlainPolicy}}},
	{name: "lb config parsed by policy", js: `{"loadBalancingConfig": [{"sc-test-parser-policy": {"value": 3}}]}`,
		want: ServiceConfig{lbConfig: &internalserviceconfig.BalancerConfig{Name: scTestParserPolicy, Config: &scTestLBConfig{Value: scPtr(3)}}}},
	{name: "entries after the winner are not checked", js: `{"loadBalancingConfig": [{"sc-test-plain-policy": {}}, {"a": {}, "b": {}}, 7]}`,
		want: ServiceConfig{lbConfig: &internalserviceconfig.BalancerConfig{Name: scTestPlainPolicy}}},
	{name: "loadBalancingConfig beats loadBalancingPolicy", js: `{"loadBalancingPolicy": "sc-test-unknown", "loadBalancingConfig": [{"sc-test-plain-policy": {}}]}`,
		want: ServiceConfig{lbConfig: &internalserviceconfig.BalancerConfig{Name: scTestPlainPolicy}}},
	{name: "loadBalancingPolicy without parser", js: `{"loadBalancingPolicy": "sc-test-plain-policy"}`,
		want: ServiceConfig{lbConfig: &internalserviceconfig.BalancerConfig{Name: scTestPlainPolicy}}},
	{name: "loadBalancingPolicy with parser gets empty config", js: `{"loadBalancingPolicy": "sc-test-parser-policy"}`,
		want: ServiceConfig{lbConfig: &internalserviceconfig.BalancerConfig{Name: scTestParserPolicy, Config: &scTestLBConfig{}}}},
	{name: "keys match case-insensitively like grpc-go", js: `{"MethodConfig": [{"NAME": [{"Service": "s", "METHOD": "m"}], "waitforready": true}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/m": {WaitForReady: scPtr(true)}}}},
	{name: "method config fields", js: `{"methodConfig": [{
		"name": [{"service": "pkg.Svc", "method": "Get"}, {"service": "pkg.Svc"}, {}],
		"waitForReady": false, "timeout": "1.5s",
		"maxRequestMessageBytes": 1024, "maxResponseMessageBytes": "2048"}]}`,
		want: func() ServiceConfig {
			mc := MethodConfig{WaitForReady: scPtr(false), Timeout: scPtr(1500 * time.Millisecond), MaxReqSize: scPtr(1024), MaxRespSize: scPtr(2048)}
			return ServiceConfig{Methods: map[string]MethodConfig{"/pkg.Svc/Get": mc, "/pkg.Svc/": mc, "": mc}}
		}()},
	{name: "empty service with empty method is the default", js: `{"methodConfig": [{"name": [{"service": "", "method": ""}], "timeout": "0s"}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"": {Timeout: scPtr(time.Duration(0))}}}},
	{name: "nameless entries apply to nothing", js: `{"methodConfig": [{"timeout": "1s"}, {"name": [], "timeout": "2s"}, {"name": null}]}`},
	{name: "integer forms", js: `{"methodConfig": [{"name": [{"service": "s"}], "maxRequestMessageBytes": 1e3, "maxResponseMessageBytes": "5.0"}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {MaxReqSize: scPtr(1000), MaxRespSize: scPtr(5)}}}},
	{name: "huge message limits clamp", js: `{"methodConfig": [{"name": [{"service": "s"}], "maxRequestMessageBytes": 1e30, "maxResponseMessageBytes": 99999999999999999999999}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {MaxReqSize: scPtr(math.MaxInt), MaxRespSize: scPtr(math.MaxInt)}}}},
	{name: "timeout forms", js: `{"methodConfig": [{"name": [{"service": "a"}], "timeout": ".25s"}, {"name": [{"service": "b"}], "timeout": "3.000000001s"}, {"name": [{"service": "c"}], "timeout": "315576000000s"}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{
			"/a/": {Timeout: scPtr(250 * time.Millisecond)},
			"/b/": {Timeout: scPtr(3*time.Second + 1)},
			"/c/": {Timeout: scPtr(time.Duration(math.MaxInt64))},
		}}},
	{name: "retry policy", js: `{"methodConfig": [{"name": [{"service": "s"}], "retryPolicy": {
		"maxAttempts": 3, "initialBackoff": "0.1s", "maxBackoff": "1s", "backoffMultiplier": 2,
		"retryableStatusCodes": ["UNAVAILABLE", 4, "UNAVAILABLE"]}}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {RetryPolicy: &internalserviceconfig.RetryPolicy{
			MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, BackoffMultiplier: 2,
			RetryableStatusCodes: scCodes(codes.Unavailable, codes.DeadlineExceeded)}}}}},
	{name: "retry maxAttempts capped at default", js: `{"methodConfig": [{"name": [{"service": "s"}], "retryPolicy": {
		"maxAttempts": "10", "initialBackoff": "1s", "maxBackoff": "1s", "backoffMultiplier": "1.5", "retryableStatusCodes": ["ABORTED"]}}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {RetryPolicy: &internalserviceconfig.RetryPolicy{
			MaxAttempts: 5, InitialBackoff: time.Second, MaxBackoff: time.Second, BackoffMultiplier: 1.5,
			RetryableStatusCodes: scCodes(codes.Aborted)}}}}},
	{name: "retry maxAttempts capped at channel limit", maxAttempts: 3, js: `{"methodConfig": [{"name": [{"service": "s"}], "retryPolicy": {
		"maxAttempts": 4, "initialBackoff": "1s", "maxBackoff": "2s", "backoffMultiplier": 0.5, "retryableStatusCodes": [14]}}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {RetryPolicy: &internalserviceconfig.RetryPolicy{
			MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: 2 * time.Second, BackoffMultiplier: 0.5,
			RetryableStatusCodes: scCodes(codes.Unavailable)}}}}},
	{name: "retry maxAttempts above default with higher limit", maxAttempts: 7, js: `{"methodConfig": [{"name": [{"service": "s"}], "retryPolicy": {
		"maxAttempts": 6, "initialBackoff": "1s", "maxBackoff": "2s", "backoffMultiplier": 1, "retryableStatusCodes": ["INTERNAL"]}}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {RetryPolicy: &internalserviceconfig.RetryPolicy{
			MaxAttempts: 6, InitialBackoff: time.Second, MaxBackoff: 2 * time.Second, BackoffMultiplier: 1,
			RetryableStatusCodes: scCodes(codes.Internal)}}}}},
	{name: "hedging policy", js: `{"methodConfig": [{"name": [{"service": "s"}], "hedgingPolicy": {
		"maxAttempts": 3, "hedgingDelay": "0.5s", "nonFatalStatusCodes": ["UNAVAILABLE", "RESOURCE_EXHAUSTED"]}}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {HedgingPolicy: &internalserviceconfig.HedgingPolicy{
			MaxAttempts: 3, HedgingDelay: 500 * time.Millisecond, NonFatalStatusCodes: scCodes(codes.Unavailable, codes.ResourceExhausted)}}}}},
	{name: "minimal hedging policy capped", js: `{"methodConfig": [{"name": [{"service": "s"}], "hedgingPolicy": {"maxAttempts": 9}}]}`,
		want: ServiceConfig{Methods: map[string]MethodConfig{"/s/": {HedgingPolicy: &internalserviceconfig.HedgingPolicy{
			MaxAttempts: 5, NonFatalStatusCodes: scCodes()}}}}},
	{name: "retry throttling", js: `{"retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1}}`,
		want: ServiceConfig{retryThrottling: &retryThrottlingPolicy{MaxTokens: 10, TokenRatio: 0.1}}},
	{name: "retry throttling rounds to thousandths", js: `{"retryThrottling": {"maxTokens": "1000", "tokenRatio": "0.12345"}}`,
		want: ServiceConfig{retryThrottling: &retryThrottlingPolicy{MaxTokens: 1000, TokenRatio: 0.123}}},
	{name: "tiny token ratio stays positive", js: `{"retryThrottling": {"maxTokens": 0.0001, "tokenRatio": 0.0001}}`,
		want: ServiceConfig{retryThrottling: &retryThrottlingPolicy{MaxTokens: 0.001, TokenRatio: 0.001}}},
	{name: "health check config", js: `{"healthCheckConfig": {"serviceName": "grpc.health"}}`,
		want: ServiceConfig{healthCheckConfig: &healthCheckConfig{ServiceName: scPtr("grpc.health")}}},
	{name: "health check config without name", js: `{"healthCheckConfig": {}}`,
		want: ServiceConfig{healthCheckConfig: &healthCheckConfig{}}},
}

func TestParseServiceConfigValid(t *testing.T) {
	for _, tt := range scValidCases {
		t.Run(tt.name, func(t *testing.T) {
			r := parseServiceConfig(tt.js, tt.maxAttempts)
			if r.Err != nil {
				t.Fatalf("parseServiceConfig(%s) failed: %v", tt.js, r.Err)
			}
			got, ok := r.Config.(*ServiceConfig)
			if !ok {
				t.Fatalf("Config is %T, want *ServiceConfig", r.Config)
			}
			want := tt.want
			want.rawJSONString = tt.js
			if want.Methods == nil {
				want.Methods = map[string]MethodConfig{}
			}
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("parseServiceConfig(%s)\n got: %+v\nwant: %+v", tt.js, got, &want)
			}
		})
	}
}

// scInvalidCases are documents that must be rejected, with a fragment the
// error must contain so that it points at the actual problem.
var scInvalidCases = []struct {
	name, js, wantErr string
}{
	{"empty string", ``, "empty document"},
	{"blank", " \n", "empty document"},
	{"truncated", `{"methodConfig": [`, "malformed JSON"},
	{"trailing garbage", `{} x`, "malformed JSON"},
	{"array", `[]`, "JSON object"},
	{"null", `null`, "JSON object"},
	{"string", `"{}"`, "JSON object"},

	{"lb config not a list", `{"loadBalancingConfig": {"sc-test-plain-policy": {}}}`, "loadBalancingConfig"},
	{"lb config empty list", `{"loadBalancingConfig": []}`, "is registered"},
	{"lb config none registered", `{"loadBalancingConfig": [{"sc-test-unknown": {}}, {"sc-test-unknown2": {}}]}`, "sc-test-unknown2"},
	{"lb config entry with two policies", `{"loadBalancingConfig": [{"sc-test-plain-policy": {}, "sc-test-parser-policy": {}}]}`, "exactly 1"},
	{"lb config empty entry", `{"loadBalancingConfig": [{}]}`, "exactly 1"},
	{"lb config entry not object", `{"loadBalancingConfig": [1]}`, "entry 0"},
	{"lb config rejected by policy", `{"loadBalancingConfig": [{"sc-test-parser-policy": {"value": -1}}]}`, "must not be negative"},
	{"lb config unparsable for policy", `{"loadBalancingConfig": [{"sc-test-parser-policy": {"value": "x"}}]}`, "sc-test-parser-policy"},
	{"lb policy unregistered", `{"loadBalancingPolicy": "sc-test-unknown"}`, "not a registered policy"},
	{"lb policy not a string", `{"loadBalancingPolicy": 1}`, "loadBalancingPolicy"},
	{"lb policy rejects empty config", `{"loadBalancingPolicy": "sc-test-strict-policy"}`, "value is required"},

	{"method config not a list", `{"methodConfig": {}}`, "must be a list"},
	{"method config entry not object", `{"methodConfig": [1]}`, "methodConfig[0]"},
	{"name not a list", `{"methodConfig": [{"name": {"service": "s"}}]}`, "name"},
	{"method without service", `{"methodConfig": [{"name": [{"method": "m"}]}]}`, "without a service"},
	{"duplicate across entries", `{"methodConfig": [{"name": [{"service": "s", "method": "m"}]}, {"name": [{"service": "s", "method": "m"}]}]}`, "methodConfig[1]: name \"/s/m\""},
	{"duplicate in one entry", `{"methodConfig": [{"name": [{"service": "s"}, {"service": "s"}]}]}`, "more than once"},
	{"duplicate default", `{"methodConfig": [{"name": [{}]}, {"name": [{"service": ""}]}]}`, "<default>"},
	{"waitForReady as string", `{"methodConfig": [{"waitForReady": "true"}]}`, "waitForReady"},
	{"timeout without unit", `{"methodConfig": [{"timeout": "1"}]}`, "timeout"},
	{"timeout as number", `{"methodConfig": [{"timeout": 1}]}`, "timeout"},
	{"timeout two dots", `{"methodConfig": [{"timeout": "1.5.5s"}]}`, "timeout"},
	{"timeout ten fraction digits", `{"methodConfig": [{"timeout": "1.0000000001s"}]}`, "nine"},
	{"timeout plus sign", `{"methodConfig": [{"timeout": "+1s"}]}`, "timeout"},
	{"timeout no digits", `{"methodConfig": [{"timeout": ".s"}]}`, "no digits"},
	{"timeout out of proto range", `{"methodConfig": [{"timeout": "315576000001s"}]}`, "out of range"},
	{"negative message limit", `{"methodConfig": [{"maxRequestMessageBytes": -1}]}`, "maxRequestMessageBytes"},
	{"fractional message limit", `{"methodConfig": [{"maxResponseMessageBytes": 1.5}]}`, "maxResponseMessageBytes"},
	{"message limit not a number", `{"methodConfig": [{"maxRequestMessageBytes": "abc"}]}`, "want a number"},
	{"message limit hex string", `{"methodConfig": [{"maxRequestMessageBytes": "0x10"}]}`, "want a number"},
	{"message limit bool", `{"methodConfig": [{"maxRequestMessageBytes": true}]}`, "want a number"},
	{"invalid entry without name still rejected", `{"methodConfig": [{"retryPolicy": {"maxAttempts": 1}}]}`, "maxAttempts"},

	{"retry policy not object", `{"methodConfig": [{"retryPolicy": []}]}`, "retryPolicy"},
	{"retry maxAttempts 1", scRetry(`"maxAttempts": 1`), "greater than 1"},
	{"retry maxAttempts missing", scRetry(`"maxAttempts": null`), "maxAttempts is required"},
	{"retry maxAttempts fractional", scRetry(`"maxAttempts": 2.5`), "want an integer"},
	{"retry initialBackoff zero", scRetry(`"initialBackoff": "0s"`), "initialBackoff must be positive"},
	{"retry initialBackoff negative", scRetry(`"initialBackoff": "-1s"`), "initialBackoff must be positive"},
	{"retry initialBackoff missing", scRetry(`"initialBackoff": null`), "initialBackoff is required"},
	{"retry maxBackoff zero", scRetry(`"maxBackoff": "0.0s"`), "maxBackoff must be positive"},
	{"retry maxBackoff malformed", scRetry(`"maxBackoff": "1m"`), "maxBackoff"},
	{"retry multiplier zero", scRetry(`"backoffMultiplier": 0`), "backoffMultiplier must be positive"},
	{"retry multiplier negative", scRetry(`"backoffMultiplier": -2`), "backoffMultiplier must be positive"},
	{"retry multiplier missing", scRetry(`"backoffMultiplier": null`), "backoffMultiplier is required"},
	{"retry multiplier infinite", scRetry(`"backoffMultiplier": 1e999`), "out of range"},
	{"retry multiplier Infinity string", scRetry(`"backoffMultiplier": "Infinity"`), "want a number"},
	{"retry codes empty", scRetry(`"retryableStatusCodes": []`), "must not be empty"},
	{"retry codes missing", scRetry(`"retryableStatusCodes": null`), "retryableStatusCodes is required"},
	{"retry codes unknown name", scRetry(`"retryableStatusCodes": ["NOT_A_CODE"]`), "invalid code"},
	{"retry codes lower case", scRetry(`"retryableStatusCodes": ["unavailable"]`), "invalid code"},
	{"retry codes out of range", scRetry(`"retryableStatusCodes": [17]`), "invalid code"},
	{"retry codes null element", scRetry(`"retryableStatusCodes": [null]`), "null"},
	{"retry codes not a list", scRetry(`"retryableStatusCodes": "UNAVAILABLE"`), "want a list"},

	{"hedging not object", `{"methodConfig": [{"hedgingPolicy": 1}]}`, "hedgingPolicy"},
	{"hedging maxAttempts 1", `{"methodConfig": [{"hedgingPolicy": {"maxAttempts": 1}}]}`, "greater than 1"},
	{"hedging maxAttempts missing", `{"methodConfig": [{"hedgingPolicy": {}}]}`, "maxAttempts is required"},
	{"hedging delay negative", `{"methodConfig": [{"hedgingPolicy": {"maxAttempts": 2, "hedgingDelay": "-1s"}}]}`, "must not be negative"},
	{"hedging delay malformed", `{"methodConfig": [{"hedgingPolicy": {"maxAttempts": 2, "hedgingDelay": "1"}}]}`, "hedgingDelay"},
	{"hedging codes bad", `{"methodConfig": [{"hedgingPolicy": {"maxAttempts": 2, "nonFatalStatusCodes": ["BOGUS"]}}]}`, "nonFatalStatusCodes"},
	{"retry and hedging", `{"methodConfig": [{"hedgingPolicy": {"maxAttempts": 2}, "retryPolicy": {"maxAttempts": 2, "initialBackoff": "1s", "maxBackoff": "1s", "backoffMultiplier": 1, "retryableStatusCodes": [14]}}]}`, "mutually exclusive"},

	{"throttling not object", `{"retryThrottling": 10}`, "retryThrottling"},
	{"throttling maxTokens zero", `{"retryThrottling": {"maxTokens": 0, "tokenRatio": 1}}`, "maxTokens must be in (0, 1000]"},
	{"throttling maxTokens negative", `{"retryThrottling": {"maxTokens": -1, "tokenRatio": 1}}`, "maxTokens must be in (0, 1000]"},
	{"throttling maxTokens too big", `{"retryThrottling": {"maxTokens": 1000.5, "tokenRatio": 1}}`, "maxTokens must be in (0, 1000]"},
	{"throttling maxTokens missing", `{"retryThrottling": {"tokenRatio": 1}}`, "maxTokens is required"},
	{"throttling tokenRatio zero", `{"retryThrottling": {"maxTokens": 10, "tokenRatio": 0}}`, "tokenRatio must be positive"},
	{"throttling tokenRatio negative", `{"retryThrottling": {"maxTokens": 10, "tokenRatio": -0.1}}`, "tokenRatio must be positive"},
	{"throttling tokenRatio missing", `{"retryThrottling": {"maxTokens": 10}}`, "tokenRatio is required"},
	{"throttling tokenRatio not number", `{"retryThrottling": {"maxTokens": 10, "tokenRatio": [1]}}`, "tokenRatio"},

	{"health check not object", `{"healthCheckConfig": "svc"}`, "healthCheckConfig"},
	{"health check name not string", `{"healthCheckConfig": {"serviceName": 1}}`, "healthCheckConfig"},
}

// scRetry returns a document with one valid retry policy in which the given
// field (written as `"key": value`) replaces the valid one.
func scRetry(field string) string {
	fields := map[string]string{
		"maxAttempts":          `2`,
		"initialBackoff":       `"1s"`,
		"maxBackoff":           `"1s"`,
		"backoffMultiplier":    `1`,
		"retryableStatusCodes": `["UNAVAILABLE"]`,
	}
	key, value, _ := strings.Cut(field, ": ")
	fields[strings.Trim(key, `"`)] = value
	var parts []string
	for _, k := range []string{"maxAttempts", "initialBackoff", "maxBackoff", "backoffMultiplier", "retryableStatusCodes"} {
		parts = append(parts, `"`+k+`": `+fields[k])
	}
	return `{"methodConfig": [{"name": [{"service": "s"}], "retryPolicy": {` + strings.Join(parts, ", ") + `}}]}`
}

func TestParseServiceConfigInvalid(t *testing.T) {
	for _, tt := range scInvalidCases {
		t.Run(tt.name, func(t *testing.T) {
			r := parseServiceConfig(tt.js, 5)
			if r.Err == nil {
				t.Fatalf("parseServiceConfig(%s) = %+v, want error containing %q", tt.js, r.Config, tt.wantErr)
			}
			if r.Config != nil {
				t.Errorf("parseServiceConfig(%s) set both Config and Err", tt.js)
			}
			msg := r.Err.Error()
			if !strings.HasPrefix(msg, "grpc: invalid service config: ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("parseServiceConfig(%s) error = %q, want it to contain %q", tt.js, msg, tt.wantErr)
			}
		})
	}
}

func TestServiceConfigMethodConfigLookup(t *testing.T) {
	exact := MethodConfig{Timeout: scPtr(time.Second)}
	service := MethodConfig{Timeout: scPtr(2 * time.Second)}
	other := MethodConfig{Timeout: scPtr(3 * time.Second)}
	def := MethodConfig{Timeout: scPtr(4 * time.Second)}
	full := &ServiceConfig{Methods: map[string]MethodConfig{
		"/pkg.A/Get": exact,
		"/pkg.A/":    service,
		"/pkg.B/Put": other,
		"":           def,
	}}
	noDefault := &ServiceConfig{Methods: map[string]MethodConfig{"/pkg.A/Get": exact}}

	tests := []struct {
		name   string
		sc     *ServiceConfig
		method string
		want   MethodConfig
	}{
		{"exact match", full, "/pkg.A/Get", exact},
		{"service default", full, "/pkg.A/List", service},
		{"exact beats nothing else in other service", full, "/pkg.B/Put", other},
		{"other method of service without default", full, "/pkg.B/Get", def},
		{"unknown service", full, "/pkg.C/Get", def},
		{"malformed method", full, "nonsense", def},
		{"empty method", full, "", def},
		{"no default", noDefault, "/pkg.Z/Q", MethodConfig{}},
		{"nil config", nil, "/pkg.A/Get", MethodConfig{}},
		{"nil methods", &ServiceConfig{}, "/pkg.A/Get", MethodConfig{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sc.methodConfig(tt.method); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("methodConfig(%q) = %+v, want %+v", tt.method, got, tt.want)
			}
		})
	}
}

func TestServiceConfigMethodConfigFromJSON(t *testing.T) {
	r := parseServiceConfig(`{"methodConfig": [
		{"name": [{"service": "pkg.A", "method": "Get"}], "timeout": "1s"},
		{"name": [{"service": "pkg.A"}], "timeout": "2s"},
		{"name": [{}], "timeout": "3s"}]}`, 5)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	sc := r.Config.(*ServiceConfig)
	for method, want := range map[string]time.Duration{
		"/pkg.A/Get": time.Second, "/pkg.A/Put": 2 * time.Second, "/pkg.B/Get": 3 * time.Second,
	} {
		if got := sc.methodConfig(method).Timeout; got == nil || *got != want {
			t.Errorf("methodConfig(%q).Timeout = %v, want %v", method, got, want)
		}
	}
}

// scOtherConfig is a serviceconfig.Config that is not a *ServiceConfig.
type scOtherConfig struct{ serviceconfig.Config }

func TestEqualServiceConfig(t *testing.T) {
	parse := func(js string) serviceconfig.Config {
		t.Helper()
		r := parseServiceConfig(js, 5)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		return r.Config
	}
	a := parse(`{"methodConfig": [{"name": [{"service": "s"}], "timeout": "1s"}]}`)
	aAgain := parse(`{"methodConfig": [{"name": [{"service": "s"}], "timeout": "1s"}]}`)
	aSpaced := parse("{ \"methodConfig\" : [ {\"name\": [{\"service\": \"s\"}],\n \"timeout\": \"1s\"} ] }")
	b := parse(`{"methodConfig": [{"name": [{"service": "s"}], "timeout": "2s"}]}`)
	var nilSC *ServiceConfig

	tests := []struct {
		name string
		a, b serviceconfig.Config
		want bool
	}{
		{"both nil", nil, nil, true},
		{"nil and typed nil", nil, nilSC, true},
		{"typed nil and nil", nilSC, nil, true},
		{"nil and config", nil, a, false},
		{"config and typed nil", a, nilSC, false},
		{"same document", a, aAgain, true},
		{"same object", a, a, true},
		{"whitespace differs", a, aSpaced, true},
		{"different documents", a, b, false},
		{"foreign config type", a, scOtherConfig{}, false},
		{"two foreign configs", scOtherConfig{}, scOtherConfig{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := equalServiceConfig(tt.a, tt.b); got != tt.want {
				t.Errorf("equalServiceConfig = %v, want %v", got, tt.want)
			}
			if got := equalServiceConfig(tt.b, tt.a); got != tt.want {
				t.Errorf("equalServiceConfig (swapped) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseServiceConfigIsAServiceConfig(t *testing.T) {
	var _ serviceconfig.Config = (*ServiceConfig)(nil)
	r := parseServiceConfig(`{}`, 5)
	if _, ok := r.Config.(*ServiceConfig); !ok || r.Err != nil {
		t.Fatalf("parseServiceConfig({}) = %#v", r)
	}
}

// FuzzParseServiceConfig checks that no document makes the parser panic,
// that every result is either a config or an error, and that parsing is
// deterministic: an accepted document parses again to an equal config.
func FuzzParseServiceConfig(f *testing.F) {
	for _, tt := range scValidCases {
		f.Add(tt.js, tt.maxAttempts)
	}
	for _, tt := range scInvalidCases {
		f.Add(tt.js, 5)
	}
	f.Fuzz(func(t *testing.T, js string, maxAttempts int) {
		r := parseServiceConfig(js, maxAttempts)
		if (r.Config == nil) == (r.Err == nil) {
			t.Fatalf("parseServiceConfig(%q) = %#v: want exactly one of Config and Err", js, r)
		}
		if r.Err != nil {
			return
		}
		sc := r.Config.(*ServiceConfig)
		limit := maxAttempts
		if limit < 2 {
			limit = scDefaultMaxAttempts
		}
		for path, mc := range sc.Methods {
			if rp := mc.RetryPolicy; rp != nil && (rp.MaxAttempts < 2 || rp.MaxAttempts > limit || len(rp.RetryableStatusCodes) == 0 ||
				rp.InitialBackoff <= 0 || rp.MaxBackoff <= 0 || !(rp.BackoffMultiplier > 0)) {
				t.Fatalf("%q: invalid retry policy accepted: %+v", path, rp)
			}
			if hp := mc.HedgingPolicy; hp != nil && (hp.MaxAttempts < 2 || hp.MaxAttempts > limit || hp.HedgingDelay < 0 || mc.RetryPolicy != nil) {
				t.Fatalf("%q: invalid hedging policy accepted: %+v", path, hp)
			}
			if (mc.MaxReqSize != nil && *mc.MaxReqSize < 0) || (mc.MaxRespSize != nil && *mc.MaxRespSize < 0) {
				t.Fatalf("%q: negative message limit accepted", path)
			}
			_ = sc.methodConfig(path + "x")
		}
		if p := sc.retryThrottling; p != nil {
			if p.MaxTokens <= 0 || p.MaxTokens > 1000 || p.TokenRatio <= 0 {
				t.Fatalf("invalid throttling policy accepted: %+v", p)
			}
			newRetryThrottler(p).throttle()
		}
		again := parseServiceConfig(js, maxAttempts)
		if again.Err != nil {
			t.Fatalf("%q parsed once, then failed: %v", js, again.Err)
		}
		if !reflect.DeepEqual(r.Config, again.Config) || !equalServiceConfig(r.Config, again.Config) {
			t.Fatalf("%q parsed to different configs:\n%+v\n%+v", js, r.Config, again.Config)
		}
	})
}
