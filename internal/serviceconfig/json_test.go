package serviceconfig

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/serviceconfig"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "0s", want: 0},
		{in: "1s", want: time.Second},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "1.s", want: time.Second},
		{in: ".5s", want: 500 * time.Millisecond},
		{in: "-.5s", want: -500 * time.Millisecond},
		{in: "0.000000001s", want: 1},
		{in: "-3.000000001s", want: -3*time.Second - 1},
		{in: "9223372036.854775807s", want: math.MaxInt64},
		{in: "9223372036.854775808s", want: math.MaxInt64},
		{in: "315576000000s", want: math.MaxInt64},
		{in: "-315576000000.999999999s", want: math.MinInt64},
		{in: "", wantErr: "must end in"},
		{in: "1", wantErr: "must end in"},
		{in: "1m", wantErr: "must end in"},
		{in: "s", wantErr: "no digits"},
		{in: "-s", wantErr: "no digits"},
		{in: ".s", wantErr: "no digits"},
		{in: "+1s", wantErr: "malformed"},
		{in: "--1s", wantErr: "malformed"},
		{in: "1.2.3s", wantErr: "malformed"},
		{in: "1.-2s", wantErr: "malformed"},
		{in: " 1s", wantErr: "malformed"},
		{in: "1e3s", wantErr: "malformed"},
		{in: "1.0000000000s", wantErr: "nine"},
		{in: "315576000001s", wantErr: "out of range"},
		{in: "99999999999999999999999s", wantErr: "out of range"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, `"0s"`},
		{time.Second, `"1s"`},
		{1500 * time.Millisecond, `"1.500s"`},
		{time.Second + time.Microsecond, `"1.000001s"`},
		{time.Nanosecond, `"0.000000001s"`},
		{-2500 * time.Millisecond, `"-2.500s"`},
		{math.MaxInt64, `"9223372036.854775807s"`},
		{math.MinInt64, `"-9223372036.854775808s"`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(Duration(tt.d))
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.d, b, err, tt.want)
			continue
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || time.Duration(back) != tt.d {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", b, back, err, tt.d)
		}
	}

	d := Duration(7)
	if err := json.Unmarshal([]byte("null"), &d); err != nil || d != 7 {
		t.Errorf("Unmarshal(null) = %v, %v; want unchanged 7", d, err)
	}
	if err := json.Unmarshal([]byte("1"), &d); err == nil {
		t.Error("Unmarshal(1) succeeded; a duration must be a string")
	}
}

const (
	jsonTestPlain  = "internal-sc-test-plain"
	jsonTestParser = "internal-sc-test-parser"
)

type jsonTestConfig struct {
	serviceconfig.LoadBalancingConfig `json:"-"`
	N                                 int `json:"n"`
}

type jsonTestBuilder struct{ name string }

func (b jsonTestBuilder) Build(balancer.ClientConn, balancer.BuildOptions) balancer.Balancer {
	return nil
}
func (b jsonTestBuilder) Name() string { return b.name }

type jsonTestParserBuilder struct{ jsonTestBuilder }

func (jsonTestParserBuilder) ParseConfig(js json.RawMessage) (serviceconfig.LoadBalancingConfig, error) {
	c := &jsonTestConfig{}
	if err := json.Unmarshal(js, c); err != nil {
		return nil, err
	}
	return c, nil
}

func init() {
	balancer.Register(jsonTestBuilder{name: jsonTestPlain})
	balancer.Register(jsonTestParserBuilder{jsonTestBuilder{name: jsonTestParser}})
}

func TestBalancerConfigUnmarshal(t *testing.T) {
	tests := []struct {
		in       string
		wantName string
		wantN    int // -1: Config must be nil
		wantErr  string
	}{
		{in: `[{"internal-sc-test-plain": {"x": 1}}]`, wantName: jsonTestPlain, wantN: -1},
		{in: `[{"nope": {}}, {"internal-sc-test-parser": {"n": 4}}]`, wantName: jsonTestParser, wantN: 4},
		{in: `[{"internal-sc-test-parser": {"n": 1}}, {"internal-sc-test-plain": {}}]`, wantName: jsonTestParser, wantN: 1},
		{in: `[{"internal-sc-test-parser": {"n": "x"}}]`, wantErr: "internal-sc-test-parser"},
		{in: `[{"nope": {}}]`, wantErr: "nope"},
		{in: `[]`, wantErr: "registered"},
		{in: `{}`, wantErr: "list"},
		{in: `[{"a": {}, "b": {}}]`, wantErr: "exactly 1"},
		{in: `[null]`, wantErr: "exactly 1"},
		{in: `["internal-sc-test-plain"]`, wantErr: "not an object"},
	}
	for _, tt := range tests {
		var bc BalancerConfig
		err := json.Unmarshal([]byte(tt.in), &bc)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Unmarshal(%s) = %+v, %v; want error containing %q", tt.in, bc, err, tt.wantErr)
			}
			continue
		}
		if err != nil || bc.Name != tt.wantName {
			t.Errorf("Unmarshal(%s) = %+v, %v; want policy %q", tt.in, bc, err, tt.wantName)
			continue
		}
		if tt.wantN < 0 {
			if bc.Config != nil {
				t.Errorf("Unmarshal(%s) config = %+v, want nil", tt.in, bc.Config)
			}
		} else if c, ok := bc.Config.(*jsonTestConfig); !ok || c.N != tt.wantN {
			t.Errorf("Unmarshal(%s) config = %#v, want n=%d", tt.in, bc.Config, tt.wantN)
		}
	}
}

func TestBalancerConfigMarshalRoundTrip(t *testing.T) {
	for _, bc := range []*BalancerConfig{
		{Name: jsonTestPlain},
		{Name: jsonTestParser, Config: &jsonTestConfig{N: 9}},
	} {
		b, err := json.Marshal(bc)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", bc, err)
		}
		var back BalancerConfig
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if back.Name != bc.Name {
			t.Errorf("round trip of %+v via %s gave name %q", bc, b, back.Name)
		}
		if want, ok := bc.Config.(*jsonTestConfig); ok {
			if got, ok := back.Config.(*jsonTestConfig); !ok || got.N != want.N {
				t.Errorf("round trip of %+v via %s gave config %#v", bc, b, back.Config)
			}
		}
	}
	if b, _ := json.Marshal(&BalancerConfig{Name: "p"}); string(b) != `[{"p":{}}]` {
		t.Errorf("Marshal without config = %s, want [{\"p\":{}}]", b)
	}
}
