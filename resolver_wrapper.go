package grpc

import (
	"sync"

	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

// ccResolverWrapper is the resolver.ClientConn a resolver reports to. One is
// made each time the channel leaves idle mode; after close, late reports
// from the resolver are dropped.
type ccResolverWrapper struct {
	cc *ClientConn

	mu     sync.Mutex
	closed bool
	r      resolver.Resolver
}

// start builds the resolver. The resolver may report its first state from
// inside Build, so cc.mu must not be held.
func (w *ccResolverWrapper) start() error {
	cc := w.cc
	opts := resolver.BuildOptions{
		DisableServiceConfig: cc.dopts.disableServiceConfig,
		DialCreds:            cc.dopts.creds,
		CredsBundle:          cc.dopts.credsBundle,
		Dialer:               cc.dopts.dialer,
		Authority:            cc.authority,
		MetricsRecorder:      cc.metricsRecorder(),
	}
	var r resolver.Resolver = staticResolver{}
	if host, ok := cc.proxyTarget(); ok {
		// The proxy resolves the name; the channel dials it by name.
		w.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: host}}})
	} else {
		var err error
		if r, err = cc.resolverBuilder.Build(cc.parsedTarget, w, opts); err != nil {
			return err
		}
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		r.Close()
		return nil
	}
	w.r = r
	w.mu.Unlock()
	return nil
}

func (w *ccResolverWrapper) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// UpdateState hands a new resolver state to the channel. The error is the
// balancer's verdict (balancer.ErrBadResolverState asks the resolver to try
// again).
func (w *ccResolverWrapper) UpdateState(s resolver.State) error {
	if w.isClosed() {
		return nil
	}
	return w.cc.updateResolverState(w, s, nil)
}

// ReportError tells the channel the resolver failed to resolve.
func (w *ccResolverWrapper) ReportError(err error) {
	if w.isClosed() {
		return
	}
	w.cc.updateResolverState(w, resolver.State{}, err)
}

// NewAddress is the deprecated form of UpdateState with addresses only; the
// service config last reported is kept.
func (w *ccResolverWrapper) NewAddress(addrs []resolver.Address) {
	if w.isClosed() {
		return
	}
	w.cc.mu.Lock()
	sc := w.cc.lastResolverConfig
	w.cc.mu.Unlock()
	w.cc.updateResolverState(w, resolver.State{Addresses: addrs, ServiceConfig: sc}, nil)
}

// ParseServiceConfig parses a service config the resolver found.
func (w *ccResolverWrapper) ParseServiceConfig(js string) *serviceconfig.ParseResult {
	return parseServiceConfig(js, w.cc.dopts.maxCallAttempts)
}

// resolveNow asks the resolver to resolve again, if it is running.
func (w *ccResolverWrapper) resolveNow(o resolver.ResolveNowOptions) {
	w.mu.Lock()
	r := w.r
	closed := w.closed
	w.mu.Unlock()
	if r != nil && !closed {
		r.ResolveNow(o)
	}
}

func (w *ccResolverWrapper) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	r := w.r
	w.mu.Unlock()
	if r != nil {
		r.Close()
	}
}
