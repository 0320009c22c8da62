package transport

import (
	"math/rand/v2"
	"sync"
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
	c.writeFailed(c.w.control(func(fr *frameWriter) error { return fr.WritePing(false, data) }))
	c.czKeepAliveSent()
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
	now := monoNow()
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
	if last != 0 && time.Duration(now-last) < minTime {
		t.pingStrikes++
	}
	return t.pingStrikes > maxPingStrikes
}

// serverKeepalive is the server's connection manager: MaxConnectionIdle,
// MaxConnectionAge (+Grace) and keepalive pings. It runs from timer
// callbacks rather than a goroutine of its own, because every connection
// has it (pings default to every two hours) and an idle connection should
// not pay a goroutine stack for a check that rarely runs.
type serverKeepalive struct {
	mu          sync.Mutex // held by each callback for its whole run
	stopped     bool
	aged        bool // the MaxConnectionAge drain started; next is the grace
	outstanding bool // a keepalive ping is unanswered

	idleT, ageT, pingT *time.Timer
}

// startKeepalive arms the server's connection manager. Timers that can
// never fire (an infinite idle or age limit) are not made.
func (t *ServerTransport) startKeepalive() {
	p := t.opts.Keepalive
	ka := &t.ka
	age := orInfinity(p.MaxConnectionAge)
	if age != infinity {
		// ±10% jitter so connections made together do not all reconnect
		// together (grpc-go does the same).
		age += time.Duration(rand.Int64N(int64(age/5)+1)) - age/10
	}
	// Armed under mu so that no callback sees a timer field still unset.
	ka.mu.Lock()
	defer ka.mu.Unlock()
	if idle := orInfinity(p.MaxConnectionIdle); idle != infinity {
		ka.idleT = time.AfterFunc(idle, t.kaIdle)
	}
	if age != infinity {
		ka.ageT = time.AfterFunc(age, t.kaAge)
	}
	ka.pingT = time.AfterFunc(t.kaInterval(), t.kaPing)
}

// kaInterval is the keepalive ping interval: Time, defaulted and floored.
// Derived from the options on use rather than stored, to keep the
// per-connection state small.
func (t *ServerTransport) kaInterval() time.Duration {
	d := t.opts.Keepalive.Time
	if d == 0 {
		d = defaultServerKATime
	}
	return max(d, minServerKATime)
}

// kaTimeout is how long a keepalive ping may stay unanswered.
func (t *ServerTransport) kaTimeout() time.Duration {
	if d := t.opts.Keepalive.Timeout; d != 0 {
		return d
	}
	return defaultServerKATimeout
}

// stopKeepalive stops the timers; once it returns no callback acts.
func (t *ServerTransport) stopKeepalive() {
	ka := &t.ka
	ka.mu.Lock()
	ka.stopped = true
	for _, tm := range []*time.Timer{ka.idleT, ka.ageT, ka.pingT} {
		if tm != nil {
			tm.Stop()
		}
	}
	ka.mu.Unlock()
}

// kaLock takes the keepalive state for a callback, reporting false (lock
// not held) once the transport is stopped or closed.
func (t *ServerTransport) kaLock() bool {
	t.ka.mu.Lock()
	if t.ka.stopped {
		t.ka.mu.Unlock()
		return false
	}
	select {
	case <-t.done:
		t.ka.mu.Unlock()
		return false
	default:
	}
	return true
}

// kaIdle enforces MaxConnectionIdle: drain once no stream has been open
// for that long.
func (t *ServerTransport) kaIdle() {
	if !t.kaLock() {
		return
	}
	defer t.ka.mu.Unlock()
	idle := t.opts.Keepalive.MaxConnectionIdle
	t.mu.Lock()
	n, since := len(t.streams), t.idleSince
	t.mu.Unlock()
	if n > 0 {
		t.ka.idleT.Reset(idle)
	} else if left := idle - time.Duration(monoNow()-since); left > 0 {
		t.ka.idleT.Reset(left)
	} else {
		t.Drain("max_idle")
	}
}

// kaAge enforces MaxConnectionAge: drain, then close after the grace.
func (t *ServerTransport) kaAge() {
	if !t.kaLock() {
		return
	}
	defer t.ka.mu.Unlock()
	if t.ka.aged {
		t.Close(ConnectionError{Desc: "transport: max connection age grace exceeded"})
		return
	}
	t.ka.aged = true
	t.Drain("max_age")
	if grace := orInfinity(t.opts.Keepalive.MaxConnectionAgeGrace); grace != infinity {
		t.ka.ageT.Reset(grace)
	}
}

// kaPing pings a connection that was silent for the keepalive interval
// and closes it if the ping stays unanswered for the timeout.
func (t *ServerTransport) kaPing() {
	if !t.kaLock() {
		return
	}
	defer t.ka.mu.Unlock()
	ka := &t.ka
	if t.activity.Swap(false) {
		ka.outstanding = false
		ka.pingT.Reset(t.kaInterval())
		return
	}
	if ka.outstanding {
		t.Close(ConnectionError{Desc: "keepalive ping not acked within timeout"})
		return
	}
	t.writePing(kaPing)
	ka.outstanding = true
	ka.pingT.Reset(t.kaTimeout())
}

func orInfinity(d time.Duration) time.Duration {
	if d <= 0 {
		return infinity
	}
	return d
}

// monoNow reads the monotonic clock as nanoseconds since procStart: 8 bytes
// to keep per connection instead of a time.Time's 24.
func monoNow() int64 { return int64(time.Since(procStart)) }
