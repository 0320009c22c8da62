package weightedroundrobin

import (
	"encoding/json"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
)

func TestParseConfig(t *testing.T) {
	p := balancer.Get(Name).(balancer.ConfigParser)
	cfg, err := p.ParseConfig(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	want := lbConfig{
		BlackoutPeriod:          duration(10 * time.Second),
		WeightExpirationPeriod:  duration(3 * time.Minute),
		WeightUpdatePeriod:      duration(time.Second),
		ErrorUtilizationPenalty: 1,
	}
	if got := *cfg.(*lbConfig); got != want {
		t.Fatalf("defaults = %+v, want %+v", got, want)
	}

	cfg, err = p.ParseConfig(json.RawMessage(`{
		"enableOobLoadReport": true,
		"oobReportingPeriod": "2.5s",
		"blackoutPeriod": "0s",
		"weightExpirationPeriod": "60s",
		"weightUpdatePeriod": "0.010s",
		"errorUtilizationPenalty": 1.75,
		"someFutureField": 1
	}`))
	if err != nil {
		t.Fatal(err)
	}
	want = lbConfig{
		EnableOOBLoadReport:     true,
		OOBReportingPeriod:      duration(2500 * time.Millisecond),
		WeightExpirationPeriod:  duration(time.Minute),
		WeightUpdatePeriod:      duration(100 * time.Millisecond), // floor
		ErrorUtilizationPenalty: 1.75,
	}
	if got := *cfg.(*lbConfig); got != want {
		t.Fatalf("parsed = %+v, want %+v", got, want)
	}

	for _, bad := range []string{
		`{"errorUtilizationPenalty": -1}`,
		`{"blackoutPeriod": "10"}`,
		`{"blackoutPeriod": 10}`,
		`{"blackoutPeriod": "1.0000000001s"}`,
		`{"blackoutPeriod": "s"}`,
		`{"blackoutPeriod": "1.2.3s"}`,
		`{"enableOobLoadReport": "yes"}`,
		`not json`,
	} {
		if _, err := p.ParseConfig(json.RawMessage(bad)); err == nil {
			t.Errorf("ParseConfig(%s) succeeded, want error", bad)
		}
	}
}

func TestDurationRoundTrip(t *testing.T) {
	for _, s := range []string{"1s", "0.5s", "-3s", ".25s", "3.s"} {
		var d duration
		if err := d.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		b, _ := d.MarshalJSON()
		var back duration
		if err := back.UnmarshalJSON(b); err != nil || back != d {
			t.Fatalf("%s: round trip gave %s (%v)", s, b, err)
		}
	}
}
