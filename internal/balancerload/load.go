// Package balancerload turns the load a server reports in its trailers into
// the value the channel passes to load balancing policies as
// balancer.DoneInfo.ServerLoad.
//
// The root package cannot parse ORCA reports itself without depending on
// their proto package in every program, so the parser is plugged in by the
// packages that need it (see package orcaload, imported by
// weighted_round_robin).
package balancerload

import (
	"sync/atomic"

	"google.golang.org/grpc/metadata"
)

// Parser extracts a load report from trailing metadata.
type Parser interface {
	// Parse returns the load report found in md, or nil if there is none.
	Parse(md metadata.MD) any
}

var parser atomic.Pointer[Parser]

// SetParser installs p as the parser used by Parse. It is meant to be
// called from init functions; the last call wins.
func SetParser(p Parser) {
	parser.Store(&p)
}

// Parse returns the load report in the trailer md, using the installed
// parser, or nil if no parser is installed or md holds no report.
func Parse(md metadata.MD) any {
	p := parser.Load()
	if p == nil || md == nil {
		return nil
	}
	return (*p).Parse(md)
}
