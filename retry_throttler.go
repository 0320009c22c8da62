package grpc

import (
	"math"
	"sync"
)

// retryThrottler is the token bucket of gRFC A6 that stops retries and
// hedges when too many RPCs fail, so that a struggling server is not hit
// with extra load exactly when it can least take it. Each failure that the
// retry policy would otherwise retry takes a token; each successful RPC
// gives back tokenRatio of one. While the bucket is at or below half full,
// no further attempts are sent.
//
// The count is kept in thousandths of a token. A6 limits tokenRatio to three
// decimal places for exactly this reason: integer arithmetic makes every
// implementation agree on when throttling starts, with no floating point
// drift after many updates.
//
// A nil *retryThrottler means the service config has no retryThrottling
// policy and never throttles. The methods may be called concurrently.
type retryThrottler struct {
	maxMilli   int64 // bucket size
	ratioMilli int64 // refill per successful RPC

	mu         sync.Mutex
	tokenMilli int64 // in [0, maxMilli]
}

// newRetryThrottler returns a full bucket for p, or nil (no throttling) when
// p is nil.
func newRetryThrottler(p *retryThrottlingPolicy) *retryThrottler {
	if p == nil {
		return nil
	}
	t := &retryThrottler{
		maxMilli:   toMilli(p.MaxTokens),
		ratioMilli: toMilli(p.TokenRatio),
	}
	t.tokenMilli = t.maxMilli
	return t
}

// toMilli converts a token amount to thousandths, rounding so that values
// such as 0.1 (not exact in binary) land on the intended integer.
func toMilli(v float64) int64 {
	return int64(math.Round(v * 1000))
}

// throttle records a failed attempt that the policy would retry and reports
// whether the retry (or the next hedge) must be skipped: true when, after
// taking one token, at most half of the bucket is left. The count never goes
// below zero, so a long outage does not delay recovery indefinitely.
func (t *retryThrottler) throttle() bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tokenMilli = max(t.tokenMilli-1000, 0)
	// tokens <= max/2, doubled to stay in integers.
	return 2*t.tokenMilli <= t.maxMilli
}

// successfulRPC credits the bucket with tokenRatio for an RPC that
// succeeded, up to the bucket size.
func (t *retryThrottler) successfulRPC() {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.tokenMilli = min(t.tokenMilli+t.ratioMilli, t.maxMilli)
	t.mu.Unlock()
}
