package serviceconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/balancer"
)

// Duration is a time.Duration that reads and writes the protobuf JSON form
// of google.protobuf.Duration ("1.5s", "-0.000000001s"). Service configs
// and many load balancing configs express times this way, so the type lives
// here where every parser can share it.
type Duration time.Duration

// maxProtoDurationSeconds is the largest magnitude of seconds a
// google.protobuf.Duration may hold (about 10,000 years).
const maxProtoDurationSeconds = 315_576_000_000

// String formats d the way time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a protobuf JSON duration string. Like protobuf's
// own encoder it prints 0, 3, 6 or 9 fractional digits, whichever is the
// fewest that loses nothing.
func (d Duration) MarshalJSON() ([]byte, error) {
	ns := int64(d)
	neg := ns < 0
	// Work with the magnitude as unsigned so that math.MinInt64 survives.
	mag := uint64(ns)
	if neg {
		mag = -mag
	}
	sec, frac := mag/uint64(time.Second), mag%uint64(time.Second)
	var b strings.Builder
	b.WriteByte('"')
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatUint(sec, 10))
	if frac != 0 {
		digits := fmt.Sprintf("%09d", frac)
		switch {
		case strings.HasSuffix(digits, "000000"):
			digits = digits[:3]
		case strings.HasSuffix(digits, "000"):
			digits = digits[:6]
		}
		b.WriteByte('.')
		b.WriteString(digits)
	}
	b.WriteString(`s"`)
	return []byte(b.String()), nil
}

// UnmarshalJSON reads a protobuf JSON duration string: an optional minus
// sign, decimal seconds with at most nine fractional digits, and a trailing
// "s". Values within the protobuf range but beyond what time.Duration can
// hold saturate rather than fail, since they only mean "practically
// forever". A JSON null leaves d unchanged, as encoding/json expects.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a JSON string such as \"1.5s\": %v", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses the text of a protobuf JSON duration (without the
// JSON quotes), e.g. "10s", "0.25s", ".5s" or "-3.000000001s".
func ParseDuration(s string) (time.Duration, error) {
	body, ok := strings.CutSuffix(s, "s")
	if !ok {
		return 0, fmt.Errorf("malformed duration %q: must end in \"s\"", s)
	}
	neg := false
	if rest, ok := strings.CutPrefix(body, "-"); ok {
		neg, body = true, rest
	}
	whole, frac, _ := strings.Cut(body, ".")
	if whole == "" && frac == "" {
		return 0, fmt.Errorf("malformed duration %q: no digits", s)
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("malformed duration %q: want [-]digits[.digits]s", s)
	}
	if len(frac) > 9 {
		return 0, fmt.Errorf("malformed duration %q: more than nine fractional digits", s)
	}
	var sec uint64
	if whole != "" {
		var err error
		// allDigits has vetted the text, so the only possible failure is
		// overflow, which is out of range either way.
		if sec, err = strconv.ParseUint(whole, 10, 64); err != nil || sec > maxProtoDurationSeconds {
			return 0, fmt.Errorf("duration %q out of range: at most %d seconds", s, maxProtoDurationSeconds)
		}
	}
	var nanos uint64
	if frac != "" {
		n, _ := strconv.ParseUint(frac, 10, 64)
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		nanos = n
	}
	// The protobuf range exceeds time.Duration's (about 292 years), so clamp.
	const maxSec = uint64(math.MaxInt64 / int64(time.Second))
	if sec > maxSec || (sec == maxSec && nanos > uint64(math.MaxInt64%int64(time.Second))) {
		if neg {
			return math.MinInt64, nil
		}
		return math.MaxInt64, nil
	}
	v := time.Duration(sec)*time.Second + time.Duration(nanos)
	if neg {
		v = -v
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MarshalJSON writes bc as a one-element loadBalancingConfig list, the form
// UnmarshalJSON reads back. A policy without a parsed config gets "{}".
func (bc *BalancerConfig) MarshalJSON() ([]byte, error) {
	name, err := json.Marshal(bc.Name)
	if err != nil {
		return nil, err
	}
	cfg := []byte("{}")
	if bc.Config != nil {
		if cfg, err = json.Marshal(bc.Config); err != nil {
			return nil, fmt.Errorf("marshaling config of policy %q: %v", bc.Name, err)
		}
	}
	var b bytes.Buffer
	b.WriteString("[{")
	b.Write(name)
	b.WriteByte(':')
	b.Write(cfg)
	b.WriteString("}]")
	return b.Bytes(), nil
}

// UnmarshalJSON picks a policy from a loadBalancingConfig list (gRFC A2):
// a JSON array of objects that each name exactly one policy. The list is in
// order of preference, so the first entry whose policy is registered wins
// and later entries are not looked at (they may be written for newer
// clients). If the winning builder implements balancer.ConfigParser, its
// verdict on the entry's config decides whether the whole service config is
// valid; a builder without a parser gets no config. A list that names no
// registered policy is an error: the channel must not guess a policy the
// service owner did not ask for.
func (bc *BalancerConfig) UnmarshalJSON(b []byte) error {
	var entries []json.RawMessage
	if err := json.Unmarshal(b, &entries); err != nil {
		return fmt.Errorf("invalid loadBalancingConfig: want a list of {policy: config} objects: %v", err)
	}
	var seen []string
	for i, raw := range entries {
		var entry map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entry); err != nil {
			return fmt.Errorf("invalid loadBalancingConfig: entry %d is not an object: %v", i, err)
		}
		if len(entry) != 1 {
			return fmt.Errorf("invalid loadBalancingConfig: entry %d names %d policies, want exactly 1", i, len(entry))
		}
		for name, cfg := range entry {
			seen = append(seen, name)
			builder := balancer.Get(name)
			if builder == nil {
				continue
			}
			parsed := BalancerConfig{Name: name}
			if parser, ok := builder.(balancer.ConfigParser); ok {
				c, err := parser.ParseConfig(cfg)
				if err != nil {
					return fmt.Errorf("invalid loadBalancingConfig for policy %q: %v", name, err)
				}
				parsed.Config = c
			}
			*bc = parsed
			return nil
		}
	}
	return fmt.Errorf("invalid loadBalancingConfig: none of the policies %q is registered", seen)
}
