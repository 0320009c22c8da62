package transport

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Every frame of a connection is read by one goroutine at a time: the one
// holding the connection's read turn. Usually that is the connection's
// reader goroutine, which hands each message to the goroutine blocked in
// Recv. On an otherwise quiet connection that hand-off is most of the
// cost of a message: the reader makes the receiver runnable, which wakes
// another thread, and the reader then parks again. So on the client a
// goroutine about to block for a reply (its stream wrote since it last
// read) on a connection with one open stream takes the turn itself when
// it is free, and reads until what it waits for has come; the kernel's
// readiness wakes it directly. That is the shape of unary calls made one
// at a time and of ping-pong streams. The reader goroutine gives the turn
// up when it has just delivered to waiting goroutines and none is still
// waiting, which is when the one it woke is likely to come back for the
// next message. Message streams and busy connections keep the reader
// goroutine, which reads ahead while the application works.
//
// The rules that keep every frame read:
//   - A goroutine that blocks while another holds the turn registers as
//     parked first; a holder letting the turn go with an unsatisfied
//     parked goroutine (or with bytes already buffered) asks the reader
//     goroutine to take it.
//   - A turn left free with nobody waiting is taken back by the reader
//     goroutine after vacancyGrace, so frames nobody waits for (PING,
//     SETTINGS, GOAWAY, the end of the connection) are still read soon.
//   - A stream goroutine blocked in a read as the holder is interrupted
//     (through a read deadline, at a frame boundary only) when its stream
//     is cancelled or closed from elsewhere.
//
// Only connections whose reads can be interrupted at a frame boundary and
// resumed without losing bytes qualify: plain sockets (see readyReader)
// and TLS. The server never lends its turn: its reader must see new
// streams at once.

// resumesAfterDeadline reports whether conn, not a plain socket, is known
// to keep what it has read when a read deadline cuts a Read short: a
// crypto/tls connection (or a wrapper that embeds one) keeps the partial
// record and fails only that Read.
func resumesAfterDeadline(conn net.Conn) bool {
	_, ok := conn.(interface{ ConnectionState() tls.ConnectionState })
	return ok
}

// vacancyGrace is how long a free turn waits for a stream goroutine before
// the reader goroutine takes it back (a variable for tests). Timers shorter
// than a millisecond fire late on an idle process anyway.
var vacancyGrace = time.Millisecond

// stepResult says how reading one frame went.
type stepResult uint8

const (
	stepOK          stepResult = iota
	stepInterrupted            // the read was interrupted; nothing was read
	stepClosed                 // the connection failed and is closed
)

// errInterrupted is returned by a read at a frame boundary cut short by
// readTurn.interrupt.
var errInterrupted = errors.New("transport: read interrupted")

// readTurn is the read turn of one connection.
type readTurn struct {
	enabled bool // stream goroutines may take the turn
	held    atomic.Bool
	owner   atomic.Pointer[stream] // holder's stream; nil for the reader goroutine

	// engaged says the holder handled frames of streams since the reader
	// goroutine last decided to block; under the turn.
	engaged bool

	parked  atomic.Int32 // len(waits), readable without mu
	mu      sync.Mutex
	waits   []parkedWait
	wake    chan struct{} // capacity 1: asks the reader goroutine to take the turn
	vacancy *time.Timer   // fires grace after the turn was left free
	grace   time.Duration

	// step reads and handles one frame as the holder.
	step func() stepResult
}

// parkedWait is what a parked goroutine waits for: ch or done closing.
type parkedWait struct {
	ch, done <-chan struct{}
}

// newReadTurn returns the read turn of a client connection; enabled says
// whether stream goroutines may take it. (Servers have none.)
func newReadTurn(enabled bool) *readTurn {
	rt := &readTurn{enabled: enabled}
	if enabled {
		rt.wake = make(chan struct{}, 1)
		rt.grace = vacancyGrace
		rt.vacancy = time.NewTimer(rt.grace)
		rt.vacancy.Stop()
	}
	return rt
}

// take claims the turn for the goroutine of s (nil: the reader goroutine).
func (rt *readTurn) take(s *stream) bool {
	if !rt.held.CompareAndSwap(false, true) {
		return false
	}
	rt.owner.Store(s)
	return true
}

// sleep blocks the reader goroutine until it is asked to take the turn or
// the turn has been free for the grace period. It returns false once done
// is closed. Only for an enabled turn (others are never given up).
func (rt *readTurn) sleep(done <-chan struct{}) bool {
	select {
	case <-rt.wake:
	case <-rt.vacancy.C:
	case <-done:
		return false
	}
	return true
}

// signal asks the reader goroutine to take the turn.
func (rt *readTurn) signal() {
	select {
	case rt.wake <- struct{}{}:
	default:
	}
}

// park registers a goroutine about to block until ch or done is closed.
// It reports whether the turn is still held; if not, the caller must
// unpark and try to take the turn instead.
func (rt *readTurn) park(ch, done <-chan struct{}) bool {
	rt.mu.Lock()
	rt.waits = append(rt.waits, parkedWait{ch: ch, done: done})
	rt.parked.Store(int32(len(rt.waits)))
	rt.mu.Unlock()
	// Paired with release, which frees the turn before it looks for
	// parked goroutines: one of the two sees the other.
	return rt.held.Load()
}

// unpark removes a registration made by park.
func (rt *readTurn) unpark(ch <-chan struct{}) {
	rt.mu.Lock()
	for i, w := range rt.waits {
		if w.ch == ch {
			last := len(rt.waits) - 1
			rt.waits[i] = rt.waits[last]
			rt.waits[last] = parkedWait{}
			rt.waits = rt.waits[:last]
			break
		}
	}
	rt.parked.Store(int32(len(rt.waits)))
	rt.mu.Unlock()
}

// waitScanLimit is how many parked goroutines waiting looks at. Beyond
// it, some are surely still waiting (a wrong answer costs only a wake-up
// of the reader goroutine), and scanning would cost the busy connections
// more than it saves.
const waitScanLimit = 4

// waiting reports whether a parked goroutine may still be waiting for
// frames: never false while one is.
func (rt *readTurn) waiting() bool {
	switch n := rt.parked.Load(); {
	case n == 0:
		return false
	case n > waitScanLimit:
		return true
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, w := range rt.waits {
		if !isClosed(w.ch) && !isClosed(w.done) {
			return true
		}
	}
	return false
}

// interrupt cuts short the blocking read of s's goroutine if it holds the
// turn, so it notices that its stream ended. Called after the stream's
// state changed; the holder clears the deadline before it looks at that
// state, so the interruption is never lost.
func (rt *readTurn) interrupt(s *stream) {
	if rt != nil && rt.enabled && rt.owner.Load() == s {
		s.c.nc.SetReadDeadline(time.Unix(1, 0))
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// releaseTurn lets the turn go: it wakes those the holder delivered to,
// then either asks the reader goroutine to take over (someone still waits
// or bytes are buffered) or arms the vacancy timer.
func (c *h2conn) releaseTurn() {
	c.wakeDeferred()
	rt := c.turn
	buffered := c.br.buffered() > 0 // the buffer is the holder's alone
	rt.owner.Store(nil)
	rt.held.Store(false)
	if !rt.enabled {
		return
	}
	if buffered || rt.waiting() {
		rt.signal()
	} else {
		rt.vacancy.Reset(rt.grace)
	}
}

// wakePending reports whether ch is due to be closed by wakeDeferred.
func (c *h2conn) wakePending(ch <-chan struct{}) bool {
	for _, w := range c.wakes {
		if w == ch {
			return true
		}
	}
	return false
}

// beforeWait is called by the goroutine of stream s before it blocks
// until ch or s.done is closed. If mayRead and the turn is free, it reads
// frames itself until then (or until the connection fails) and returns
// false; the caller's wait then ends at once. Otherwise it parks the
// caller, making sure some goroutine reads, and returns true: the caller
// must call afterWait(ch) when its wait ends.
func (c *h2conn) beforeWait(s *stream, ch <-chan struct{}, mayRead bool) bool {
	rt := c.turn
	if rt == nil || !rt.enabled {
		return false
	}
	mayRead = mayRead && c.quiet()
	for {
		if mayRead && rt.take(s) {
			c.readFor(s, ch)
			return false
		}
		if rt.park(ch, s.done) {
			return true
		}
		if !mayRead {
			rt.signal()
			return true
		}
		rt.unpark(ch)
	}
}

// readFor reads frames on the goroutine of s, which holds the turn, until
// ch or s.done is closed or due to close, or the connection fails.
func (c *h2conn) readFor(s *stream, ch <-chan struct{}) {
	for {
		if isClosed(ch) || c.wakePending(ch) || isClosed(s.done) {
			// Done, but first handle the whole frames already read:
			// the rest of a response that came in one piece, rather
			// than make the reader goroutine wake for them.
			if !c.br.frameBuffered() {
				break
			}
		}
		if c.turn.step() == stepClosed {
			break
		}
	}
	c.releaseTurn()
}

// quiet reports whether at most one stream is open: only then do stream
// goroutines read for themselves. With several streams at work the reader
// goroutine reads for all of them at once, ahead of their requests, and
// one wake-up often serves several.
func (c *h2conn) quiet() bool {
	c.mu.Lock()
	n := len(c.streams)
	c.mu.Unlock()
	return n <= 1
}

// afterWait ends a wait that beforeWait parked.
func (c *h2conn) afterWait(ch <-chan struct{}) {
	c.turn.unpark(ch)
}
