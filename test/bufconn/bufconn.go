// Package bufconn provides in-memory connections and a listener for them,
// for tests that need a real net.Conn without the network. Each direction has
// a fixed-size buffer; a writer blocks while it is full.
package bufconn

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Listener is a net.Listener whose connections come from its own Dial
// methods.
type Listener struct {
	sz        int
	ch        chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

var errClosed = errors.New("closed")

// timeoutError is returned when a deadline passes; like the net package's
// errors it reports Timeout() so callers can tell it from a broken pipe.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return false }

var errTimeout net.Error = timeoutError{}

// Listen returns a Listener whose connections buffer up to sz bytes in each
// direction.
func Listen(sz int) *Listener {
	// A zero-sized buffer could never accept a byte, so every write would
	// hang.
	sz = max(sz, 1)
	return &Listener{sz: sz, ch: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for a Dial and returns the server end of the new connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, errClosed
	case c := <-l.ch:
		return c, nil
	}
}

// Close stops the listener: pending and later Accept and Dial calls fail.
// Connections already made are not affected.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

// Addr returns a placeholder address, "bufconn".
func (l *Listener) Addr() net.Addr { return addr{} }

// Dial is DialContext with a background context.
func (l *Listener) Dial() (net.Conn, error) {
	return l.DialContext(context.Background())
}

// DialContext makes a connection, hands its server end to Accept and
// returns the client end. It waits for an Accept and fails with ctx.Err()
// if ctx is done first.
func (l *Listener) DialContext(ctx context.Context) (net.Conn, error) {
	toServer, toClient := newPipe(l.sz), newPipe(l.sz)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, errClosed
	case l.ch <- &conn{r: toServer, w: toClient}:
		return &conn{r: toClient, w: toServer}, nil
	}
}

// pipe is a one-directional ring buffer of fixed size: writers block while
// it is full, readers while it is empty.
type pipe struct {
	mu       sync.Mutex
	cond     sync.Cond // signalled on any state change
	buf      []byte
	start, n int // unread bytes are buf[start:start+n] modulo len(buf)

	readClosed  bool // the reading end closed its conn: reads and writes fail
	writeClosed bool // the writing end closed its conn: reads drain, then EOF

	rDeadline, wDeadline deadline
}

// deadline tracks one direction's deadline; expired is set under the pipe
// mutex by the timer, which then wakes all waiters.
type deadline struct {
	timer   *time.Timer
	expired bool
}

func newPipe(sz int) *pipe {
	p := &pipe{buf: make([]byte, sz)}
	p.cond.L = &p.mu
	return p
}

func (p *pipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch {
		case p.readClosed:
			return 0, io.ErrClosedPipe
		case p.rDeadline.expired:
			return 0, errTimeout
		case p.n > 0:
			return p.take(b), nil
		case p.writeClosed:
			return 0, io.EOF
		case len(b) == 0:
			return 0, nil
		}
		p.cond.Wait()
	}
}

// take copies up to len(b) buffered bytes into b; p.mu must be held.
func (p *pipe) take(b []byte) int {
	total := 0
	for len(b) > 0 && p.n > 0 {
		end := min(p.start+p.n, len(p.buf))
		c := copy(b, p.buf[p.start:end])
		b = b[c:]
		total += c
		p.start = (p.start + c) % len(p.buf)
		p.n -= c
	}
	if p.n == 0 {
		p.start = 0
	}
	p.cond.Broadcast()
	return total
}

func (p *pipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	written := 0
	for {
		switch {
		case p.readClosed || p.writeClosed:
			return written, io.ErrClosedPipe
		case p.wDeadline.expired:
			return written, errTimeout
		case len(b) == 0:
			return written, nil
		case p.n < len(p.buf):
			end := (p.start + p.n) % len(p.buf)
			limit := len(p.buf)
			if end < p.start {
				limit = p.start
			}
			c := copy(p.buf[end:limit], b)
			p.n += c
			b = b[c:]
			written += c
			p.cond.Broadcast()
			continue
		}
		p.cond.Wait()
	}
}

// setDeadline arms d for t; p.mu must not be held.
func (p *pipe) setDeadline(d *deadline, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.expired = false
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		d.expired = true
		p.cond.Broadcast()
		return
	}
	var timer *time.Timer
	timer = time.AfterFunc(wait, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		// A later SetDeadline replaced this timer; it no longer applies.
		if d.timer == timer {
			d.expired = true
			p.cond.Broadcast()
		}
	})
	d.timer = timer
}

func (p *pipe) closeRead() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.readClosed = true
	p.cond.Broadcast()
}

func (p *pipe) closeWrite() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeClosed = true
	p.cond.Broadcast()
}

// conn is one end of a connection: it reads from r and writes to w, the
// peer holding the same pipes the other way round.
type conn struct {
	r, w *pipe
}

func (c *conn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *conn) Write(b []byte) (int, error) { return c.w.Write(b) }

func (c *conn) Close() error {
	c.r.closeRead()
	c.w.closeWrite()
	return nil
}

func (c *conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	c.SetWriteDeadline(t)
	return nil
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.r.setDeadline(&c.r.rDeadline, t)
	return nil
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.w.setDeadline(&c.w.wDeadline, t)
	return nil
}

func (*conn) LocalAddr() net.Addr  { return addr{} }
func (*conn) RemoteAddr() net.Addr { return addr{} }

type addr struct{}

func (addr) Network() string { return "bufconn" }
func (addr) String() string  { return "bufconn" }
