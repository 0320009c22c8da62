package transport

import (
	"errors"
	"google.golang.org/grpc/internal/grpcutil"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/mem"
)

// An idle connection should cost little memory, so neither direction keeps
// a full-size buffer between bursts: the writer takes one from a pool for
// each burst and returns it on Flush, and the reader blocks on a small
// buffer, moving to a pooled full-size one only while data keeps coming.

// bufWriter is a bufio.Writer whose buffer is borrowed from a pool while
// it holds unflushed data.
type bufWriter struct {
	w    io.Writer
	wmu  *sync.Mutex // held around every write to w
	size int
	pool mem.BufferPool
	buf  *[]byte // nil between bursts
	n    int
	err  error
}

func newBufWriter(w io.Writer, size int, pool mem.BufferPool, wmu *sync.Mutex) *bufWriter {
	return &bufWriter{w: w, size: size, pool: pool, wmu: wmu}
}

func (b *bufWriter) write(p []byte) (int, error) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	return b.w.Write(p)
}

// detach hands the buffered bytes (buffer and length) to the caller,
// who writes them out and returns the buffer to the pool.
func (b *bufWriter) detach() (*[]byte, int) {
	buf, n := b.buf, b.n
	b.buf, b.n = nil, 0
	return buf, n
}

// Buffered returns the number of bytes waiting for Flush.
func (b *bufWriter) Buffered() int { return b.n }

func (b *bufWriter) Write(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	total := 0
	for len(p) > 0 {
		if b.buf == nil {
			if len(p) >= b.size {
				// Nothing buffered and a big write: skip the copy.
				n, err := b.write(p)
				b.err = err
				return total + n, err
			}
			b.buf = grpcutil.GetForOverwrite(b.pool, b.size)
		}
		k := copy((*b.buf)[b.n:], p)
		b.n += k
		total += k
		p = p[k:]
		if b.n == len(*b.buf) {
			if err := b.writeOut(); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// writeOut writes the buffered bytes, keeping the buffer for the rest of
// the burst.
func (b *bufWriter) writeOut() error {
	if b.n > 0 {
		_, b.err = b.write((*b.buf)[:b.n])
		b.n = 0
	}
	return b.err
}

// flushLocked is Flush for a caller that already holds wmu.
func (b *bufWriter) flushLocked() error {
	if b.buf == nil {
		return b.err
	}
	if b.err == nil && b.n > 0 {
		_, b.err = b.w.Write((*b.buf)[:b.n])
	}
	b.pool.Put(b.buf)
	b.buf = nil
	b.n = 0
	return b.err
}

// Flush writes the buffered bytes and returns the buffer to the pool.
func (b *bufWriter) Flush() error {
	if b.buf == nil {
		return b.err
	}
	if b.err == nil {
		b.writeOut()
	}
	b.pool.Put(b.buf)
	b.buf = nil
	b.n = 0
	return b.err
}

// smallReadSize is the buffer an idle connection reads into; it holds a
// typical small request or response whole.
const smallReadSize = 1024

// bufReader is a bufio.Reader that holds no buffer while it waits for
// data, when the connection lets it wait for readiness (a plain socket),
// and otherwise only a small one. It moves to a pooled full-size buffer
// while reads keep filling the small one.
type bufReader struct {
	r    io.Reader
	size int
	pool mem.BufferPool
	held *[]byte // pooled buffer being served, if any
	own  []byte  // small buffer for readers that cannot wait for readiness
	cur  []byte  // the buffer being served
	lo   int
	hi   int
	err  error

	// ready reads a plain socket once it is readable, so no buffer is
	// held while waiting (see readReady); nil for other readers.
	ready *readyReader

	// beforeBlock, if set, runs before each read from r, which may block.
	beforeBlock func()

	// boundary says no byte was read since the caller marked a frame
	// boundary: only there may an interrupted read (readTurn.interrupt)
	// give up, with errInterrupted; elsewhere it is resumed.
	boundary bool
	// interruptible says read deadlines only ever come from
	// readTurn.interrupt (set by the client when it lends its turn).
	interruptible bool
}

// buffered returns how many bytes can be read without blocking.
func (b *bufReader) buffered() int { return b.hi - b.lo }

// frameBuffered reports whether a whole HTTP/2 frame is buffered, so that
// it can be read without blocking.
func (b *bufReader) frameBuffered() bool {
	n := b.hi - b.lo
	if n < frameHeaderLen {
		return false
	}
	h := b.cur[b.lo:]
	return n >= frameHeaderLen+int(h[0])<<16|int(h[1])<<8|int(h[2])
}

// interrupted reports whether err comes from readTurn.interrupt, clearing
// the read deadline that caused it.
func (b *bufReader) interrupted(err error) bool {
	if !b.interruptible || !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if c, ok := b.r.(net.Conn); ok {
		c.SetReadDeadline(time.Time{})
	}
	return true
}

func newBufReader(r io.Reader, size int, pool mem.BufferPool) *bufReader {
	b := &bufReader{r: r, size: max(size, smallReadSize), pool: pool}
	b.ready = newReadyReader(r, b)
	return b
}

func (b *bufReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.lo == b.hi {
		if b.err != nil {
			return 0, b.readErr()
		}
		if b.beforeBlock != nil {
			b.beforeBlock()
		}
		if len(p) >= b.size {
			// Big read, empty buffer: read straight into p. Never at a
			// frame boundary: a frame header is small.
			b.release()
			n, err := b.r.Read(p)
			for n <= 0 && b.interrupted(err) {
				n, err = b.r.Read(p)
			}
			if n < 0 {
				n = 0
			}
			b.err = err
			if n == 0 {
				return 0, b.readErr()
			}
			return n, nil
		}
		b.fill()
		if b.lo == b.hi {
			return 0, b.readErr()
		}
	}
	n := copy(p, b.cur[b.lo:b.hi])
	b.lo += n
	b.boundary = false
	return n, nil
}

func (b *bufReader) readErr() error {
	err := b.err
	b.err = nil
	return err
}

// fill reads once into an empty buffer: a small one, unless the last read
// filled its buffer (more is probably waiting), then a pooled full-size one.
func (b *bufReader) fill() {
	full := b.hi > 0 && b.hi == len(b.cur)
	b.lo, b.hi = 0, 0
	switch {
	case full && len(b.cur) < b.size:
		b.release()
		b.held = grpcutil.GetForOverwrite(b.pool, b.size)
		b.cur = *b.held
	case !full:
		b.release()
		if b.ready != nil {
			// Wait for data holding no buffer; the small one is taken
			// from the pool once there is something to read into it.
			n, err := b.ready.read()
			for n == 0 && b.interrupted(err) {
				if b.boundary {
					b.err = errInterrupted
					return
				}
				n, err = b.ready.read()
			}
			b.hi = n
			b.err = err
			if n == 0 && err == nil {
				b.err = io.EOF
			}
			return
		}
		if b.own == nil {
			b.own = make([]byte, smallReadSize)
		}
		b.cur = b.own
	}
	for i := 0; i < 100; i++ {
		n, err := b.r.Read(b.cur)
		if n < 0 {
			n = 0
		}
		if n == 0 && b.interrupted(err) {
			if b.boundary {
				b.err = errInterrupted
				return
			}
			i--
			continue
		}
		b.hi = n
		if err != nil {
			b.err = err
		}
		if n > 0 || err != nil {
			return
		}
	}
	b.err = io.ErrNoProgress
}

// release returns the pooled buffer, if any. The buffer must be empty.
func (b *bufReader) release() {
	if b.held != nil {
		b.pool.Put(b.held)
		b.held = nil
		b.cur = nil
		b.lo, b.hi = 0, 0 // empty; the next fill starts small
	}
}
