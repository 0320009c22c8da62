package transport

import (
	"context"
	"google.golang.org/grpc/internal/grpcutil"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// stream is the part of a stream shared by the client and server sides:
// the receive buffer with its window accounting, and the send quota.
type stream struct {
	id   uint32
	c    *h2conn
	ctx  context.Context
	done chan struct{} // closed once the stream is finished
	cs   *ClientStream // the owner: exactly one of cs, ss is set
	ss   *ServerStream
	wire wireLens // header sizes, for stats (stats_hooks.go)
	// noWindow says the data arrives without our HTTP/2 flow control
	// (ServeHTTP: net/http does it), so no WINDOW_UPDATE is ever due.
	noWindow bool

	// Guarded by c.mu.
	finished  bool
	sendQuota int64
	quotaCh   chan struct{}

	// Receive side, guarded by rmu.
	rmu      sync.Mutex
	chunks   []chunk
	chunk0   [2]chunk // initial backing of chunks: most streams need no more
	head     int
	buffered int    // bytes queued in chunks
	inflight uint32 // window the peer used and we have not yet returned
	unacked  uint32 // part of inflight consumed (or committed) and returnable
	preacked int    // queued bytes already counted in unacked by a waiting reader
	rerr     error  // set when no more data will arrive; io.EOF on clean end
	rwait    chan struct{}

	// readSinceWrite says the application read since its last write, or
	// has not written yet; lastWrite is when it last wrote (monotonic
	// nanoseconds since procStart). See streamingMode.
	readSinceWrite atomic.Bool
	// replyDue says the application wrote since its last read, so its
	// next read probably waits for the peer's reply; such a wait may take
	// the read turn (readturn.go). Consecutive reads of a stream of
	// messages leave the reading to the reader goroutine, which then
	// reads ahead while the application handles what it got.
	replyDue  atomic.Bool
	lastWrite atomic.Int64
}

// streamGap is the longest pause between two writes of a stream for them
// to count as back to back. Generous, because on a busy machine a
// streaming sender is often descheduled for a while between messages;
// a sender slower than this gains nothing from batching anyway.
const streamGap = time.Millisecond

// procStart anchors the monotonic clock readings of streamingMode.
var procStart = time.Now()

// streamingMode picks the flush for a write of a stream that may send many
// messages. Writes back to back (a sender streaming) flush asynchronously,
// so the next message is prepared during the syscall and several share
// one. A write after a read (ping-pong: the peer waits for this reply
// before sending more) or after a pause flushes at once: nothing would
// join it, and handing it to a flushing goroutine would only add a
// goroutine start and a wake-up per message.
func (s *stream) streamingMode() flushMode {
	now := monoNow()
	prev := s.lastWrite.Swap(now)
	if s.readSinceWrite.Swap(false) || now-prev > int64(streamGap) {
		return flushNow
	}
	return flushAsync
}

// chunk is the payload of one DATA frame, in a pooled buffer.
type chunk struct {
	buf *[]byte
	off int
	end int
}

func (s *stream) init(c *h2conn, ctx context.Context) {
	s.c = c
	s.readSinceWrite.Store(true)
	s.ctx = ctx
	s.done = make(chan struct{})
	s.chunks = s.chunk0[:0]
}

func (s *stream) ctxErr() error {
	return status.FromContextError(s.ctx.Err()).Err()
}

func (s *stream) wakeReader() {
	if s.rwait != nil {
		close(s.rwait)
		s.rwait = nil
	}
}

// pushData queues the data (*buf)[off:off+n] of a DATA frame whose
// flow-controlled length (payload plus padding) is flowLen, taking over
// the pooled buf (nil when n is 0). Called by the reader goroutine; it
// reports a peer that overran the stream window.
func (s *stream) pushData(buf *[]byte, off, n int, flowLen uint32) (overflow bool) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if s.rerr != nil || uint64(s.inflight)+uint64(flowLen) > uint64(s.c.streamWindow.Load()) {
		if buf != nil {
			s.c.pool.Put(buf)
		}
		// Data for a locally abandoned or ended stream is dropped.
		return s.rerr == nil
	}
	s.inflight += flowLen
	s.unacked += flowLen - uint32(n)
	if n == 0 {
		return false
	}
	s.chunks = append(s.chunks, chunk{buf: buf, off: off, end: off + n})
	s.buffered += n
	if s.rwait != nil {
		// Woken once the reader has handled every frame it already has
		// (wakeDeferred), so a reader blocked on this stream wakes once
		// for a response that arrived in one piece.
		s.c.deferWake(s.rwait)
		s.rwait = nil
	}
	return false
}

// endRecv marks the end of incoming data. With discard the queued data is
// dropped (local abandonment or a hard failure); otherwise the application
// may still read it before seeing err.
func (s *stream) endRecv(err error, discard bool) {
	s.rmu.Lock()
	if s.rerr == nil || (discard && s.rerr == io.EOF) {
		s.rerr = err
	}
	if discard {
		s.freeChunks()
	}
	s.wakeReader()
	s.rmu.Unlock()
}

func (s *stream) freeChunks() {
	for i := s.head; i < len(s.chunks); i++ {
		s.c.pool.Put(s.chunks[i].buf)
		s.chunks[i] = chunk{}
	}
	s.chunks = s.chunks[:0]
	s.head = 0
	s.buffered = 0
	s.preacked = 0
}

// read returns exactly n bytes of incoming data. See ClientStream.Read.
func (s *stream) read(n int) (mem.BufferSlice, error) {
	s.noteRead()
	if n <= 0 {
		return nil, nil
	}
	if err := s.wait(n, s.takeReplyDue()); err != nil {
		return nil, err
	}
	out := s.take(n)
	s.consumed(n)
	return out, nil
}

// readFull is read into p, without allocating the result.
func (s *stream) readFull(p []byte) error {
	s.noteRead()
	if len(p) == 0 {
		return nil
	}
	if err := s.wait(len(p), s.takeReplyDue()); err != nil {
		return err
	}
	s.copyOut(p)
	s.consumed(len(p))
	return nil
}

// noteRead records a read for streamingMode; a plain load first keeps the
// common case (already set) free of a write to a shared cache line.
func (s *stream) noteRead() {
	if !s.readSinceWrite.Load() {
		s.readSinceWrite.Store(true)
	}
}

// takeReplyDue reports and clears replyDue.
func (s *stream) takeReplyDue() bool {
	return s.replyDue.Load() && s.replyDue.Swap(false)
}

// wait blocks until n bytes are queued and returns with rmu held, or
// returns the error that ends the stream (without rmu). With mayRead the
// caller may read frames itself while it waits (readturn.go).
func (s *stream) wait(n int, mayRead bool) error {
	s.rmu.Lock()
	for s.buffered < n {
		if err := s.rerr; err != nil {
			if err == io.EOF && s.buffered > 0 {
				err = io.ErrUnexpectedEOF
			}
			s.rmu.Unlock()
			return err
		}
		// Everything queued now belongs to this read: return it to the
		// peer so a message larger than the window can arrive.
		s.unacked += uint32(s.buffered - s.preacked)
		s.preacked = s.buffered
		inc := s.windowUpdateLocked()
		if s.rwait == nil {
			s.rwait = make(chan struct{})
		}
		ch := s.rwait
		s.rmu.Unlock()
		if inc > 0 {
			s.c.writeWindowUpdate(s.id, inc)
		}
		parked := s.c.beforeWait(s, ch, mayRead)
		select {
		case <-ch:
		case <-s.ctx.Done():
			// Data may have arrived just before the cancellation (the
			// reader wakes readers only after a batch of frames): deliver
			// it before reporting the end.
			if parked {
				s.c.afterWait(ch)
			}
			s.rmu.Lock()
			if s.buffered >= n {
				return nil // with rmu held, as on success
			}
			s.rmu.Unlock()
			return s.ctxErr()
		case <-s.c.done:
			// The closer fails every stream; take its error from rerr.
		}
		if parked {
			s.c.afterWait(ch)
		}
		s.rmu.Lock()
	}
	return nil
}

// consumed accounts n bytes just taken by the application, releases rmu
// and sends the stream WINDOW_UPDATE that became due, if any.
func (s *stream) consumed(n int) {
	pre := min(s.preacked, n)
	s.preacked -= pre
	s.unacked += uint32(n - pre)
	inc := s.windowUpdateLocked()
	s.rmu.Unlock()
	if inc > 0 {
		s.c.writeWindowUpdate(s.id, inc)
	}
}

// windowUpdateLocked returns the stream WINDOW_UPDATE increment due, if
// any: once a quarter of the window is returnable. Caller holds rmu.
func (s *stream) windowUpdateLocked() uint32 {
	if s.noWindow || s.unacked < s.c.streamWindow.Load()/4 || s.rerr != nil {
		return 0
	}
	inc := s.unacked
	s.unacked = 0
	s.inflight -= inc
	return inc
}

// smallRead holds a small read result in one allocation: the slice header
// of the returned BufferSlice, the buffer and (up to 16 bytes) the data.
type smallRead struct {
	bs   [1]mem.Buffer
	sb   mem.SliceBuffer
	data [16]byte
}

// take copies n queued bytes into a fresh buffer. Caller holds rmu.
func (s *stream) take(n int) mem.BufferSlice {
	if mem.IsBelowBufferPoolingThreshold(n) {
		h := &smallRead{}
		if n <= len(h.data) {
			h.sb = h.data[:n]
		} else {
			h.sb = make([]byte, n)
		}
		h.bs[0] = &h.sb
		s.copyOut(h.sb)
		return h.bs[:]
	}
	if ch := &s.chunks[s.head]; ch.end-ch.off == n {
		// The read is the rest of one frame, the usual case for a message
		// sent in one frame: hand over the frame's buffer instead of
		// copying out of it.
		root := mem.NewBuffer(ch.buf, s.c.pool)
		b := root.Slice(ch.off, ch.end)
		root.Free()
		*ch = chunk{}
		s.head++
		if s.head == len(s.chunks) {
			s.chunks = s.chunks[:0]
			s.head = 0
		}
		s.buffered -= n
		return mem.BufferSlice{b}
	}
	p := grpcutil.GetForOverwrite(s.c.pool, n)
	s.copyOut(*p)
	return mem.BufferSlice{mem.NewBuffer(p, s.c.pool)}
}

// copyOut moves len(dst) queued bytes into dst. Caller holds rmu.
func (s *stream) copyOut(dst []byte) {
	s.buffered -= len(dst)
	for len(dst) > 0 {
		ch := &s.chunks[s.head]
		k := copy(dst, (*ch.buf)[ch.off:ch.end])
		dst = dst[k:]
		ch.off += k
		if ch.off == ch.end {
			s.c.pool.Put(ch.buf)
			*ch = chunk{}
			s.head++
		}
	}
	if s.head == len(s.chunks) {
		s.chunks = s.chunks[:0]
		s.head = 0
	}
}

// write sends hdr+data as DATA frames, waiting for flow-control quota.
// When hf is non-nil those HEADERS go first, in the same buffered batch as
// the first DATA frame if quota is at hand, so a response costs one flush.
// mode says how the last frames are flushed (see flushMode).
func (s *stream) write(hf []hpack.HeaderField, hdr []byte, data mem.BufferSlice, end bool, mode flushMode) error {
	if !s.replyDue.Load() {
		s.replyDue.Store(true)
	}
	var cur dataCursor
	cur.reset(hdr, data)
	c := s.c
	if hf != nil || cur.left == 0 {
		n := 0
		if cur.left > 0 {
			n = c.tryQuota(s, cur.left)
		}
		if err := c.w.lock(); err != nil {
			return c.writeFailed(err)
		}
		if hf != nil {
			c.w.headers(s.id, hf, false)
		}
		if n > 0 || (cur.left == 0 && end) {
			c.w.data(s.id, &cur, n, end && cur.left == n)
		}
		if err := c.w.unlockMode(mode, cur.left == 0); err != nil {
			return c.writeFailed(err)
		}
	}
	for cur.left > 0 {
		n, err := c.acquireQuota(s, cur.left)
		if err != nil {
			return err
		}
		if err := c.w.lock(); err != nil {
			return c.writeFailed(err)
		}
		c.w.data(s.id, &cur, n, end && cur.left == n)
		if err := c.w.unlockMode(mode, cur.left == 0); err != nil {
			return c.writeFailed(err)
		}
	}
	if hdr != nil {
		c.czMessageSent()
	}
	return nil
}
