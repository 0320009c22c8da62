package grpc

import (
	"sync"
	"sync/atomic"
	"time"
)

// idleTracker puts a channel into idle mode after a period with no RPCs
// (WithIdleTimeout). RPCs only touch two atomics; the timer does the rest,
// rearming itself while there is activity, so a busy channel pays no timer
// churn per RPC.
type idleTracker struct {
	cc      *ClientConn
	timeout time.Duration

	active   atomic.Int32 // RPCs running now
	activity atomic.Bool  // an RPC started or ended since the timer last ran

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (t *idleTracker) init(cc *ClientConn, timeout time.Duration) {
	t.cc, t.timeout = cc, timeout
	if timeout > 0 {
		t.timer = time.AfterFunc(timeout, t.check)
	}
}

// callBegin records an RPC starting.
func (t *idleTracker) callBegin() {
	if t.timeout > 0 {
		t.active.Add(1)
		t.activity.Store(true)
	}
}

// callEnd records an RPC ending.
func (t *idleTracker) callEnd() {
	if t.timeout > 0 {
		t.active.Add(-1)
		t.activity.Store(true)
	}
}

// check runs when the timer fires: with no RPC for a whole timeout the
// channel goes idle; otherwise the timer waits another period.
func (t *idleTracker) check() {
	busy := t.activity.Swap(false) || t.active.Load() > 0
	if !busy {
		// An RPC starting right now finds the channel idle and wakes it
		// up again, so this race costs a reconnect, never a failure.
		t.cc.enterIdle(nil)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.timer.Reset(t.timeout)
	}
}

// stop ends the tracking when the channel closes.
func (t *idleTracker) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.timer != nil {
		t.timer.Stop()
	}
}
