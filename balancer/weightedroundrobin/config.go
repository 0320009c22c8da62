package weightedroundrobin

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/serviceconfig"
)

// Defaults from gRFC A58.
const (
	defaultOOBReportingPeriod     = 10 * time.Second
	defaultBlackoutPeriod         = 10 * time.Second
	defaultWeightExpirationPeriod = 3 * time.Minute
	defaultWeightUpdatePeriod     = time.Second
	minWeightUpdatePeriod         = 100 * time.Millisecond
)

// allowAnyWeightUpdatePeriod lifts the 100ms floor for tests.
var allowAnyWeightUpdatePeriod = false

// lbConfig is the parsed weighted_round_robin configuration.
type lbConfig struct {
	serviceconfig.LoadBalancingConfig `json:"-"`

	// EnableOOBLoadReport asks for load reports on a separate stream instead
	// of in each RPC's trailer. Not implemented here: with it set, weights
	// are simply never learned and the policy behaves like round_robin.
	EnableOOBLoadReport bool `json:"enableOobLoadReport,omitempty"`
	// OOBReportingPeriod is the report interval requested on that stream. It
	// is kept at zero when out-of-band reporting is off so that configs
	// compare equal.
	OOBReportingPeriod duration `json:"oobReportingPeriod,omitempty"`
	// BlackoutPeriod is how long an endpoint must have been reporting before
	// its weight is trusted, both after it connects and after its weight
	// expired. Zero disables the blackout.
	BlackoutPeriod duration `json:"blackoutPeriod,omitempty"`
	// WeightExpirationPeriod is how old the latest report may be before the
	// endpoint's weight is ignored.
	WeightExpirationPeriod duration `json:"weightExpirationPeriod,omitempty"`
	// WeightUpdatePeriod is how often the picker recomputes its schedule
	// from the latest weights; at least 100ms.
	WeightUpdatePeriod duration `json:"weightUpdatePeriod,omitempty"`
	// ErrorUtilizationPenalty scales how much the error rate (errors per
	// second over queries per second) adds to the reported utilization.
	ErrorUtilizationPenalty float64 `json:"errorUtilizationPenalty,omitempty"`
}

func parseConfig(js []byte) (*lbConfig, error) {
	cfg := &lbConfig{
		OOBReportingPeriod:      duration(defaultOOBReportingPeriod),
		BlackoutPeriod:          duration(defaultBlackoutPeriod),
		WeightExpirationPeriod:  duration(defaultWeightExpirationPeriod),
		WeightUpdatePeriod:      duration(defaultWeightUpdatePeriod),
		ErrorUtilizationPenalty: 1,
	}
	if err := json.Unmarshal(js, cfg); err != nil {
		return nil, fmt.Errorf("wrr: unable to unmarshal LB policy config: %s, error: %v", string(js), err)
	}
	if cfg.ErrorUtilizationPenalty < 0 {
		return nil, fmt.Errorf("wrr: errorUtilizationPenalty must be non-negative")
	}
	if !cfg.EnableOOBLoadReport {
		cfg.OOBReportingPeriod = 0
	}
	if !allowAnyWeightUpdatePeriod && time.Duration(cfg.WeightUpdatePeriod) < minWeightUpdatePeriod {
		cfg.WeightUpdatePeriod = duration(minWeightUpdatePeriod)
	}
	return cfg, nil
}

// duration is a time.Duration written in JSON the way protobuf's Duration
// is: a string of decimal seconds with an "s" suffix, such as "1.5s".
type duration time.Duration

// maxDurationSeconds is the largest value google.protobuf.Duration allows.
const maxDurationSeconds = 315_576_000_000

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := parseProtoDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatFloat(time.Duration(d).Seconds(), 'f', -1, 64) + "s")
}

func parseProtoDuration(s string) (time.Duration, error) {
	num, ok := strings.CutSuffix(s, "s")
	if !ok {
		return 0, fmt.Errorf("malformed duration %q: missing seconds unit", s)
	}
	neg := strings.HasPrefix(num, "-")
	num = strings.TrimPrefix(num, "-")
	whole, frac, _ := strings.Cut(num, ".")
	if whole == "" && frac == "" {
		return 0, fmt.Errorf("malformed duration %q: no digits", s)
	}
	var secs, nanos int64
	if whole != "" {
		v, err := strconv.ParseUint(whole, 10, 64)
		if err != nil || v > maxDurationSeconds {
			return 0, fmt.Errorf("malformed duration %q: bad seconds", s)
		}
		secs = int64(v)
	}
	if frac != "" {
		if len(frac) > 9 {
			return 0, fmt.Errorf("malformed duration %q: too many digits after decimal", s)
		}
		v, err := strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed duration %q: bad fraction", s)
		}
		nanos = int64(v)
	}
	// time.Duration only reaches about 292 years; saturate beyond that.
	const maxSecs = int64(1<<63-1) / int64(time.Second)
	var d time.Duration
	if secs >= maxSecs {
		d = time.Duration(1<<63 - 1)
	} else {
		d = time.Duration(secs)*time.Second + time.Duration(nanos)
	}
	if neg {
		d = -d
	}
	return d, nil
}
