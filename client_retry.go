package grpc

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/balancerload"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// csAttempt is one attempt of an RPC: one pick and one transport stream.
type csAttempt struct {
	t    *transport.ClientTransport
	s    *transport.ClientStream
	ac   *addrConn
	done func(balancer.DoneInfo) // the picker's callback, if any
	hdr  *transport.CallHdr      // this attempt's headers; the transport keeps the pointer

	// startErr is why the attempt never got a stream.
	startErr error
	// drop says the picker failed the RPC on purpose: never retried.
	drop bool

	// Owned by the receiving goroutine.
	headerDone   bool
	recvCompress string

	finished bool // under cs.mu

	stats *attemptStats // nil without stats handlers
}

// replayMsg is a message sent before the RPC committed, kept for replay.
type replayMsg struct {
	hdr  [headerLen]byte
	data mem.BufferSlice
	last bool
	stat *stats.OutPayload // its OutPayload, with stats handlers
}

// retryState is the retry bookkeeping of one RPC; it is guarded by cs.mu.
type retryState struct {
	buffer       []replayMsg
	inlineBuffer [1]replayMsg // the buffer's first home: most RPCs send one message
	bufferSize   int
	// inlineAttempt holds the first attempt, so a one-attempt RPC costs no
	// allocation for it.
	inlineAttempt csAttempt
	usedInline    bool
	closeSent     bool // CloseSend happened before commit: replay it
	firstAttempt  bool // transparent retry is allowed only once
	transparent   bool // the next attempt is a transparent retry (for stats)
	numRetries    int
	// numSincePushback counts the retries since the server last gave a
	// pushback delay; the exponential backoff restarts there.
	numSincePushback int
	throttler        *retryThrottler

	// hedge is the state of a hedged RPC, nil for the others.
	hedge *hedgeState
}

func (r *retryState) init(cs *clientStream) {
	r.firstAttempt = true
	r.buffer = r.inlineBuffer[:0]
	r.throttler = cs.cc.retryThrottler.Load()
}

// hedgeState tracks a hedged RPC: the attempts racing, how many started,
// and when the last one did.
type hedgeState struct {
	attempts []*csAttempt
	started  int
	last     time.Time
}

// begin starts the first attempt, retrying it while that is allowed.
func (cs *clientStream) begin() error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.hedging() {
		cs.retry.hedge = &hedgeState{}
		a, err := cs.startHedgeLocked()
		if err != nil {
			return err
		}
		cs.attempt = a
		cs.ctx = peer.NewContext(cs.ctx, a.t.Peer())
		return nil
	}
	a := cs.startAttemptLocked()
	if a.startErr == nil {
		cs.attempt = a
		cs.ctx = peer.NewContext(cs.ctx, a.t.Peer())
		return nil
	}
	cs.attempt = a
	if err := cs.retryLocked(a, a.startErr); err != nil {
		cs.finishAttemptLocked(cs.attempt, err)
		return err
	}
	cs.ctx = peer.NewContext(cs.ctx, cs.attempt.t.Peer())
	return nil
}

// startAttemptLocked picks a connection and opens a stream on it. Failures
// are recorded in the attempt for the retry logic to judge.
func (cs *clientStream) startAttemptLocked() *csAttempt {
	var a *csAttempt
	if !cs.retry.usedInline {
		// Most RPCs make one attempt: keep it inside the stream, with
		// the stream's own header template as its headers.
		cs.retry.usedInline = true
		a = &cs.retry.inlineAttempt
		a.hdr = &cs.hdr
	} else {
		a = &csAttempt{hdr: new(transport.CallHdr)}
		*a.hdr = cs.hdr
		// The first attempt may have set these on the template.
		a.hdr.Metadata, a.hdr.Host = nil, ""
	}
	if cs.statsOn() {
		a.stats = cs.newAttemptStats(cs.retry.transparent)
	}
	for {
		t, res, err := cs.pickTransport(cs.attemptCtx(a))
		if err != nil {
			a.startErr = err
			_, a.drop = status.FromError(err)
			// A fail-fast pick error is Unavailable that a policy may
			// retry; one from the picker itself is not.
			a.drop = a.drop && status.Code(err) != codes.Unavailable
			return a
		}
		a.t, a.done = t, res.Done
		if a.stats != nil {
			a.stats.picked()
		}
		if sc, ok := res.SubConn.(*acBalancerWrapper); ok {
			a.ac = sc.ac
		}
		hdr := a.hdr
		md := cs.md
		if a.stats != nil {
			md = a.stats.md // TagRPC may have added some, e.g. a trace context
		}
		if cs.retry.numRetries > 0 {
			md = metadata.Join(md, metadata.Pairs("grpc-previous-rpc-attempts", strconv.Itoa(cs.retry.numRetries)))
		}
		if len(res.Metadata) > 0 {
			md = metadata.Join(md, res.Metadata)
		}
		if hdr.Metadata, err = cs.outgoingMetadata(t, md); err == nil {
			err = cs.overrideAuthority(t, hdr)
		}
		if err != nil {
			a.startErr, a.drop = err, true
			return a
		}
		// The caller's context, not cs.ctx: the transport stream need not
		// watch a context of its own that only finish cancels.
		s, err := t.NewStream(cs.attemptCtx(a), hdr)
		if err == nil {
			a.s = s
			if a.ac != nil {
				a.ac.czCallStarted()
			}
			if a.stats != nil {
				cs.streamStarted(a.stats, t, hdr, res.Metadata)
			}
			return a
		}
		a.callDone(err)
		if !transport.IsTransparentRetryable(err) || cs.fixed != nil {
			a.startErr = toRPCErr(err)
			return a
		}
		// The transport was closing: it must not be picked again, and
		// a new pick costs nothing on the wire.
		if a.ac != nil {
			a.ac.retire(t)
		}
		a.done = nil
		if a.stats != nil {
			// As grpc-go: the next stream is a new, transparent attempt.
			a.stats.end(nil, toRPCErr(err))
			a.stats = cs.newAttemptStats(true)
		}
	}
}

// pickTransport is the pick of one attempt; streams bound to a transport
// skip the picker.
func (cs *clientStream) pickTransport(ctx context.Context) (*transport.ClientTransport, balancer.PickResult, error) {
	if cs.fixed != nil {
		return cs.fixed, balancer.PickResult{}, nil
	}
	return cs.cc.pick(ctx, cs.ci.failFast, cs.method)
}

// callDone runs the picker's callback once.
func (a *csAttempt) callDone(err error) {
	if a.done == nil {
		return
	}
	info := balancer.DoneInfo{Err: err}
	if a.s != nil {
		info.BytesSent = true
		info.BytesReceived = a.s.BytesReceived()
		select {
		case <-a.s.Done():
			info.Trailer = a.s.Trailer()
			info.ServerLoad = balancerload.Parse(info.Trailer)
		default:
		}
	}
	a.done(info)
	a.done = nil
}

// withRetry runs op on the current attempt. Until the RPC commits, a failed
// op may start a new attempt (replaying what was sent) and run op again;
// onSuccess runs under cs.mu when op succeeded on the current attempt. A
// hedged RPC sends to all its attempts and receives only from the winner.
func (cs *clientStream) withRetry(send bool, op func(*csAttempt) error, onSuccess func()) error {
	cs.mu.Lock()
	for {
		if cs.committed {
			a := cs.attempt
			cs.mu.Unlock()
			return op(a)
		}
		if cs.hedging() {
			if send {
				cs.sendToHedgesLocked(op)
				if onSuccess != nil {
					onSuccess()
				}
				cs.mu.Unlock()
				return nil
			}
			cs.mu.Unlock()
			if err := cs.awaitHedgeWinner(); err != nil {
				return err
			}
			cs.mu.Lock()
			continue
		}
		a := cs.attempt
		cs.mu.Unlock()
		err := op(a)
		cs.mu.Lock()
		if a != cs.attempt {
			// Another goroutine moved on to a new attempt meanwhile.
			continue
		}
		if err == io.EOF {
			<-a.s.Done()
		}
		if err == nil || (err == io.EOF && a.s.Status().Code() == codes.OK) {
			if onSuccess != nil {
				onSuccess()
			}
			cs.mu.Unlock()
			return err
		}
		if err := cs.retryLocked(a, err); err != nil {
			cs.mu.Unlock()
			return err
		}
	}
}

// retryLocked ends the failed attempt a and starts new ones until one
// replays what was sent, or returns the RPC's final error (committing to
// the attempt that produced it).
func (cs *clientStream) retryLocked(a *csAttempt, err error) error {
	for {
		cs.finishAttemptLocked(a, toRPCErr(err))
		transparent, ferr := cs.shouldRetryLocked(a, err)
		if ferr != nil {
			cs.commitLocked()
			return ferr
		}
		cs.retry.firstAttempt = false
		cs.retry.transparent = transparent
		if !transparent {
			cs.retry.numRetries++
		}
		a = cs.startAttemptLocked()
		cs.attempt = a
		if a.startErr != nil {
			err = a.startErr
			continue
		}
		if err = cs.replayLocked(a); err == nil {
			return nil
		}
	}
}

// shouldRetryLocked decides, after attempt a failed with err, whether the
// RPC runs again: transparently (the server never saw it) or under the
// retry policy, after its backoff. A non-nil error is the RPC's result.
func (cs *clientStream) shouldRetryLocked(a *csAttempt, err error) (transparent bool, _ error) {
	if cs.finished || cs.committed || a.drop {
		return false, err
	}
	unprocessed := false
	if a.s != nil {
		<-a.s.Done()
		unprocessed = a.s.Unprocessed()
	}
	if cs.retry.firstAttempt && unprocessed {
		return true, nil
	}
	if cs.cc.dopts.disableRetry {
		return false, err
	}
	rp := cs.retryPolicy
	if rp == nil {
		return false, err
	}
	pushback, hasPushback := time.Duration(0), false
	code := status.Code(err)
	if a.s != nil {
		if !a.s.TrailersOnly() {
			// Response headers arrived: the server has acted on it.
			return false, err
		}
		code = a.s.Status().Code()
		switch v := a.s.Trailer()["grpc-retry-pushback-ms"]; len(v) {
		case 0:
		case 1:
			ms, perr := strconv.Atoi(v[0])
			if perr != nil || ms < 0 {
				// The server asked not to be retried.
				cs.retry.throttler.throttle()
				return false, err
			}
			pushback, hasPushback = time.Duration(ms)*time.Millisecond, true
		default:
			cs.retry.throttler.throttle()
			return false, err
		}
	}
	if !rp.RetryableStatusCodes[code] {
		return false, err
	}
	if cs.retry.throttler.throttle() {
		return false, err
	}
	if cs.retry.numRetries+1 >= rp.MaxAttempts {
		return false, err
	}
	delay := pushback
	if hasPushback {
		cs.retry.numSincePushback = 0
	} else {
		delay = retryBackoff(rp.InitialBackoff, rp.MaxBackoff, rp.BackoffMultiplier, cs.retry.numSincePushback)
		cs.retry.numSincePushback++
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return false, nil
	case <-cs.parent.Done():
		return false, status.FromContextError(cs.parent.Err()).Err()
	case <-cs.cc.ctx.Done():
		return false, ErrClientConnClosing
	}
}

// retryBackoff is gRFC A6's delay before retry n+1: the exponential value
// capped at max, with ±20% jitter.
func retryBackoff(initial, maxDelay time.Duration, mult float64, n int) time.Duration {
	d := math.Min(float64(initial)*math.Pow(mult, float64(n)), float64(maxDelay))
	return time.Duration(d * (0.8 + 0.4*rand.Float64()))
}

// replayLocked sends what the RPC sent so far on the new attempt a.
func (cs *clientStream) replayLocked(a *csAttempt) error {
	for _, m := range cs.retry.buffer {
		if err := a.s.Write(m.hdr[:], m.data, m.last); err != nil {
			return err
		}
		if a.stats != nil {
			a.stats.replayed(m.stat)
		}
	}
	if cs.retry.closeSent {
		a.s.CloseSend()
	}
	return nil
}

// bufferLocked keeps a sent message for replay, or commits the RPC when the
// buffer would grow past its limit. It takes ownership of data.
func (cs *clientStream) bufferLocked(hdr []byte, data mem.BufferSlice, last bool) {
	if cs.committed {
		data.Free()
		return
	}
	cs.retry.bufferSize += headerLen + data.Len()
	if cs.retry.bufferSize > cs.ci.maxRetryBuffer {
		data.Free()
		cs.commitLocked()
		return
	}
	m := replayMsg{data: data, last: last}
	copy(m.hdr[:], hdr)
	cs.retry.buffer = append(cs.retry.buffer, m)
}

// commitLocked makes the current attempt the RPC's last one and drops the
// replay buffer.
func (cs *clientStream) commitLocked() {
	if cs.committed {
		return
	}
	cs.committed = true
	for _, m := range cs.retry.buffer {
		m.data.Free()
	}
	cs.retry.buffer = nil
}

// commitIf commits to a if it is still the current attempt.
func (cs *clientStream) commitIf(a *csAttempt) {
	cs.mu.Lock()
	if cs.attempt == a {
		cs.commitLocked()
	}
	cs.mu.Unlock()
}

// finishAttemptLocked ends attempt a with err (nil = OK): its stream is
// closed if still open and the picker hears how it went.
func (cs *clientStream) finishAttemptLocked(a *csAttempt, err error) {
	if a == nil || a.finished {
		return
	}
	a.finished = true
	if a.s != nil {
		if err != nil {
			a.s.Close(err)
		} else {
			select {
			case <-a.s.Done():
			default:
				a.s.Close(errContextCanceled)
			}
		}
	}
	if err == nil && a.s != nil {
		if st := a.s.Status(); st != nil && st.Code() == codes.OK {
			cs.retry.throttler.successfulRPC()
		}
	}
	a.callDone(err)
	if a.s != nil && a.ac != nil {
		a.ac.czCallEnded(err)
	}
	if a.stats != nil {
		a.stats.end(a.s, err)
	}
}
