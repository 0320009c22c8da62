// Package dns provides the "dns" resolver, which gRPC installs as its default
// resolver, and the knobs that tune it.
package dns

import (
	"time"

	"google.golang.org/grpc/internal/resolver/dns"
	"google.golang.org/grpc/resolver"
)

// SetResolvingTimeout changes how long a single DNS resolution may take
// before it is abandoned, for every channel using the "dns" scheme. The
// default is 30 seconds. Too short a timeout causes spurious failures; too
// long a one delays noticing unreachable DNS servers.
//
// Call it only during start-up, before any channel is created: the value is
// read without synchronisation.
func SetResolvingTimeout(timeout time.Duration) {
	dns.ResolvingTimeout = timeout
}

// NewBuilder returns a builder for "dns" resolvers.
//
// Deprecated: the grpc package registers this builder; obtain it with
// resolver.Get("dns").
func NewBuilder() resolver.Builder {
	return dns.NewBuilder()
}

// SetMinResolutionInterval changes the minimum time between two resolutions
// of the same target (30 seconds by default), which keeps frequent
// ResolveNow calls from flooding the DNS servers.
//
// Call it only during start-up, before any channel is created: the value is
// read without synchronisation.
func SetMinResolutionInterval(d time.Duration) {
	dns.MinResolutionInterval = d
}
