package transport

import (
	"google.golang.org/grpc/internal/grpcutil"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/channelz"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

const defaultMaxHeaderListSize = 16 << 20

// h2conn is the state one HTTP/2 connection has regardless of side: the
// writer, the read framer, flow control, settings and the stream table.
type h2conn struct {
	nc   net.Conn
	w    writer
	fr   *http2.Framer
	hr   headerReader
	br   *bufReader
	pool mem.BufferPool
	peer *peer.Peer
	done chan struct{} // closed when the transport is closed

	streamWindow atomic.Uint32 // our per-stream receive window (BDP may grow it)
	connWindow   uint32        // our connection receive window; reader only
	bdp          bdpEstimator  // reader only
	connUnacked  uint32        // reader only

	activity atomic.Bool // a frame was read since the keepalive last looked

	// Reader only: channels to close (waking blocked callers) once the
	// reader has handled the frames it has buffered; see wakeDeferred.
	wakes    []chan struct{}
	data     inData // the DATA frame being handled
	wakeHook func() // side-specific deferred work (server: new streams)

	turn *readTurn // who reads frames (readturn.go); nil on the server

	settingsHook func()      // side-specific reaction to new peer SETTINGS
	closeHook    func(error) // closes the owning transport after a write failure

	mu         sync.Mutex
	streams    map[uint32]*stream
	closed     bool
	client     bool           // set once at creation; beside closed to share padding
	closeSt    *status.Status // why the transport closed
	sendQuota  int64
	quotaCh    chan struct{}
	peerWindow int64 // peer's SETTINGS_INITIAL_WINDOW_SIZE
	peerMaxStr uint32
	peerMaxHdr uint32 // peer's SETTINGS_MAX_HEADER_LIST_SIZE; 0 = unlimited

	cz *channelz.Socket // nil without channelz (channelz_hooks.go)
}

// headerListTooBig reports whether hf exceeds the peer's advertised
// SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113 §6.5.2 size accounting), and
// the limit.
func (c *h2conn) headerListTooBig(hf []hpack.HeaderField) (uint32, bool) {
	c.mu.Lock()
	limit := c.peerMaxHdr
	c.mu.Unlock()
	if limit == 0 {
		return 0, false
	}
	var n uint64
	for _, f := range hf {
		n += uint64(len(f.Name) + len(f.Value) + 32)
	}
	return limit, n > uint64(limit)
}

func (c *h2conn) initConn(nc net.Conn, pool mem.BufferPool, wbuf, rbuf int, maxHdr *uint32, streamWin, connWin int32) {
	c.nc = nc
	c.pool = pool
	if pool == nil {
		c.pool = mem.DefaultBufferPool()
	}
	c.done = make(chan struct{})
	c.streams = make(map[uint32]*stream)
	c.sendQuota = defaultWindow
	c.peerWindow = defaultWindow
	c.peerMaxStr = ^uint32(0)
	c.streamWindow.Store(windowOrDefault(streamWin))
	c.connWindow = windowOrDefault(connWin)
	c.bdp.bdp = c.streamWindow.Load()
	c.w.init(nc, wbuf, c.pool)
	c.w.onAsyncErr = func(err error) { c.writeFailed(err) }
	if rbuf <= 0 {
		rbuf = defaultBufSize
	}
	c.br = newBufReader(nc, rbuf, c.pool)
	c.br.beforeBlock = c.wakeDeferred
	c.fr = http2.NewFramer(nil, c.br)
	c.fr.SetMaxReadFrameSize(maxFrameLen)
	c.fr.SetReuseFrames()
	c.fr.MaxHeaderListSize = defaultMaxHeaderListSize
	if maxHdr != nil && *maxHdr != 0 {
		c.fr.MaxHeaderListSize = *maxHdr
	}
	c.hr.init(c.fr, c.br, c.fr.MaxHeaderListSize, c.pool)
}

// deferWake closes ch at the latest before the reader next blocks. Reader
// only. Waking a caller per frame would make a response that arrived in one
// read (headers, message, trailers) wake its caller several times.
func (c *h2conn) deferWake(ch chan struct{}) {
	c.wakes = append(c.wakes, ch)
}

// wakeDeferred does the deferred work: called by the reader before it
// blocks on the connection and when it exits.
func (c *h2conn) wakeDeferred() {
	for i, ch := range c.wakes {
		close(ch)
		c.wakes[i] = nil
	}
	c.wakes = c.wakes[:0]
	if c.wakeHook != nil {
		c.wakeHook()
	}
}

// readFrame reads the next frame. A HEADERS frame (with its CONTINUATIONs)
// comes back decoded as hb, reused by the next call, and a DATA frame as
// df, whose pooled payload buffer the caller owns (see dataFrame);
// everything else as f.
func (c *h2conn) readFrame() (f http2.Frame, hb *headerBlock, df *inData, err error) {
	// A peer that sends frames needing an answer (PING, SETTINGS, frames
	// provoking RST_STREAM) but never reads would otherwise grow the
	// answer queue without bound: stop reading until it drains.
	c.w.waitCtrlRoom(c.done)
	c.br.boundary = true
	fh, err := c.fr.ReadFrameHeader()
	if err != nil {
		return nil, nil, nil, err
	}
	switch fh.Type {
	case http2.FrameHeaders:
		hb, err = c.hr.read(fh)
		return nil, hb, nil, err
	case http2.FrameData:
		df, err = c.readData(fh)
		return nil, nil, df, err
	}
	f, err = c.fr.ReadFrameForHeader(fh)
	return f, nil, nil, err
}

// inData is a received DATA frame. Reader only; reused for every frame.
type inData struct {
	StreamID uint32
	Length   uint32  // flow-controlled length: payload plus padding
	end      bool    // END_STREAM
	buf      *[]byte // pooled buffer holding the payload; nil when empty
	off, n   int     // the data (padding removed) is (*buf)[off:off+n]
}

// StreamEnded reports whether the frame carried END_STREAM.
func (d *inData) StreamEnded() bool { return d.end }

// readData reads a DATA frame's payload straight into a pooled buffer,
// which the stream then queues as it is: the framer would first copy it
// into a buffer of its own. The checks are the framer's for DATA.
func (c *h2conn) readData(fh http2.FrameHeader) (*inData, error) {
	d := &c.data
	*d = inData{StreamID: fh.StreamID, Length: fh.Length, end: fh.Flags.Has(http2.FlagDataEndStream)}
	if fh.Length > 0 {
		d.buf = grpcutil.GetForOverwrite(c.pool, int(fh.Length))
		if _, err := io.ReadFull(c.br, *d.buf); err != nil {
			c.dropData()
			return nil, err
		}
		d.n = int(fh.Length)
	}
	if fh.StreamID == 0 {
		c.dropData()
		return nil, http2.ConnectionError(http2.ErrCodeProtocol)
	}
	if fh.Flags.Has(http2.FlagDataPadded) {
		if d.n < 1 {
			c.dropData()
			return nil, io.ErrUnexpectedEOF
		}
		pad := int((*d.buf)[0])
		d.off, d.n = 1, d.n-1
		if pad > d.n {
			c.dropData()
			return nil, http2.ConnectionError(http2.ErrCodeProtocol)
		}
		d.n -= pad
	}
	if d.n == 0 && d.buf != nil {
		c.dropData()
	}
	return d, nil
}

// dropData returns the current DATA frame's buffer to the pool.
func (c *h2conn) dropData() {
	if c.data.buf != nil {
		c.pool.Put(c.data.buf)
		c.data.buf = nil
	}
}

func windowOrDefault(v int32) uint32 {
	if v < defaultWindow {
		return defaultWindow
	}
	return uint32(v)
}

// settings is our SETTINGS frame (plus the connection window increase).
func (c *h2conn) writeSettings(extra []http2.Setting, maxHdr *uint32) error {
	ss := append(extra, http2.Setting{ID: http2.SettingMaxFrameSize, Val: maxFrameLen})
	if w := c.streamWindow.Load(); w != defaultWindow {
		ss = append(ss, http2.Setting{ID: http2.SettingInitialWindowSize, Val: w})
	}
	if maxHdr != nil {
		ss = append(ss, http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: *maxHdr})
	}
	return c.w.control(func(fr *frameWriter) error {
		if err := fr.WriteSettings(ss...); err != nil {
			return err
		}
		if c.connWindow > defaultWindow {
			return fr.WriteWindowUpdate(0, c.connWindow-defaultWindow)
		}
		return nil
	})
}

// handleSettings applies the peer's SETTINGS and acknowledges them.
func (c *h2conn) handleSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	var tableSize *uint32
	c.mu.Lock()
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			c.setPeerInitialWindow(s.Val)
		case http2.SettingMaxConcurrentStreams:
			c.peerMaxStr = s.Val
		case http2.SettingMaxHeaderListSize:
			c.peerMaxHdr = s.Val
		case http2.SettingHeaderTableSize:
			v := s.Val
			tableSize = &v
		}
		return nil
	})
	c.mu.Unlock()
	if err != nil {
		if ce, ok := err.(http2.ConnectionError); ok {
			return newConnError(http2.ErrCode(ce), "invalid setting")
		}
		return newConnError(http2.ErrCodeProtocol, "invalid setting")
	}
	c.onSettings()
	ack := ctrlFrame{kind: ctrlSettingsAck}
	if tableSize != nil {
		ack = ctrlFrame{kind: ctrlSettingsAckTable, val: *tableSize}
	}
	return c.w.queue(ack)
}

// onSettings is overridden through a hook by the client to wake streams
// waiting for MAX_CONCURRENT_STREAMS.
func (c *h2conn) onSettings() {
	if c.settingsHook != nil {
		c.settingsHook()
	}
}

func (c *h2conn) writeWindowUpdate(id, inc uint32) {
	c.writeFailed(c.w.queue(ctrlFrame{kind: ctrlWindowUpdate, id: id, val: inc}))
}

func (c *h2conn) writeRST(id uint32, code http2.ErrCode) {
	c.writeFailed(c.w.queue(ctrlFrame{kind: ctrlRST, id: id, val: uint32(code)}))
}

func (c *h2conn) writePingAck(data [8]byte) {
	c.writeFailed(c.w.queue(ctrlFrame{kind: ctrlPingAck, data: data}))
}

// writeFailed turns a write error into a transport failure and returns the
// error streams should see.
func (c *h2conn) writeFailed(err error) error {
	if err == nil {
		return nil
	}
	if c.closeHook != nil {
		c.closeHook(err)
	}
	return c.closeStatus().Err()
}

// closeStatus is the status streams fail with once the transport closed.
func (c *h2conn) closeStatus() *status.Status {
	c.mu.Lock()
	st := c.closeSt
	c.mu.Unlock()
	if st == nil {
		return status.New(codes.Unavailable, "transport is closing")
	}
	return st
}

// dataFrame handles DATA for a known (or unknown) stream: connection
// window accounting and queueing. The payload buffer goes to the stream
// or back to the pool. It returns the stream error or connection error
// to apply, if any.
func (c *h2conn) dataFrame(f *inData, s *stream) error {
	flowLen := f.Length
	inc, err := c.onConnData(flowLen)
	if err == nil && inc > 0 {
		c.writeWindowUpdate(0, inc)
	}
	if err == nil {
		c.bdpData(flowLen, inc > 0)
	}
	if s == nil || err != nil {
		c.dropData()
		return err
	}
	buf := f.buf
	f.buf = nil
	if s.pushData(buf, f.off, f.n, flowLen) {
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
	}
	return nil
}

// goAwayAndClose reports a connection error to the peer before closing.
func (c *h2conn) goAwayAndClose(lastID uint32, code http2.ErrCode, debug string) {
	c.w.final(func(fr *frameWriter) error {
		return fr.WriteGoAway(lastID, code, []byte(debug))
	})
}
