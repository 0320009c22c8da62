// Package backoff computes reconnect and retry delays from a backoff.Config.
package backoff

import (
	"math/rand/v2"
	"time"

	grpcbackoff "google.golang.org/grpc/backoff"
)

// Strategy defines the methodology for backing off after a grpc connection
// failure.
type Strategy interface {
	// Backoff returns the amount of time to wait before the next retry given
	// the number of consecutive failures.
	Backoff(retries int) time.Duration
}

// DefaultExponential is an exponential backoff implementation using the
// default values for all the configurable knobs defined in
// https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md.
var DefaultExponential = Exponential{Config: grpcbackoff.DefaultConfig}

// Exponential implements exponential backoff algorithm as defined in
// https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md.
type Exponential struct {
	// Config contains all options to configure the backoff algorithm.
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
