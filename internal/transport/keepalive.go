package transport

import (
	"math/rand/v2"
	"time"

	"golang.org/x/net/http2"
)

// Keepalive defaults, as documented by the keepalive package.
const (
	defaultServerKATime    = 2 * time.Hour
	defaultServerKATimeout = 20 * time.Second
	defaultMinPingTime     = 5 * time.Minute
	defaultClientKATimeout = 20 * time.Second
	maxPingStrikes         = 2
	infinity               = time.Duration(1<<63 - 1)
)

// Floors on keepalive intervals (grpc-go's); variables so tests can lower them.
var (
	minClientKATime = 10 * time.Second
	minServerKATime = time.Second
)

var kaPing = [8]byte{'k', 'e', 'e', 'p', 'a', 'l', 'v', 'e'}

func (c *h2conn) writePing(data [8]byte) {
	c.writeFailed(c.w.control(func(fr *http2.Framer) error { return fr.WritePing(false, data) }))
}

// startKeepalive runs the client's keepalive pinger when configured. It
// detects a dead connection: no frame read for Time, then no frame for
// Timeout after a PING.
func (t *ClientTransport) startKeepalive() {
	p := t.opts.Keepalive
	if p.Time <= 0 || p.Time == infinity {
		return
	}
	interval := max(p.Time, minClientKATime)
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = defaultClientKATimeout
	}
	t.kaDone = make(chan struct{})
	go func() {
		defer close(t.kaDone)
		timer := time.NewTimer(interval)
		defer timer.Stop()
		outstanding := false
		for {
			select {
			case <-t.done:
				return
			case <-timer.C:
			}
			if t.activity.Swap(false) {
				outstanding = false
				timer.Reset(interval)
				continue
			}
			if outstanding {
				t.close(ConnectionError{Desc: "keepalive ping failed to receive ACK within timeout"})
				return
			}
			t.mu.Lock()
			idle := t.active == 0
			t.mu.Unlock()
			if idle && !p.PermitWithoutStream {
				timer.Reset(interval)
				continue
			}
			t.writePing(kaPing)
			outstanding = true
			timer.Reset(timeout)
		}
	}()
}

// onPing acks client PINGs and enforces the keepalive policy: a client
// pinging more often than allowed collects strikes and, past the limit, is
// sent GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings").
func (t *ServerTransport) onPing(f *http2.PingFrame) error {
	if f.IsAck() {
		if f.Data == drainPing {
			t.finalGoAway()
		} else if isBDPAck(f) {
			t.bdpPingAck()
		}
		return nil
	}
	if t.pingStrike() {
		t.goAwayAndCloseCode(http2.ErrCodeEnhanceYourCalm, "too_many_pings")
		t.Close(ConnectionError{Desc: "got too many pings from the client"})
		return errClosed
	}
	t.writePingAck(f.Data)
	return nil
}

func (t *ServerTransport) goAwayAndCloseCode(code http2.ErrCode, debug string) {
	t.goAwayAndClose(t.maxStreamID.Load(), code, debug)
}

// pingStrike records a PING and reports whether the client exceeded the
// allowed strikes. Reader only.
func (t *ServerTransport) pingStrike() bool {
	now := time.Now()
	last := t.lastPingAt
	t.lastPingAt = now
	if t.w.sentHdr.Swap(false) {
		// We sent headers or data since the last ping: pings are welcome.
		t.pingStrikes = 0
		return false
	}
	pol := t.opts.KeepalivePolicy
	minTime := pol.MinTime
	if minTime == 0 {
		minTime = defaultMinPingTime
	}
	t.mu.Lock()
	idle := len(t.streams) == 0
	t.mu.Unlock()
	if idle && !pol.PermitWithoutStream {
		minTime = defaultServerKATime
	}
	if !last.IsZero() && now.Sub(last) < minTime {
		t.pingStrikes++
	}
	return t.pingStrikes > maxPingStrikes
}

// startKeepalive runs the server's connection manager when any of
// MaxConnectionIdle, MaxConnectionAge or keepalive pings apply (pings always
// do: Time defaults to 2h).
func (t *ServerTransport) startKeepalive() {
	p := t.opts.Keepalive
	idle := orInfinity(p.MaxConnectionIdle)
	age := orInfinity(p.MaxConnectionAge)
	if age != infinity {
		// ±10% jitter so connections made together do not all reconnect
		// together (grpc-go does the same).
		age += time.Duration(rand.Int64N(int64(age/5)+1)) - age/10
	}
	grace := orInfinity(p.MaxConnectionAgeGrace)
	interval := p.Time
	if interval == 0 {
		interval = defaultServerKATime
	}
	interval = max(interval, minServerKATime)
	timeout := p.Timeout
	if timeout == 0 {
		timeout = defaultServerKATimeout
	}
	t.kaDone = make(chan struct{})
	go func() {
		defer close(t.kaDone)
		// An idle connection should cost little: timers that can never
		// fire are not made (a nil channel never becomes ready).
		idleT, idleC := optTimer(idle)
		ageT, ageC := optTimer(age)
		pingT := time.NewTimer(interval)
		defer pingT.Stop()
		defer func() {
			if idleT != nil {
				idleT.Stop()
			}
			if ageT != nil {
				ageT.Stop()
			}
		}()
		aged := false
		outstanding := false
		for {
			select {
			case <-t.done:
				return
			case <-idleC:
				t.mu.Lock()
				n, since := len(t.streams), t.idleSince
				t.mu.Unlock()
				if n > 0 {
					idleT.Reset(idle)
				} else if left := idle - time.Since(since); left > 0 {
					idleT.Reset(left)
				} else {
					t.Drain("max_idle")
				}
			case <-ageC:
				if aged {
					t.Close(ConnectionError{Desc: "transport: max connection age grace exceeded"})
					return
				}
				aged = true
				t.Drain("max_age")
				if grace == infinity {
					ageC = nil
				} else {
					ageT.Reset(grace)
				}
			case <-pingT.C:
				if t.activity.Swap(false) {
					outstanding = false
					pingT.Reset(interval)
					continue
				}
				if outstanding {
					t.Close(ConnectionError{Desc: "keepalive ping not acked within timeout"})
					return
				}
				t.writePing(kaPing)
				outstanding = true
				pingT.Reset(timeout)
			}
		}
	}()
}

// optTimer returns a timer for d and its channel, or nils when d is
// infinity.
func optTimer(d time.Duration) (*time.Timer, <-chan time.Time) {
	if d == infinity {
		return nil, nil
	}
	t := time.NewTimer(d)
	return t, t.C
}

func orInfinity(d time.Duration) time.Duration {
	if d <= 0 {
		return infinity
	}
	return d
}
