package grpc

import (
	"fmt"
	"sync"

	"google.golang.org/grpc/balancer"
	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/resolver"
)

// ccBalancerWrapper stands between the channel and its LB policy. Every call
// into the policy runs on the serializer, so the policy sees one event at a
// time. When the service config names another policy, the old one is closed
// and the new one built in its place.
type ccBalancerWrapper struct {
	cc         *ClientConn
	serializer *callbackSerializer

	// Owned by the serializer.
	cur     *lbChild
	curName string
}

func newCCBalancerWrapper(cc *ClientConn) *ccBalancerWrapper {
	return &ccBalancerWrapper{cc: cc, serializer: newCallbackSerializer()}
}

// updateClientConnState gives the policy a new resolver state and config,
// switching policy first if name differs, and returns the policy's verdict.
func (w *ccBalancerWrapper) updateClientConnState(name string, ccs balancer.ClientConnState) error {
	errc := make(chan error, 1)
	if !w.serializer.schedule(func() {
		if w.cur == nil || w.curName != name {
			if err := w.switchTo(name); err != nil {
				errc <- err
				return
			}
		}
		errc <- w.cur.bal.UpdateClientConnState(ccs)
	}) {
		return nil
	}
	return <-errc
}

// switchTo replaces the running policy with a new one named name.
func (w *ccBalancerWrapper) switchTo(name string) error {
	b := balancer.Get(name)
	if b == nil {
		return fmt.Errorf("grpc: no balancer registered for %q", name)
	}
	if w.cur != nil {
		w.cur.close()
	}
	child := &lbChild{w: w}
	child.bal = b.Build(child, balancer.BuildOptions{
		DialCreds:       w.cc.dopts.creds,
		CredsBundle:     w.cc.dopts.credsBundle,
		Dialer:          w.cc.dopts.dialer,
		Authority:       w.cc.authority,
		ChannelzParent:  w.cc.cz,
		CustomUserAgent: w.cc.dopts.userAgent,
		Target:          w.cc.parsedTarget,
	})
	w.cur, w.curName = child, name
	return nil
}

// resolverError tells the policy the resolver failed.
func (w *ccBalancerWrapper) resolverError(err error) {
	w.serializer.schedule(func() {
		if w.cur != nil {
			w.cur.bal.ResolverError(err)
		}
	})
}

// exitIdle asks the policy to connect if it is idle.
func (w *ccBalancerWrapper) exitIdle() {
	w.serializer.schedule(func() {
		if w.cur != nil {
			w.cur.bal.ExitIdle()
		}
	})
}

// close shuts the policy and its SubConns down and waits until it is done.
func (w *ccBalancerWrapper) close() {
	w.serializer.schedule(func() {
		if w.cur != nil {
			w.cur.close()
			w.cur = nil
		}
	})
	w.serializer.close()
}

// lbChild is the balancer.ClientConn of one policy instance. Once the policy
// is closed, whatever it still calls is ignored, so a replaced policy cannot
// disturb its successor.
type lbChild struct {
	internal.EnforceClientConnEmbedding
	w   *ccBalancerWrapper
	bal balancer.Balancer

	mu       sync.Mutex
	closed   bool
	subConns map[*acBalancerWrapper]struct{}
}

func (c *lbChild) close() {
	c.bal.Close()
	c.mu.Lock()
	c.closed = true
	scs := c.subConns
	c.subConns = nil
	c.mu.Unlock()
	for sc := range scs {
		sc.Shutdown()
	}
}

// NewSubConn creates a SubConn for addrs; it starts IDLE.
func (c *lbChild) NewSubConn(addrs []resolver.Address, opts balancer.NewSubConnOptions) (balancer.SubConn, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("grpc: cannot create SubConn with empty address list")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("grpc: ClientConn balancer wrapper was closed")
	}
	sc := newSubConn(c, addrs, opts)
	if sc == nil {
		return nil, ErrClientConnClosing
	}
	if c.subConns == nil {
		c.subConns = make(map[*acBalancerWrapper]struct{})
	}
	c.subConns[sc] = struct{}{}
	return sc, nil
}

// RemoveSubConn shuts sc down.
//
// Deprecated: call SubConn.Shutdown.
func (c *lbChild) RemoveSubConn(sc balancer.SubConn) {
	sc.Shutdown()
}

// UpdateAddresses changes the addresses of sc.
//
// Deprecated: call SubConn.UpdateAddresses.
func (c *lbChild) UpdateAddresses(sc balancer.SubConn, addrs []resolver.Address) {
	sc.UpdateAddresses(addrs)
}

// UpdateState publishes the policy's connectivity state and picker.
func (c *lbChild) UpdateState(s balancer.State) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		c.w.cc.updatePicker(s)
	}
}

// ResolveNow asks the resolver to resolve again.
func (c *lbChild) ResolveNow(o resolver.ResolveNowOptions) {
	c.w.cc.resolveNow(o)
}

// Target is the channel's target as the user gave it.
func (c *lbChild) Target() string { return c.w.cc.target }

// MetricsRecorder is where the policy records its metrics.
func (c *lbChild) MetricsRecorder() estats.MetricsRecorder { return c.w.cc.metricsRecorder() }

func (c *lbChild) forget(sc *acBalancerWrapper) {
	c.mu.Lock()
	delete(c.subConns, sc)
	c.mu.Unlock()
}

// noopMetricsRecorder drops recordings until a stats plugin is configured.
type noopMetricsRecorder struct {
	estats.UnimplementedMetricsRecorder
}
