package grpc

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/base"
	"google.golang.org/grpc/balancer/pickfirst"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
	"google.golang.org/grpc/status"
)

// exitIdle builds the resolver and the LB policy if the channel is idle. The
// channel then stays IDLE until the policy reports otherwise.
func (cc *ClientConn) exitIdle() error {
	cc.mu.Lock()
	if cc.closed {
		cc.mu.Unlock()
		return ErrClientConnClosing
	}
	if !cc.inIdle {
		cc.mu.Unlock()
		return nil
	}
	cc.inIdle = false
	cc.balancer = newCCBalancerWrapper(cc)
	rw := &ccResolverWrapper{cc: cc}
	cc.resolver = rw
	cc.mu.Unlock()

	if err := rw.start(); err != nil {
		// Back to idle, so that a later RPC tries again.
		cc.enterIdle(rw)
		return err
	}
	return nil
}

// enterIdle releases the resolver, the LB policy and every connection, as
// long as rw is still the channel's resolver (nil: whichever it is). The
// channel is IDLE afterwards.
func (cc *ClientConn) enterIdle(rw *ccResolverWrapper) {
	cc.mu.Lock()
	if cc.closed || cc.inIdle || (rw != nil && cc.resolver != rw) {
		cc.mu.Unlock()
		return
	}
	cc.inIdle = true
	r, b := cc.resolver, cc.balancer
	cc.resolver, cc.balancer = nil, nil
	cc.picker = nil
	cc.sc = nil
	cc.resolved = make(chan struct{})
	cc.state = connectivity.Idle
	cc.notifyLocked()
	cc.mu.Unlock()
	r.close()
	b.close()
}

// updateResolverState applies what the resolver rw reported: a new state,
// or (err != nil) a failure. It picks the service config in force and hands
// addresses and the policy's config to the balancer.
func (cc *ClientConn) updateResolverState(rw *ccResolverWrapper, s resolver.State, err error) error {
	cc.mu.Lock()
	if cc.closed || cc.resolver != rw {
		cc.mu.Unlock()
		return nil
	}
	bw := cc.balancer
	firstReport := cc.sc == nil
	if err != nil {
		if firstReport {
			// Until the resolver works, RPCs run under the default config.
			cc.applyServiceConfigLocked(cc.dopts.defaultServiceConfig)
		}
		cc.markResolvedLocked()
		cc.mu.Unlock()
		bw.resolverError(err)
		return nil
	}

	var badConfig error
	switch {
	case s.ServiceConfig == nil || cc.dopts.disableServiceConfig:
		// No config from the resolver (or ignored): the default applies.
		cc.applyServiceConfigLocked(cc.dopts.defaultServiceConfig)
	case s.ServiceConfig.Err != nil:
		// A bad config keeps the one in force; with none yet, the default
		// applies, and without a default the channel fails.
		if firstReport {
			if cc.dopts.defaultServiceConfig != nil {
				cc.applyServiceConfigLocked(cc.dopts.defaultServiceConfig)
			} else {
				badConfig = s.ServiceConfig.Err
			}
		}
	default:
		cc.lastResolverConfig = s.ServiceConfig
		sc, ok := s.ServiceConfig.Config.(*ServiceConfig)
		if !ok {
			badConfig = fmt.Errorf("grpc: service config of unexpected type %T", s.ServiceConfig.Config)
		} else {
			cc.applyServiceConfigLocked(sc)
		}
	}
	if badConfig != nil {
		cc.sc = &ServiceConfig{}
		cc.markResolvedLocked()
		err := status.Errorf(codes.Unavailable, "error parsing service config: %v", badConfig)
		cc.state = connectivity.TransientFailure
		cc.picker = base.NewErrPicker(err)
		cc.notifyLocked()
		cc.mu.Unlock()
		return balancer.ErrBadResolverState
	}
	name, cfg := pickfirst.Name, serviceconfig.LoadBalancingConfig(nil)
	if lb := cc.sc.lbConfig; lb != nil {
		name, cfg = lb.Name, lb.Config
	}
	cc.markResolvedLocked()
	cc.mu.Unlock()
	return bw.updateClientConnState(name, balancer.ClientConnState{ResolverState: s, BalancerConfig: cfg})
}

func (cc *ClientConn) markResolvedLocked() {
	select {
	case <-cc.resolved:
	default:
		close(cc.resolved)
	}
}

// applyServiceConfigLocked makes sc (nil: an empty config) the one in
// force.
func (cc *ClientConn) applyServiceConfigLocked(sc *ServiceConfig) {
	if sc == nil {
		sc = &ServiceConfig{}
	}
	cc.sc = sc
	var t *retryThrottler
	if sc.retryThrottling != nil {
		// A config that changes keeps no tokens from the old one.
		t = newRetryThrottler(sc.retryThrottling)
	}
	cc.retryThrottler.Store(t)
}

// waitForResolved blocks until the resolver has reported once, so that the
// service config is known.
func (cc *ClientConn) waitForResolved(ctx context.Context) error {
	for {
		cc.mu.Lock()
		if cc.closed {
			cc.mu.Unlock()
			return ErrClientConnClosing
		}
		idle := cc.inIdle
		resolved := cc.resolved
		cc.mu.Unlock()
		if idle {
			if err := cc.exitIdle(); err != nil {
				return err
			}
			continue
		}
		select {
		case <-resolved:
			return nil
		default:
		}
		select {
		case <-resolved:
			return nil
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-cc.ctx.Done():
			return ErrClientConnClosing
		}
	}
}

// GetMethodConfig returns the service config's settings for method
// ("/service/method"): an exact match, else the service's default, else the
// config's default, else a zero MethodConfig.
func (cc *ClientConn) GetMethodConfig(method string) MethodConfig {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.sc.methodConfig(method)
}

// updatePicker publishes the LB policy's state and picker.
func (cc *ClientConn) updatePicker(s balancer.State) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.closed || cc.inIdle {
		return
	}
	cc.state = s.ConnectivityState
	cc.picker = s.Picker
	cc.notifyLocked()
}

// noteConnectionError keeps the last connection failure for Dial's
// WithReturnConnectionError and FailOnNonTempDialError.
func (cc *ClientConn) noteConnectionError(s connectivity.State, err error) {
	if s != connectivity.TransientFailure || err == nil {
		return
	}
	cc.mu.Lock()
	cc.lastErr = err
	cc.mu.Unlock()
}

func (cc *ClientConn) notifyLocked() {
	cc.czNoteStateLocked()
	close(cc.changed)
	cc.changed = make(chan struct{})
}

// connectionError is the last connection failure.
func (cc *ClientConn) connectionError() error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.lastErr
}

// resolveNow asks the resolver to resolve again.
func (cc *ClientConn) resolveNow(o resolver.ResolveNowOptions) {
	cc.mu.Lock()
	r := cc.resolver
	cc.mu.Unlock()
	if r != nil {
		go r.resolveNow(o)
	}
}

// pick chooses the transport for one RPC attempt through the LB policy's
// picker. Without WaitForReady (failFast) a picker error fails the RPC with
// Unavailable; with it, the RPC waits for a better picker or the end of ctx.
// A status error from the picker always ends the RPC.
func (cc *ClientConn) pick(ctx context.Context, failFast bool, method string) (*transport.ClientTransport, balancer.PickResult, error) {
	var lastPickErr error
	for {
		cc.mu.Lock()
		if cc.closed {
			cc.mu.Unlock()
			return nil, balancer.PickResult{}, ErrClientConnClosing
		}
		if cc.inIdle {
			cc.mu.Unlock()
			if err := cc.exitIdle(); err != nil {
				return nil, balancer.PickResult{}, err
			}
			continue
		}
		p, changed := cc.picker, cc.changed
		cc.mu.Unlock()

		if p != nil {
			res, err := p.Pick(balancer.PickInfo{FullMethodName: method, Ctx: ctx})
			switch {
			case err == nil:
				if sc, ok := res.SubConn.(*acBalancerWrapper); ok {
					if t := sc.ac.readyTransport(); t != nil {
						return t, res, nil
					}
				}
				// Not READY after all (or not one of ours): tell the policy
				// the pick went nowhere and wait for a newer picker.
				if res.Done != nil {
					res.Done(balancer.DoneInfo{})
				}
			case errors.Is(err, balancer.ErrNoSubConnAvailable):
			default:
				if st, ok := status.FromError(err); ok {
					if restrictedControlPlaneCode(st.Code()) {
						err = status.Errorf(codes.Internal, "received picker error with illegal status: %v", err)
					}
					return nil, balancer.PickResult{}, err
				}
				if failFast {
					return nil, balancer.PickResult{}, status.Error(codes.Unavailable, err.Error())
				}
				lastPickErr = err
			}
		}
		if len(cc.dopts.statsHandlers) != 0 {
			notePickBlocked(ctx)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			msg := fmt.Sprintf("%v while waiting for connections to become ready", ctx.Err())
			if lastPickErr != nil {
				msg = "latest balancer error: " + lastPickErr.Error()
			}
			return nil, balancer.PickResult{}, status.Error(status.FromContextError(ctx.Err()).Code(), msg)
		}
	}
}

// Connect makes an IDLE channel start connecting and returns without
// waiting for the attempt.
//
// Experimental: grpc-go may change or remove this API.
func (cc *ClientConn) Connect() {
	if err := cc.exitIdle(); err != nil {
		return
	}
	cc.mu.Lock()
	b := cc.balancer
	cc.mu.Unlock()
	if b != nil {
		b.exitIdle()
	}
}

// GetState reports the channel's current connectivity state.
func (cc *ClientConn) GetState() connectivity.State {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.state
}

// WaitForStateChange blocks while the channel's state is still sourceState.
// It reports true once the state has moved on and false if ctx ends first.
func (cc *ClientConn) WaitForStateChange(ctx context.Context, sourceState connectivity.State) bool {
	for {
		cc.mu.Lock()
		state, changed := cc.state, cc.changed
		cc.mu.Unlock()
		if state != sourceState {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// Target is the target string exactly as given to NewClient or Dial.
func (cc *ClientConn) Target() string {
	return cc.target
}

// CanonicalTarget is the parsed target written out in full as
// "<scheme>://[authority]/<endpoint>", such as "dns:///localhost:50051" or
// "unix:///tmp/grpc.sock".
func (cc *ClientConn) CanonicalTarget() string {
	return cc.parsedTarget.String()
}

// ResetConnectBackoff makes connections waiting out a backoff in
// TRANSIENT_FAILURE retry now, and restarts the backoff sequence for later
// failures. Normal reconnection needs no help; call this when you know the
// network has just come back.
//
// Experimental: grpc-go may change or remove this API.
func (cc *ClientConn) ResetConnectBackoff() {
	cc.mu.Lock()
	acs := make([]*addrConn, 0, len(cc.conns))
	for ac := range cc.conns {
		acs = append(acs, ac)
	}
	cc.mu.Unlock()
	for _, ac := range acs {
		ac.resetConnectBackoff()
	}
}

// Close shuts the channel and its connections down. Running RPCs end with
// codes.Canceled. Calling Close again returns ErrClientConnClosing.
func (cc *ClientConn) Close() error {
	cc.mu.Lock()
	if cc.closed {
		cc.mu.Unlock()
		return ErrClientConnClosing
	}
	cc.closed = true
	cc.picker = nil
	cc.state = connectivity.Shutdown
	cc.notifyLocked()
	r, b := cc.resolver, cc.balancer
	cc.resolver, cc.balancer = nil, nil
	conns := cc.conns
	cc.conns = nil
	cc.mu.Unlock()

	cc.idle.stop()
	// Streams watch cc.ctx, so they end with ErrClientConnClosing before the
	// transports below fail them with a connection error.
	cc.cancel()
	if r != nil {
		r.close()
	}
	// Connections close at once; the policy, closed after them, finds its
	// SubConns already shut down.
	for ac := range conns {
		ac.tearDown(ErrClientConnClosing, false)
	}
	if b != nil {
		b.close()
	}
	cc.czRemove()
	return nil
}
