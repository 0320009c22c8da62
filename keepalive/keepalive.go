// Package keepalive holds the settings for HTTP/2 keepalive pings and
// connection age limits.
package keepalive

import "time"

// ClientParameters configures the pings a client sends to detect a dead
// connection and to keep idle intermediaries from dropping it. They must be
// compatible with the server's EnforcementPolicy, or the server will close the
// connection.
type ClientParameters struct {
	// Time is how long the connection may be idle before the client pings.
	// Values below 10s are raised to 10s. Servers by default reject pings
	// more often than every 5 minutes (EnforcementPolicy.MinTime); if the
	// server closes the connection for pinging too often, the client doubles
	// Time.
	Time time.Duration
	// Timeout is how long to wait for any activity after a ping before the
	// connection is closed. Defaults to 20s when keepalive is enabled.
	Timeout time.Duration
	// PermitWithoutStream allows pings while no RPC is active. When false,
	// Time and Timeout only apply while at least one RPC is in flight.
	PermitWithoutStream bool
}

// ServerParameters configures server-side pings and connection age limits.
// Zero values select the defaults noted on each field.
type ServerParameters struct {
	// MaxConnectionIdle closes (with GOAWAY) a connection that has had no
	// active RPC for this long. Default: never.
	MaxConnectionIdle time.Duration
	// MaxConnectionAge closes (with GOAWAY) a connection after this long,
	// with +/-10% jitter so that clients do not all reconnect at once.
	// Default: never.
	MaxConnectionAge time.Duration
	// MaxConnectionAgeGrace is how long RPCs may continue after
	// MaxConnectionAge before the connection is closed forcibly. Default:
	// forever.
	MaxConnectionAgeGrace time.Duration
	// Time is how long the connection may be idle before the server pings.
	// Values below 1s are raised to 1s. Default: 2 hours.
	Time time.Duration
	// Timeout is how long to wait for any activity after a ping before the
	// connection is closed. Default: 20 seconds.
	Timeout time.Duration
}

// EnforcementPolicy limits how often clients may ping; a client that pings
// more often is disconnected.
type EnforcementPolicy struct {
	// MinTime is the shortest allowed interval between client pings.
	// Default: 5 minutes.
	MinTime time.Duration
	// PermitWithoutStream allows pings while no RPC is active; when false
	// such a ping counts as abuse and the connection is closed with GOAWAY.
	PermitWithoutStream bool
}
