package pickfirst

import (
	"fmt"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
)

// isCurrent tells whether e is still the entry for its address. SubConns
// that were shut down, or replaced after a resolver update, may still send
// updates, which must not affect the policy.
func (b *pickFirst) isCurrent(e *subConnEntry) bool {
	cur, ok := b.subConns.Get(e.addr)
	return ok && cur == e
}

func (b *pickFirst) subConnStateChanged(e *subConnEntry, st balancer.SubConnState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := e.raw
	e.raw = st.ConnectivityState
	if !b.isCurrent(e) {
		return
	}
	switch st.ConnectivityState {
	case connectivity.Shutdown:
		e.effective = connectivity.Shutdown
		return
	case connectivity.TransientFailure:
		e.failedThisPass = true
	case connectivity.Ready:
		b.connectedLocked(e)
		return
	}

	// Leaving READY means the connection was lost. A SubConn can also go
	// straight from CONNECTING to IDLE when the transport came up but died
	// before READY was delivered; that is handled the same way.
	if old == connectivity.Ready || (old == connectivity.Connecting && st.ConnectivityState == connectivity.Idle) {
		b.keepOnlyLocked(e)
		e.effective = st.ConnectivityState
		// The next pass starts again from the first address, but only once
		// an RPC or the channel asks for it.
		b.cursor.rewind()
		b.updateStateLocked(connectivity.Idle, newIdlePicker(b.ExitIdle))
		return
	}

	if b.firstPass {
		b.firstPassUpdateLocked(e, st)
		return
	}

	// After the first pass every SubConn retries on its own schedule; the
	// policy stays in TRANSIENT_FAILURE, refreshing the error roughly once
	// per round of failures.
	switch st.ConnectivityState {
	case connectivity.TransientFailure:
		e.lastErr = st.ConnectionError
		b.failures = (b.failures + 1) % b.subConns.Len()
		if b.failures == 0 {
			b.updateStateLocked(connectivity.TransientFailure, &fixedPicker{err: st.ConnectionError})
		}
	case connectivity.Idle:
		// Backoff is over; there is no reason to wait for an RPC.
		e.sc.Connect()
	}
}

func (b *pickFirst) firstPassUpdateLocked(e *subConnEntry, st balancer.SubConnState) {
	switch st.ConnectivityState {
	case connectivity.Connecting:
		// A SubConn retrying after a failure does not lift the policy out of
		// TRANSIENT_FAILURE.
		if e.effective != connectivity.TransientFailure {
			e.effective = connectivity.Connecting
			b.updateStateLocked(connectivity.Connecting, &fixedPicker{err: balancer.ErrNoSubConnAvailable})
		}
	case connectivity.TransientFailure:
		e.lastErr = st.ConnectionError
		e.effective = connectivity.TransientFailure
		// Failures can arrive out of turn: from an attempt the Happy Eyeballs
		// timer already moved past, or from a pass over an older list. Only
		// a failure of the address under the cursor moves the pass on.
		if sameAddress(b.cursor.current(), e.addr) {
			b.stopTimer()
			if b.cursor.next() {
				b.connectNextLocked()
				return
			}
		}
		b.endFirstPassLocked(st.ConnectionError)
	}
}

// connectedLocked handles a SubConn becoming READY: it wins, every other
// SubConn is closed, and the policy reports READY (or waits for the first
// health update when a health listener is wanted).
func (b *pickFirst) connectedLocked(e *subConnEntry) {
	b.keepOnlyLocked(e)
	if !b.cursor.seek(e.addr) {
		logger.Errorf("pickfirst: connected address %v is missing from the address list", e.addr)
		return
	}
	if !b.healthListener {
		e.effective = connectivity.Ready
		b.updateStateLocked(connectivity.Ready, &fixedPicker{result: balancer.PickResult{SubConn: e.sc}})
		return
	}
	// Leave a sticky TRANSIENT_FAILURE now; the health listener decides
	// about READY.
	e.effective = connectivity.Connecting
	b.updateStateLocked(connectivity.Connecting, &fixedPicker{err: balancer.ErrNoSubConnAvailable})
	e.sc.RegisterHealthListener(func(hs balancer.SubConnState) { b.healthChanged(e, hs) })
}

func (b *pickFirst) healthChanged(e *subConnEntry, hs balancer.SubConnState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.isCurrent(e) {
		return
	}
	e.effective = hs.ConnectivityState
	switch hs.ConnectivityState {
	case connectivity.Ready:
		b.updateStateLocked(connectivity.Ready, &fixedPicker{result: balancer.PickResult{SubConn: e.sc}})
	case connectivity.Connecting:
		b.updateStateLocked(connectivity.Connecting, &fixedPicker{err: balancer.ErrNoSubConnAvailable})
	case connectivity.TransientFailure:
		b.updateStateLocked(connectivity.TransientFailure, &fixedPicker{err: fmt.Errorf("pickfirst: health check failure: %v", hs.ConnectionError)})
	default:
		logger.Errorf("pickfirst: unexpected health state %v for SubConn %p", hs.ConnectivityState, e.sc)
	}
}
