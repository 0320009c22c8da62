// Package backoff configures the delays between connection attempts; see
// the gRPC spec at https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md.
//
// This package is experimental.
package backoff

import "time"

// Config sets exponential backoff: the n-th delay is
// BaseDelay*Multiplier^n, capped at MaxDelay, randomised by +/-Jitter.
type Config struct {
	// BaseDelay is the delay after the first failure.
	BaseDelay time.Duration
	// Multiplier scales the delay after each further failure; it should be
	// above 1.
	Multiplier float64
	// Jitter is the fraction by which each delay is randomly varied, so
	// that clients do not retry in lockstep.
	Jitter float64
	// MaxDelay caps the delay before jitter is applied.
	MaxDelay time.Duration
}

// DefaultConfig holds the values from the connection-backoff spec: 1s base,
// x1.6, 20% jitter, 120s cap. Copy it to change only some of them.
var DefaultConfig = Config{
	BaseDelay:  1.0 * time.Second,
	Multiplier: 1.6,
	Jitter:     0.2,
	MaxDelay:   120 * time.Second,
}
