package transport

import (
	"math"

	"golang.org/x/net/http2"
)

// Flow control.
//
// Receiving: the connection window is replenished as soon as DATA arrives
// (the reader sends WINDOW_UPDATE(0) once a quarter of the window has been
// received), so one slow stream never stalls the others. Stream windows are
// replenished as the application reads (stream.read), so a slow reader
// throttles only its own stream. A peer that sends beyond either window gets
// FLOW_CONTROL_ERROR.
//
// Sending: a writer reserves min(stream quota, connection quota) bytes under
// h2conn.mu before taking the write lock, waiting on lazily created channels
// that WINDOW_UPDATE and SETTINGS close when quota grows.
//
// TODO(bdp): a BDP estimator would grow streamWindow/connWindow here; the
// windows are plain fields so it can adjust them and announce the delta.

const (
	defaultWindow = 65535
	maxWindow     = math.MaxInt32
)

// acquireQuota blocks until both the stream and the connection may send,
// then reserves up to want bytes. It returns an error once the stream or
// the transport is finished or the stream's context is done.
func (c *h2conn) acquireQuota(s *stream, want int) (int, error) {
	for {
		c.mu.Lock()
		if s.finished {
			c.mu.Unlock()
			return 0, errStreamDone
		}
		if s.sendQuota > 0 && c.sendQuota > 0 {
			n := int64(want)
			n = min(n, s.sendQuota, c.sendQuota)
			s.sendQuota -= n
			c.sendQuota -= n
			c.mu.Unlock()
			return int(n), nil
		}
		var ch chan struct{}
		if s.sendQuota <= 0 {
			if s.quotaCh == nil {
				s.quotaCh = make(chan struct{})
			}
			ch = s.quotaCh
		} else {
			if c.quotaCh == nil {
				c.quotaCh = make(chan struct{})
			}
			ch = c.quotaCh
		}
		c.mu.Unlock()
		parked := c.beforeWait(s, ch, true)
		var err error
		select {
		case <-ch:
		case <-s.done:
		case <-s.ctx.Done():
			err = s.ctxErr()
		case <-c.done:
			err = c.closeStatus().Err()
		}
		if parked {
			c.afterWait(ch)
		}
		if err != nil {
			return 0, err
		}
	}
}

// tryQuota reserves up to want bytes without waiting; 0 if none is free.
func (c *h2conn) tryQuota(s *stream, want int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.finished || s.sendQuota <= 0 || c.sendQuota <= 0 {
		return 0
	}
	n := min(int64(want), s.sendQuota, c.sendQuota)
	s.sendQuota -= n
	c.sendQuota -= n
	return int(n)
}

// wakeStreamQuota wakes writers waiting for s's quota. Caller holds c.mu.
func (s *stream) wakeStreamQuota() {
	if s.quotaCh != nil {
		close(s.quotaCh)
		s.quotaCh = nil
	}
}

// handleWindowUpdate applies a WINDOW_UPDATE. The Framer already rejected a
// zero increment.
func (c *h2conn) handleWindowUpdate(f *http2.WindowUpdateFrame) error {
	inc := int64(f.Increment)
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.StreamID == 0 {
		if c.sendQuota+inc > maxWindow {
			return newConnError(http2.ErrCodeFlowControl, "connection window overflow")
		}
		c.sendQuota += inc
		if c.quotaCh != nil {
			close(c.quotaCh)
			c.quotaCh = nil
		}
		return nil
	}
	s := c.streams[f.StreamID]
	if s == nil {
		return nil // already closed: in-flight updates are expected
	}
	if s.sendQuota+inc > maxWindow {
		// RFC 9113 §6.9.1: a stream error; reset the stream.
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
	}
	s.sendQuota += inc
	s.wakeStreamQuota()
	return nil
}

// setPeerInitialWindow applies a new SETTINGS_INITIAL_WINDOW_SIZE to open
// streams. Caller holds c.mu.
func (c *h2conn) setPeerInitialWindow(v uint32) {
	delta := int64(v) - c.peerWindow
	c.peerWindow = int64(v)
	if delta == 0 {
		return
	}
	for _, s := range c.streams {
		s.sendQuota += delta
		if delta > 0 {
			s.wakeStreamQuota()
		}
	}
}

// onConnData accounts n bytes of DATA against the connection window and
// returns the WINDOW_UPDATE increment to send (0 for none). Reader only.
func (c *h2conn) onConnData(n uint32) (uint32, error) {
	c.connUnacked += n
	if c.connUnacked > c.connWindow {
		return 0, newConnError(http2.ErrCodeFlowControl, "connection receive window exceeded")
	}
	if c.connUnacked >= c.connWindow/4 && c.connUnacked > 0 {
		n := c.connUnacked
		c.connUnacked = 0
		return n, nil
	}
	return 0, nil
}
