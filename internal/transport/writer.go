package transport

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/mem"
)

const (
	// maxFrameLen caps the payload of the frames we write. Peers may allow
	// more, but 16 KiB keeps interleaving between streams fair.
	maxFrameLen     = 16384
	defaultBufSize  = 32 * 1024
	frameHeaderLen  = 9
	closeWriteGrace = time.Second
)

// writer serialises all frame writes of one connection. Writers hold mu only
// while copying frames into the buffer; they never wait for flow control with
// it held. Flushing is coalesced: a writer that sees others queued behind it
// leaves the flush to the last one, so concurrent small writes share one
// syscall while a lone writer flushes at once.
type writer struct {
	mu      sync.Mutex
	pending atomic.Int32
	nc      net.Conn
	bw      *bufWriter // nil when unbuffered
	out     io.Writer
	fr      frameWriter // encodes every frame but DATA
	henc    *hpack.Encoder
	hbuf    bytes.Buffer
	err     error // sticky: once a write failed the connection is dead

	// wmu orders writes to nc: taken under mu by whoever writes, and kept
	// by an asynchronous flush after it lets go of mu.
	wmu        sync.Mutex
	flushing   bool        // under mu: flushLoop runs and will flush the buffer
	onAsyncErr func(error) // reports a failed asynchronous flush
	sentHdr    atomic.Bool // HEADERS or DATA written since last reset (ping strikes)
	direct     bool        // large DATA runs may bypass the buffer (dataDirect)

	// Control frames queued by callers that must not wait for the lock
	// (the reader): whoever holds or next takes the lock writes them.
	ctrlMu      sync.Mutex
	ctrl        []ctrlFrame
	ctrlSpare   []ctrlFrame
	ctrlPending atomic.Bool
	ctrlQueued  atomic.Int32  // len(ctrl), readable without ctrlMu
	ctrlRoom    chan struct{} // closed when the queue drains; under ctrlMu
}

type ctrlKind uint8

const (
	ctrlWindowUpdate ctrlKind = iota
	ctrlRST
	ctrlPingAck
	ctrlSettingsAck
	ctrlSettingsAckTable // SETTINGS ack after applying a new HPACK table size (val)
	ctrlPing             // PING (data), not an ack
	ctrlSettingsWindow   // SETTINGS with a new INITIAL_WINDOW_SIZE (val)
)

// ctrlFrame is a small control frame waiting to be written.
type ctrlFrame struct {
	kind ctrlKind
	id   uint32
	val  uint32
	data [8]byte
}

// queue schedules a control frame without ever waiting for the write lock:
// if the lock is busy its holder writes the frame before releasing it.
func (w *writer) queue(f ctrlFrame) error {
	w.ctrlMu.Lock()
	w.ctrl = append(w.ctrl, f)
	w.ctrlQueued.Store(int32(len(w.ctrl)))
	w.ctrlMu.Unlock()
	w.ctrlPending.Store(true)
	return w.kick()
}

// maxQueuedCtrl is how many control frames may wait to be written before
// the connection's reader stops reading (grpc-go uses the same bound).
const maxQueuedCtrl = 10000

// waitCtrlRoom blocks while more than maxQueuedCtrl control frames are
// waiting, until the writer drains them or done is closed.
func (w *writer) waitCtrlRoom(done <-chan struct{}) {
	if w.ctrlQueued.Load() <= maxQueuedCtrl {
		return
	}
	w.ctrlMu.Lock()
	for len(w.ctrl) > maxQueuedCtrl {
		if w.ctrlRoom == nil {
			w.ctrlRoom = make(chan struct{})
		}
		room := w.ctrlRoom
		w.ctrlMu.Unlock()
		select {
		case <-room:
		case <-done:
			return
		}
		w.ctrlMu.Lock()
	}
	w.ctrlMu.Unlock()
}

// kick writes queued control frames if the lock is free. A holder that
// releases the lock calls it again, so no frame is stranded.
func (w *writer) kick() error {
	var err error
	for w.ctrlPending.Load() {
		if !w.mu.TryLock() {
			return nil
		}
		if w.flushing {
			// flushLoop writes the queued frames once its write returns;
			// the reader must not wait for that write here (the peer may
			// be waiting for us to read).
			w.mu.Unlock()
			return nil
		}
		if w.err == nil {
			w.writeCtrl()
			if w.pending.Load() == 0 && w.err == nil && w.bw != nil && w.bw.Buffered() > 0 {
				w.fail(w.bw.Flush())
			}
		}
		err = w.err
		w.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// writeCtrl writes the queued control frames. Caller holds mu.
func (w *writer) writeCtrl() {
	if !w.ctrlPending.Swap(false) {
		return
	}
	w.ctrlMu.Lock()
	q := w.ctrl
	w.ctrl = w.ctrlSpare[:0]
	w.ctrlQueued.Store(0)
	if w.ctrlRoom != nil {
		close(w.ctrlRoom)
		w.ctrlRoom = nil
	}
	w.ctrlMu.Unlock()
	for _, f := range q {
		var err error
		switch f.kind {
		case ctrlWindowUpdate:
			err = w.fr.WriteWindowUpdate(f.id, f.val)
		case ctrlRST:
			err = w.fr.WriteRSTStream(f.id, http2.ErrCode(f.val))
		case ctrlPingAck:
			err = w.fr.WritePing(true, f.data)
		case ctrlSettingsAckTable:
			w.henc.SetMaxDynamicTableSizeLimit(f.val)
			fallthrough
		case ctrlSettingsAck:
			err = w.fr.WriteSettingsAck()
		case ctrlPing:
			err = w.fr.WritePing(false, f.data)
		case ctrlSettingsWindow:
			err = w.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: f.val})
		}
		if w.fail(err) != nil {
			break
		}
	}
	w.ctrlSpare = q[:0]
}

func (w *writer) init(nc net.Conn, size int, pool mem.BufferPool) {
	w.nc = nc
	w.out = nc
	w.direct = canWriteDirect(nc)
	if size == 0 {
		size = defaultBufSize
	}
	if size > 0 {
		w.bw = newBufWriter(nc, size, pool, &w.wmu)
		w.out = w.bw
	}
	w.fr.out = w.out
	w.henc = hpack.NewEncoder(&w.hbuf)
}

// lock acquires the writer, registering as pending so earlier holders know
// someone will flush after them.
func (w *writer) lock() error {
	w.pending.Add(1)
	w.mu.Lock()
	if w.err != nil {
		w.pending.Add(-1)
		w.mu.Unlock()
		return w.err
	}
	return nil
}

// unlock releases the writer, flushing if nobody else is queued.
func (w *writer) unlock() error { return w.release(false) }

// unlockAsync is unlock for a writer that streams many messages: the
// flush runs on a goroutine of its own, so the caller prepares its next
// message during the syscall and messages written meanwhile share the
// next flush.
func (w *writer) unlockAsync() error { return w.release(true) }

func (w *writer) release(async bool) error {
	if w.err == nil {
		w.writeCtrl()
	}
	// While an asynchronous flush runs, it flushes whatever is buffered
	// when its write returns, so nobody else needs to.
	if w.pending.Add(-1) == 0 && w.err == nil && w.bw != nil && w.bw.Buffered() > 0 && !w.flushing {
		if async {
			w.flushing = true
			w.mu.Unlock()
			go w.flushLoop()
			return nil
		}
		if err := w.bw.Flush(); err != nil {
			w.err = err
		}
	}
	err := w.err
	w.mu.Unlock()
	if err == nil && w.ctrlPending.Load() {
		err = w.kick()
	}
	return err
}

// flushMode says how a stream write leaves its last frames.
type flushMode uint8

const (
	flushNow   flushMode = iota // flush at once unless others are queued
	flushHold                   // leave them for the caller's next write (see unlockHold)
	flushAsync                  // flush on another goroutine (see unlockAsync)
)

// unlockMode releases the writer as mode says once the write is
// complete (last); a partial write always flushes as usual.
func (w *writer) unlockMode(mode flushMode, last bool) error {
	switch {
	case !last || mode == flushNow:
		return w.unlock()
	case mode == flushHold:
		return w.unlockHold()
	}
	return w.unlockAsync()
}

// flushLoop writes out the buffer, without holding mu during the
// syscall, until nothing is left.
func (w *writer) flushLoop() {
	w.mu.Lock()
	for {
		if w.err == nil {
			w.writeCtrl() // kick leaves queued control frames to us
		}
		if w.err != nil || w.bw.Buffered() == 0 {
			break
		}
		buf, n := w.bw.detach()
		// wmu, taken before mu is released, keeps this write ahead of any
		// later one.
		w.wmu.Lock()
		w.mu.Unlock()
		_, err := w.nc.Write((*buf)[:n])
		w.bw.pool.Put(buf)
		w.wmu.Unlock()
		w.mu.Lock()
		w.fail(err)
	}
	w.flushing = false
	err := w.err
	w.mu.Unlock()
	if err != nil && w.onAsyncErr != nil {
		w.onAsyncErr(err)
	}
}

// unlockHold releases the writer without flushing: the holder promises
// another write (which flushes) follows at once, so both leave in one
// syscall. Any other writer's flush also takes the held frames along.
func (w *writer) unlockHold() error {
	if w.err == nil {
		w.writeCtrl()
	}
	w.pending.Add(-1)
	err := w.err
	w.mu.Unlock()
	return err
}

// flush pushes out everything written so far, queued control frames
// included, whoever was going to flush it.
func (w *writer) flush() error {
	if err := w.lock(); err != nil {
		return err
	}
	w.writeCtrl()
	if w.err == nil && w.bw != nil {
		w.fail(w.bw.Flush())
	}
	return w.unlock()
}

// fail records a write error so later writers stop early.
func (w *writer) fail(err error) error {
	if err != nil && w.err == nil {
		w.err = err
	}
	return err
}

// headers writes one header block as HEADERS + CONTINUATION frames. Must be
// called with mu held; encoding happens here so the HPACK state matches the
// order of blocks on the wire.
func (w *writer) headers(id uint32, fields []hpack.HeaderField, end bool) error {
	w.hbuf.Reset()
	for _, f := range fields {
		w.henc.WriteField(f)
	}
	block := w.hbuf.Bytes()
	first := true
	for first || len(block) > 0 {
		n := min(len(block), maxFrameLen)
		frag := block[:n]
		block = block[n:]
		var err error
		if first {
			err = w.fr.WriteHeaders(http2.HeadersFrameParam{
				StreamID: id, BlockFragment: frag, EndStream: end, EndHeaders: len(block) == 0,
			})
			first = false
		} else {
			err = w.fr.WriteContinuation(id, len(block) == 0, frag)
		}
		if err != nil {
			return w.fail(err)
		}
	}
	w.sentHdr.Store(true)
	return nil
}

// dataCursor walks a message (prefix + payload buffers) frame by frame
// without copying it into a contiguous buffer.
type dataCursor struct {
	hdr  []byte
	data mem.BufferSlice
	cur  []byte
	idx  int
	left int
}

func (c *dataCursor) reset(hdr []byte, data mem.BufferSlice) {
	c.hdr, c.data, c.cur, c.idx = hdr, data, hdr, 0
	c.left = len(hdr) + data.Len()
}

// writeTo copies n bytes of the message to w.
func (c *dataCursor) writeTo(w io.Writer, n int) error {
	c.left -= n
	for n > 0 {
		for len(c.cur) == 0 {
			c.cur = c.data[c.idx].ReadOnlyData()
			c.idx++
		}
		k := min(n, len(c.cur))
		if _, err := w.Write(c.cur[:k]); err != nil {
			return err
		}
		c.cur = c.cur[k:]
		n -= k
	}
	return nil
}

// data writes n bytes from c as DATA frames; END_STREAM is set on the last
// frame when end is true. Must be called with mu held.
func (w *writer) data(id uint32, c *dataCursor, n int, end bool) error {
	if n >= directMin && w.direct {
		return w.dataDirect(id, c, n, end)
	}
	for {
		k := min(n, maxFrameLen)
		n -= k
		var flags byte
		if end && n == 0 {
			flags = byte(http2.FlagDataEndStream)
		}
		h := w.fr.buf[:frameHeaderLen]
		h[0], h[1], h[2] = byte(k>>16), byte(k>>8), byte(k)
		h[3] = byte(http2.FrameData)
		h[4] = flags
		binary.BigEndian.PutUint32(h[5:], id)
		if _, err := w.out.Write(h); err != nil {
			return w.fail(err)
		}
		if err := c.writeTo(w.out, k); err != nil {
			return w.fail(err)
		}
		if n == 0 {
			w.sentHdr.Store(true)
			return nil
		}
	}
}

// control runs fn (framer writes) under the lock and flushes as needed.
func (w *writer) control(fn func(fr *frameWriter) error) error {
	if err := w.lock(); err != nil {
		return err
	}
	w.fail(fn(&w.fr))
	return w.unlock()
}

// final writes a last frame (GOAWAY) without ever blocking for long: it
// gives up if another writer holds the lock and bounds the write by a
// deadline, because the connection is about to be closed anyway.
func (w *writer) final(fn func(fr *frameWriter) error) {
	if !w.mu.TryLock() {
		return
	}
	if w.err == nil {
		w.nc.SetWriteDeadline(time.Now().Add(closeWriteGrace))
		if w.fail(fn(&w.fr)) == nil && w.bw != nil {
			w.fail(w.bw.Flush())
		}
	}
	w.mu.Unlock()
}
