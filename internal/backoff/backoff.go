// Package backoff computes reconnect and retry delays from a backoff.Config.
package backoff

import (
	"math/rand/v2"
	"time"

	grpcbackoff "google.golang.org/grpc/backoff"
)

// Strategy gives the delay before the next attempt.
type Strategy interface {
	// Backoff returns the delay after retries consecutive failures.
	Backoff(retries int) time.Duration
}

// DefaultExponential is Exponential with backoff.DefaultConfig.
var DefaultExponential = Exponential{Config: grpcbackoff.DefaultConfig}

// Exponential is the Strategy of the connection-backoff spec.
type Exponential struct {
	Config grpcbackoff.Config
}

// Backoff returns BaseDelay * Multiplier^retries, capped at MaxDelay, then
// randomised by +/- Jitter so that clients failing together do not retry in
// lockstep. retries == 0 returns BaseDelay exactly.
func (e Exponential) Backoff(retries int) time.Duration {
	c := e.Config
	if retries <= 0 {
		return c.BaseDelay
	}
	d, limit := float64(c.BaseDelay), float64(c.MaxDelay)
	// Loop rather than math.Pow so huge retry counts stop early.
	for ; d < limit && retries > 0; retries-- {
		d *= c.Multiplier
	}
	d = min(d, limit)
	d *= 1 + c.Jitter*(rand.Float64()*2-1)
	if d < 0 {
		return 0
	}
	return time.Duration(d)
}
