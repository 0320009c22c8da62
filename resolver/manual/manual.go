// Package manual provides a resolver whose state is pushed by the caller,
// mostly for tests and for programs that discover servers themselves.
package manual

import (
	"sync"

	"google.golang.org/grpc/resolver"
)

// NewBuilderWithScheme returns a manual resolver registered under no scheme
// but answering to scheme. A given instance must only ever be used by one
// grpc.ClientConn, since it is its own Resolver and remembers a single
// resolver.ClientConn.
func NewBuilderWithScheme(scheme string) *Resolver {
	return &Resolver{
		BuildCallback:       func(resolver.Target, resolver.ClientConn, resolver.BuildOptions) {},
		UpdateStateCallback: func(error) {},
		ResolveNowCallback:  func(resolver.ResolveNowOptions) {},
		CloseCallback:       func() {},
		scheme:              scheme,
	}
}

// Resolver is both a resolver.Builder and the resolver.Resolver it builds:
// Build always returns the receiver.
type Resolver struct {
	// BuildCallback runs inside every call to Build. It must be non-nil and
	// must not be replaced once the resolver might be built.
	BuildCallback func(resolver.Target, resolver.ClientConn, resolver.BuildOptions)
	// UpdateStateCallback receives the error returned by the ClientConn for
	// each state pushed by UpdateState (and, asynchronously, for the state
	// replayed by Build). It must be non-nil and must not be replaced once
	// the resolver might be built.
	UpdateStateCallback func(err error)
	// ResolveNowCallback runs on every call to ResolveNow. It must be
	// non-nil and must not be replaced once the resolver might be built.
	ResolveNowCallback func(resolver.ResolveNowOptions)
	// CloseCallback runs on every call to Close. It must be non-nil and must
	// not be replaced once the resolver might be built.
	CloseCallback func()

	scheme string

	mu sync.Mutex
	cc resolver.ClientConn
	// last is replayed by Build so that a channel that rebuilds its resolver
	// (e.g. when leaving idle mode) sees the latest state again.
	last *resolver.State
}

// InitialState sets the state reported as soon as the resolver is built, so
// tests need not call UpdateState after dialing.
func (r *Resolver) InitialState(s resolver.State) {
	r.mu.Lock()
	r.last = &s
	r.mu.Unlock()
}

// Build records cc, runs BuildCallback and, if a state is known, reports it
// to cc. It returns r itself.
func (r *Resolver) Build(target resolver.Target, cc resolver.ClientConn, opts resolver.BuildOptions) (resolver.Resolver, error) {
	// Holding the lock across the callback keeps a concurrent UpdateState or
	// CC from observing a half-built resolver.
	r.mu.Lock()
	defer r.mu.Unlock()
	r.BuildCallback(target, cc, opts)
	r.cc = cc
	if r.last != nil {
		err := cc.UpdateState(*r.last)
		// The callback may call back into r (e.g. CC), which would deadlock
		// on r.mu if run inline.
		go r.UpdateStateCallback(err)
	}
	return r, nil
}

// Scheme returns the scheme given to NewBuilderWithScheme.
func (r *Resolver) Scheme() string {
	return r.scheme
}

// ResolveNow only runs ResolveNowCallback; the state changes only when the
// caller pushes one.
func (r *Resolver) ResolveNow(o resolver.ResolveNowOptions) {
	r.ResolveNowCallback(o)
}

// Close only runs CloseCallback.
func (r *Resolver) Close() {
	r.CloseCallback()
}

// UpdateState reports s to the ClientConn and passes the result to
// UpdateStateCallback. Before the first Build it just stores s, like
// InitialState.
func (r *Resolver) UpdateState(s resolver.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = &s
	if r.cc == nil {
		return
	}
	r.UpdateStateCallback(r.cc.UpdateState(s))
}

// CC returns the ClientConn passed to the most recent Build. It panics if
// the resolver has not been built.
func (r *Resolver) CC() resolver.ClientConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cc == nil {
		panic("Manual resolver instance has not yet been built.")
	}
	return r.cc
}
