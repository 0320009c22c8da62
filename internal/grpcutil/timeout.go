// Package grpcutil holds small wire-format helpers shared by the transport and
// the grpc package: grpc-timeout, grpc-message, binary headers, content types
// and method names.
package grpcutil

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// maxTimeoutValue is the largest value the grpc-timeout header may carry:
// the spec allows at most 8 digits.
const maxTimeoutValue = 99999999

// timeoutUnits is ordered finest first so EncodeTimeout keeps as much
// precision as fits in 8 digits.
var timeoutUnits = []struct {
	unit byte
	d    time.Duration
}{
	{'n', time.Nanosecond},
	{'u', time.Microsecond},
	{'m', time.Millisecond},
	{'S', time.Second},
	{'M', time.Minute},
	{'H', time.Hour},
}

// EncodeTimeout formats d for the grpc-timeout header, using the finest unit
// whose value fits in 8 digits. Values are rounded up so that the deadline
// seen by the server is never earlier than the client's. d <= 0 encodes as
// "0n".
func EncodeTimeout(d time.Duration) string {
	if d <= 0 {
		return "0n"
	}
	for _, u := range timeoutUnits {
		v := int64(d / u.d)
		if d%u.d != 0 {
			v++
		}
		// Hours always fit: MaxInt64 ns is about 2.6 million hours.
		if v <= maxTimeoutValue || u.unit == 'H' {
			return strconv.FormatInt(v, 10) + string(u.unit)
		}
	}
	panic("unreachable")
}

// DecodeTimeout parses a grpc-timeout header value: 1 to 8 ASCII digits
// followed by one of the units H, M, S, m, u, n. Durations that would overflow
// are clamped to the maximum time.Duration.
func DecodeTimeout(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("transport: timeout string is too short: %q", s)
	}
	if len(s) > 9 {
		return 0, fmt.Errorf("transport: timeout string is too long: %q", s)
	}
	unit := s[len(s)-1]
	var d time.Duration
	for _, u := range timeoutUnits {
		if u.unit == unit {
			d = u.d
			break
		}
	}
	if d == 0 {
		return 0, fmt.Errorf("transport: timeout unit is not recognized: %q", s)
	}
	var v int64
	for i := 0; i < len(s)-1; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("transport: timeout value is not a number: %q", s)
		}
		v = v*10 + int64(c-'0')
	}
	if v > math.MaxInt64/int64(d) {
		return time.Duration(math.MaxInt64), nil
	}
	return time.Duration(v) * d, nil
}
