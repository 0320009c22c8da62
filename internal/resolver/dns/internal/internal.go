// Package internal holds the pieces of the DNS resolver that tests (in this
// module) need to replace: the name lookup backend and the clock.
package internal

import (
	"context"
	"errors"
	"net"
	"time"
)

// NetResolver is the subset of *net.Resolver used by the DNS resolver, so
// that tests can substitute canned answers.
type NetResolver interface {
	LookupHost(ctx context.Context, host string) (addrs []string, err error)
	LookupTXT(ctx context.Context, name string) (txts []string, err error)
}

var (
	// ErrMissingAddr is returned by Build for an empty target (or DNS server
	// authority).
	ErrMissingAddr = errors.New("dns resolver: missing address")

	// ErrEndsWithColon is returned by Build when a target has a host/port
	// separator but no port, as in "[::1]:". A bare IPv6 address such as "::"
	// is not affected.
	ErrEndsWithColon = errors.New("dns resolver: missing port after port-separator colon")
)

// Hooks set by the dns package's init and overridable by tests. They must
// not be changed while a resolver is running.
var (
	// TimeAfterFunc waits for a duration; time.After outside of tests. Tests
	// replace it to decide when a pending wait (minimum re-resolution
	// interval or backoff) ends.
	TimeAfterFunc func(time.Duration) <-chan time.Time

	// TimeNowFunc returns the current time; time.Now outside of tests.
	TimeNowFunc func() time.Time

	// NewNetResolver returns the lookup backend for a target's authority
	// (the DNS server to query, or "" for the system default).
	NewNetResolver func(authority string) (NetResolver, error)

	// AddressDialer returns the function that a Go net.Resolver uses to
	// reach the DNS server at address.
	AddressDialer func(address string) func(ctx context.Context, network, address string) (net.Conn, error)
)
