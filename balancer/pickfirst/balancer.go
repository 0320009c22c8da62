package pickfirst

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/resolver"
)

// connectionDelay is how long a connection attempt may stay pending before
// the next address is tried in parallel (the Happy Eyeballs delay).
const connectionDelay = 250 * time.Millisecond

// afterFunc schedules f and returns a function cancelling it. Tests replace
// it to fire timers by hand.
var afterFunc = func(d time.Duration, f func()) (stop func()) {
	t := time.AfterFunc(d, f)
	return func() { t.Stop() }
}

// subConnEntry is pick_first's bookkeeping for one address.
type subConnEntry struct {
	sc   balancer.SubConn
	addr resolver.Address

	// raw is the state last reported by the SubConn itself.
	raw connectivity.State
	// effective is the state used for reporting: raw, adjusted for health
	// updates and for sticky TRANSIENT_FAILURE.
	effective connectivity.State
	lastErr   error
	// failedThisPass is set once the address has failed during the current
	// first pass.
	failedThisPass bool
}

// pickFirst is the balancer. Calls from the channel are serialised, but the
// idle picker and the Happy Eyeballs timer call in from other goroutines, so
// everything is guarded by mu.
type pickFirst struct {
	cc balancer.ClientConn

	mu       sync.Mutex
	state    connectivity.State // last state reported to cc
	subConns *resolver.AddressMapV2[*subConnEntry]
	cursor   addrCursor
	// firstPass is true while the addresses are being tried one after the
	// other. Once all have failed it ends, and from then on every failed
	// SubConn is reconnected as soon as its backoff ends.
	firstPass bool
	// failures counts failures after the first pass, modulo the number of
	// SubConns; the failing picker is refreshed each time it wraps.
	failures int
	// stopTimer cancels the pending Happy Eyeballs timer, if any.
	stopTimer func()
	// healthListener is set by EnableHealthListener.
	healthListener bool
}

func (b *pickFirst) UpdateClientConnState(ccs balancer.ClientConnState) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopTimer()

	rs := ccs.ResolverState
	if len(rs.Addresses) == 0 && len(rs.Endpoints) == 0 {
		// An empty list is handled like a resolver error, after forgetting
		// the old addresses so that the error is not ignored.
		b.shutdownAllLocked()
		b.cursor.reset(nil)
		b.resolverErrorLocked(errors.New("produced zero addresses"))
		return balancer.ErrBadResolverState
	}
	var cfg config
	switch c := ccs.BalancerConfig.(type) {
	case nil:
	case *config:
		cfg = *c
	default:
		return fmt.Errorf("pickfirst: received illegal BalancerConfig (type %T): %v: %w", ccs.BalancerConfig, ccs.BalancerConfig, balancer.ErrBadResolverState)
	}
	b.healthListener = rs.Attributes.Value(healthListenerKey{}) != nil

	addrs := addressesFrom(rs, cfg.ShuffleAddressList)
	hadAddrs := len(b.cursor.addrs) > 0
	prevAddr := b.cursor.current()
	prev, _ := b.subConns.Get(prevAddr)
	wasReady := prev != nil && prev.raw == connectivity.Ready
	b.cursor.reset(addrs)

	// A working connection whose address is still listed is kept as is.
	if wasReady && b.cursor.seek(prevAddr) {
		return nil
	}

	b.dropRemovedLocked(addrs)
	switch {
	case wasReady || b.state == connectivity.Connecting || !hadAddrs:
		// Report CONNECTING even if it is the current state: the channel
		// expects one explicit update after the first resolver result.
		b.setStateLocked(connectivity.Connecting, &fixedPicker{err: balancer.ErrNoSubConnAvailable})
		b.startPassLocked()
	case b.state == connectivity.TransientFailure:
		// Sticky failure (A62): keep reporting the error while retrying the
		// new list. A failure caused by an empty list does not count as
		// sticky, which the !hadAddrs case above takes care of.
		b.startPassLocked()
	}
	// When IDLE, the new list is used on the next ExitIdle.
	return nil
}

func (b *pickFirst) ResolverError(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resolverErrorLocked(err)
}

func (b *pickFirst) resolverErrorLocked(err error) {
	// Keep using the last good address list unless the policy is already
	// failing or never had one.
	if b.state != connectivity.TransientFailure && len(b.cursor.addrs) > 0 {
		return
	}
	b.updateStateLocked(connectivity.TransientFailure, &fixedPicker{err: fmt.Errorf("name resolver error: %v", err)})
}

func (b *pickFirst) UpdateSubConnState(sc balancer.SubConn, st balancer.SubConnState) {
	logger.Errorf("pickfirst: UpdateSubConnState(%p, %+v) called although every SubConn has a StateListener", sc, st)
}

func (b *pickFirst) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shutdownAllLocked()
	b.stopTimer()
	b.state = connectivity.Shutdown
}

// ExitIdle may be called by the channel and by the idle picker at the same
// time; only the first call does anything.
func (b *pickFirst) ExitIdle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != connectivity.Idle {
		return
	}
	// Leave IDLE right away, before any SubConn reports, so that a resolver
	// update arriving meanwhile restarts the pass instead of waiting.
	b.updateStateLocked(connectivity.Connecting, &fixedPicker{err: balancer.ErrNoSubConnAvailable})
	b.startPassLocked()
}

// startPassLocked starts trying the addresses from the cursor's position.
func (b *pickFirst) startPassLocked() {
	b.firstPass = true
	b.failures = 0
	for _, e := range b.subConns.All() {
		e.failedThisPass = false
	}
	b.connectNextLocked()
}

// connectNextLocked starts a connection attempt on the address under the
// cursor, creating its SubConn if needed. Addresses whose SubConn is still
// backing off from an earlier failure are skipped. When the cursor runs off
// the end, the first pass may be over.
func (b *pickFirst) connectNextLocked() {
	if !b.cursor.valid() {
		return
	}
	var lastErr error
	for ok := true; ok; ok = b.cursor.next() {
		addr := b.cursor.current()
		e, found := b.subConns.Get(addr)
		if !found {
			var err error
			if e, err = b.newEntryLocked(addr); err != nil {
				// Only happens while the channel is closing, and this
				// balancer with it.
				logger.Infof("pickfirst: cannot create SubConn for %v: %v", addr, err)
				return
			}
		}
		switch e.raw {
		case connectivity.Idle:
			e.sc.Connect()
			b.armTimerLocked()
			return
		case connectivity.Connecting:
			b.armTimerLocked()
			return
		case connectivity.TransientFailure:
			e.failedThisPass = true
			lastErr = e.lastErr
		default:
			logger.Errorf("pickfirst: SubConn for %v unexpectedly in state %v", addr, e.raw)
			return
		}
	}
	b.endFirstPassLocked(lastErr)
}

func (b *pickFirst) newEntryLocked(addr resolver.Address) (*subConnEntry, error) {
	e := &subConnEntry{addr: addr, raw: connectivity.Idle, effective: connectivity.Idle}
	//lint:ignore SA1019 one address per SubConn is exactly the supported use.
	sc, err := b.cc.NewSubConn([]resolver.Address{addr}, balancer.NewSubConnOptions{
		StateListener: func(st balancer.SubConnState) { b.subConnStateChanged(e, st) },
	})
	if err != nil {
		return nil, err
	}
	e.sc = sc
	b.subConns.Set(addr, e)
	return e, nil
}

// armTimerLocked gives the pending attempt connectionDelay to succeed before
// the next address is tried alongside it.
func (b *pickFirst) armTimerLocked() {
	b.stopTimer()
	if !b.cursor.hasNext() {
		return
	}
	// The callback may already be waiting for mu when the timer is
	// cancelled; the flag, written and read under mu, stops it then.
	cancelled := false
	stop := afterFunc(connectionDelay, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if cancelled {
			return
		}
		if b.cursor.next() {
			b.connectNextLocked()
		}
	})
	b.stopTimer = func() {
		cancelled = true
		stop()
	}
}

// endFirstPassLocked ends the first pass once every address was tried and
// has failed: the policy reports TRANSIENT_FAILURE and from now on keeps all
// SubConns trying.
func (b *pickFirst) endFirstPassLocked(lastErr error) {
	if b.cursor.valid() {
		return
	}
	for _, e := range b.subConns.All() {
		if !e.failedThisPass {
			return
		}
	}
	b.firstPass = false
	b.updateStateLocked(connectivity.TransientFailure, &fixedPicker{err: lastErr})
	for _, e := range b.subConns.All() {
		if e.raw == connectivity.Idle {
			e.sc.Connect()
		}
	}
}

// dropRemovedLocked shuts down the SubConns of addresses not in addrs.
func (b *pickFirst) dropRemovedLocked(addrs []resolver.Address) {
	keep := resolver.NewAddressMapV2[struct{}]()
	for _, a := range addrs {
		keep.Set(a, struct{}{})
	}
	for _, addr := range b.subConns.Keys() {
		if _, ok := keep.Get(addr); ok {
			continue
		}
		if e, ok := b.subConns.Get(addr); ok {
			e.sc.Shutdown()
		}
		b.subConns.Delete(addr)
	}
}

// keepOnlyLocked shuts down every SubConn except e's.
func (b *pickFirst) keepOnlyLocked(e *subConnEntry) {
	b.stopTimer()
	for _, other := range b.subConns.All() {
		if other != e {
			other.sc.Shutdown()
		}
	}
	b.subConns = resolver.NewAddressMapV2[*subConnEntry]()
	b.subConns.Set(e.addr, e)
}

func (b *pickFirst) shutdownAllLocked() {
	for _, e := range b.subConns.All() {
		e.sc.Shutdown()
	}
	b.subConns = resolver.NewAddressMapV2[*subConnEntry]()
}

// updateStateLocked reports a state change. Repeating the current state is
// skipped, except TRANSIENT_FAILURE whose picker carries the latest error.
func (b *pickFirst) updateStateLocked(s connectivity.State, p balancer.Picker) {
	if s == b.state && s != connectivity.TransientFailure {
		return
	}
	b.setStateLocked(s, p)
}

func (b *pickFirst) setStateLocked(s connectivity.State, p balancer.Picker) {
	b.state = s
	b.cc.UpdateState(balancer.State{ConnectivityState: s, Picker: p})
}
