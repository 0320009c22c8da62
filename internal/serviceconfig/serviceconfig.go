// Package serviceconfig holds the parsed, validated form of a service config
// that the root grpc package acts on. The public serviceconfig package only
// has opaque interfaces; the shapes here are what RPCs actually consult.
package serviceconfig

import (
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/serviceconfig"
)

// MethodConfig is what a service config says about one method (or one
// service, or every method). A nil field means "not configured": the dial or
// call options decide.
type MethodConfig struct {
	// WaitForReady is the default for the WaitForReady call option.
	WaitForReady *bool
	// Timeout caps the RPC's deadline; a shorter context deadline still wins.
	Timeout *time.Duration
	// MaxReqSize is the largest request message in bytes; the smaller of it
	// and MaxCallSendMsgSize applies.
	MaxReqSize *int
	// MaxRespSize is the largest response message in bytes; the smaller of
	// it and MaxCallRecvMsgSize applies.
	MaxRespSize *int
	// RetryPolicy, when set, retries failed attempts (gRFC A6).
	RetryPolicy *RetryPolicy
	// HedgingPolicy, when set, sends extra attempts without waiting for
	// the earlier ones to fail (gRFC A6). At most one of RetryPolicy and
	// HedgingPolicy is set.
	HedgingPolicy *HedgingPolicy
}

// RetryPolicy is a validated "retryPolicy" of a method config.
type RetryPolicy struct {
	// MaxAttempts counts the original attempt; it is at least 2 and already
	// capped by the channel's WithMaxCallAttempts limit.
	MaxAttempts int

	// The delay before retry n (n >= 1) is random in
	// [0, min(InitialBackoff*BackoffMultiplier^(n-1), MaxBackoff)).
	InitialBackoff    time.Duration
	MaxBackoff        time.Duration
	BackoffMultiplier float64

	// RetryableStatusCodes are the codes that allow another attempt.
	RetryableStatusCodes map[codes.Code]bool
}

// HedgingPolicy is a validated "hedgingPolicy" of a method config.
type HedgingPolicy struct {
	// MaxAttempts counts the original attempt; it is at least 2 and already
	// capped by the channel's WithMaxCallAttempts limit.
	MaxAttempts int
	// HedgingDelay is the wait between starting one attempt and the next.
	// Zero sends all attempts at once.
	HedgingDelay time.Duration
	// NonFatalStatusCodes are the codes after which the other attempts go
	// on (and the next one starts at once); any other status ends the RPC.
	NonFatalStatusCodes map[codes.Code]bool
}

// BalancerConfig is the load balancing policy chosen from a service config:
// the first policy of "loadBalancingConfig" that is registered, with its
// parsed config (nil if the policy takes none).
type BalancerConfig struct {
	Name   string
	Config serviceconfig.LoadBalancingConfig
}
