package grpc

import (
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Hedging (gRFC A6) runs several attempts of one RPC at once: a new one
// every hedgingDelay, or at once when an attempt fails with a non-fatal
// code, up to maxAttempts. The first attempt to receive response headers, or
// to fail fatally, decides the RPC and the others are cancelled.
//
// Requests go to every live attempt and are buffered for the ones that start
// later. The race is run when the caller first asks for a response (Header
// or RecvMsg): for unary and server-streaming RPCs that is right after the
// request went out; a client-streaming RPC hedges once it starts to
// receive.

// errHedgeLost ends the attempts that lost the race.
var errHedgeLost = status.Error(codes.Canceled, "grpc: hedged attempt not chosen")

// hedging reports whether this RPC hedges.
func (cs *clientStream) hedging() bool {
	return cs.hedgingPolicy != nil && !cs.cc.dopts.disableRetry
}

// sendToHedgesLocked runs a send op on every live attempt. An attempt whose
// stream broke is dealt with by the race.
func (cs *clientStream) sendToHedgesLocked(op func(*csAttempt) error) {
	for _, a := range cs.retry.hedge.attempts {
		op(a)
	}
}

// awaitHedgeWinner runs the race and commits the RPC to its winner. It is
// called without cs.mu and returns with the RPC committed (or an error that
// ends it).
func (cs *clientStream) awaitHedgeWinner() error {
	hp := cs.hedgingPolicy
	done := make(chan *csAttempt, hp.MaxAttempts)
	watch := func(a *csAttempt) {
		go func() {
			<-a.s.HeaderDone()
			done <- a
		}()
	}
	cs.mu.Lock()
	if cs.committed {
		cs.mu.Unlock()
		return nil
	}
	for _, a := range cs.retry.hedge.attempts {
		watch(a)
	}
	started := cs.retry.hedge.started
	next := cs.retry.hedge.last.Add(hp.HedgingDelay)
	cs.mu.Unlock()

	var lastFailed *csAttempt
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		startOne := false
		select {
		case a := <-done:
			cs.mu.Lock()
			if a.finished {
				cs.mu.Unlock()
				continue
			}
			if !a.s.TrailersOnly() {
				cs.winLocked(a)
				cs.mu.Unlock()
				return nil
			}
			<-a.s.Done()
			code := a.s.Status().Code()
			if code == codes.OK || !hp.NonFatalStatusCodes[code] {
				cs.winLocked(a)
				cs.mu.Unlock()
				return nil
			}
			// Non-fatal: drop this attempt and hedge again at once.
			cs.dropHedgeLocked(a)
			lastFailed = a
			startOne = true
			cs.mu.Unlock()
		case <-timer.C:
			startOne = true
		case <-cs.parent.Done():
			return status.FromContextError(cs.parent.Err()).Err()
		case <-cs.cc.ctx.Done():
			return ErrClientConnClosing
		}
		if !startOne {
			continue
		}
		cs.mu.Lock()
		if started < hp.MaxAttempts && !cs.retry.throttler.throttle() {
			if a, err := cs.startHedgeLocked(); err == nil {
				started++
				watch(a)
			}
			timer.Reset(hp.HedgingDelay)
		}
		if len(cs.retry.hedge.attempts) == 0 {
			// Nothing left racing and no attempt may start: the last
			// failure is the answer.
			if lastFailed != nil {
				cs.winLocked(lastFailed)
			}
			cs.mu.Unlock()
			if lastFailed == nil {
				return status.Error(codes.Unavailable, "grpc: no hedged attempt could start")
			}
			return nil
		}
		cs.mu.Unlock()
	}
}

// startHedgeLocked starts one more attempt and replays the requests on it.
func (cs *clientStream) startHedgeLocked() (*csAttempt, error) {
	cs.retry.numRetries = cs.retry.hedge.started
	a := cs.startAttemptLocked()
	cs.retry.hedge.started++
	cs.retry.hedge.last = time.Now()
	if a.startErr != nil {
		cs.finishAttemptLocked(a, a.startErr)
		return nil, a.startErr
	}
	if err := cs.replayLocked(a); err != nil {
		err = toRPCErr(err)
		cs.finishAttemptLocked(a, err)
		return nil, err
	}
	cs.retry.hedge.attempts = append(cs.retry.hedge.attempts, a)
	return a, nil
}

// dropHedgeLocked ends a losing or failed attempt.
func (cs *clientStream) dropHedgeLocked(a *csAttempt) {
	for i, h := range cs.retry.hedge.attempts {
		if h == a {
			cs.retry.hedge.attempts = append(cs.retry.hedge.attempts[:i], cs.retry.hedge.attempts[i+1:]...)
			break
		}
	}
	if a.s != nil && a.s.Status() != nil {
		cs.finishAttemptLocked(a, a.s.Status().Err())
		return
	}
	cs.finishAttemptLocked(a, errHedgeLost)
}

// winLocked commits the RPC to a and cancels every other attempt.
func (cs *clientStream) winLocked(a *csAttempt) {
	for _, h := range cs.retry.hedge.attempts {
		if h != a {
			cs.finishAttemptLocked(h, errHedgeLost)
		}
	}
	cs.retry.hedge.attempts = nil
	cs.attempt = a
	cs.commitLocked()
}
