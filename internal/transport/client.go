package transport

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

const maxStreamID = 1<<31 - 1

// ClientOptions configures a ClientTransport.
type ClientOptions struct {
	Authority             string // default :authority for streams whose CallHdr.Host is ""
	UserAgent             string // full user-agent value
	InitialWindowSize     int32  // per-stream receive window; 0 = 64 KiB
	InitialConnWindowSize int32  // connection receive window; 0 = 64 KiB
	MaxHeaderListSize     *uint32
	WriteBufferSize       int // 0 = 32 KiB; <0 = unbuffered
	ReadBufferSize        int // 0 = 32 KiB
	Keepalive             keepalive.ClientParameters
	AuthInfo              credentials.AuthInfo
	OnGoAway              func()          // called once when a GOAWAY arrives
	OnClose               func(err error) // called exactly once when the transport closes
	// OnTooManyPings, if set, is called (before OnGoAway) when the server's
	// GOAWAY is ENHANCE_YOUR_CALM "too_many_pings", so the channel can
	// double its keepalive time as grpc-go does. (Addition to the contract.)
	OnTooManyPings func()
	// DynamicWindow turns on BDP estimation, which grows both receive
	// windows as the connection's bandwidth-delay product requires
	// (grpc-go's default unless a window size option was given).
	DynamicWindow bool
	// BufferPool is where the connection takes its buffers; nil means
	// mem.DefaultBufferPool().
	BufferPool    mem.BufferPool
	ChannelzHooks // channelz socket (channelz_hooks.go)
}

// CallHdr carries the request header of a new client stream.
type CallHdr struct {
	Host             string // :authority; "" = ClientOptions.Authority
	Method           string // :path
	ContentSubtype   string
	SendCompress     string
	AcceptCompress   string
	Metadata         metadata.MD
	PreviousAttempts int
	// HoldHeaders lets the HEADERS wait in the write buffer for the first
	// Write, which the caller makes at once (unary RPCs), so that headers
	// and request leave in one syscall. Streams send headers immediately.
	HoldHeaders bool
	// ClientStreams says the caller sends many messages: their flushes run
	// on a goroutine of the transport so that sending overlaps the
	// syscalls and back-to-back messages share them.
	ClientStreams bool
}

// ClientTransport is the client side of one HTTP/2 connection.
type ClientTransport struct {
	h2conn
	opts       ClientOptions
	scheme     string
	readerDone chan struct{}
	closeErr   error         // why the transport closed; guarded by mu
	preface    chan struct{} // closed once the server's first SETTINGS arrived
	gotPreface bool          // reader only
	kaDone     chan struct{} // nil without keepalive

	// Guarded by mu.
	nextID      uint32
	active      int // streams holding a MAX_CONCURRENT_STREAMS slot
	slotCh      chan struct{}
	draining    bool
	goAwayID    uint32
	goAwayDebug string

	goAwayOnce sync.Once
	closeOnce  sync.Once
}

// NewClientTransport starts HTTP/2 on an established (already secured)
// connection: it writes the preface and SETTINGS and starts the reader. It
// does not wait for the server's SETTINGS.
func NewClientTransport(conn net.Conn, opts ClientOptions) (*ClientTransport, error) {
	t := &ClientTransport{opts: opts, nextID: 1, goAwayID: maxStreamID,
		readerDone: make(chan struct{}), preface: make(chan struct{})}
	t.client = true
	t.initConn(conn, opts.BufferPool, opts.WriteBufferSize, opts.ReadBufferSize, opts.MaxHeaderListSize,
		opts.InitialWindowSize, opts.InitialConnWindowSize)
	t.bdp.on = opts.DynamicWindow
	t.turn = newReadTurn(t.br.ready != nil || resumesAfterDeadline(conn))
	t.br.interruptible = t.turn.enabled
	t.turn.step = t.readStep
	t.peer = &peer.Peer{Addr: conn.RemoteAddr(), LocalAddr: conn.LocalAddr(), AuthInfo: opts.AuthInfo}
	// As grpc-go: "https" only when the handshake was TLS.
	t.scheme = "http"
	if opts.AuthInfo != nil && opts.AuthInfo.AuthType() == "tls" {
		t.scheme = "https"
	}
	t.settingsHook = t.wakeSlots
	t.closeHook = func(err error) { t.close(ConnectionError{Desc: "transport: write failed: " + err.Error()}) }
	if err := t.w.lock(); err != nil {
		conn.Close()
		return nil, err
	}
	_, err := t.w.out.Write([]byte(http2.ClientPreface))
	t.w.fail(err)
	t.w.unlock() // the SETTINGS below flush the preface with them
	err = t.writeSettings([]http2.Setting{{ID: http2.SettingEnablePush, Val: 0}}, opts.MaxHeaderListSize)
	if err != nil {
		conn.Close()
		return nil, ConnectionError{Desc: "transport: failed to write client preface: " + err.Error()}
	}
	t.czRegister(opts.ChannelzParent)
	go t.reader()
	t.startKeepalive()
	return t, nil
}

// PrefaceReceived is closed once the server's connection preface (its
// first SETTINGS frame) has arrived. Until then the server's limits, such
// as MAX_CONCURRENT_STREAMS, are unknown: the channel reports a connection
// READY only after it, as grpc-go does.
func (t *ClientTransport) PrefaceReceived() <-chan struct{} { return t.preface }

// CloseReason says why the transport closed (a ConnectionError's
// description without its wrapping); "" while it is open.
func (t *ClientTransport) CloseReason() string {
	t.mu.Lock()
	err := t.closeErr
	t.mu.Unlock()
	var ce ConnectionError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ce):
		return ce.Desc
	}
	return err.Error()
}

// RemoteAddr returns the server's address.
func (t *ClientTransport) RemoteAddr() net.Addr { return t.peer.Addr }

// LocalAddr returns the local address of the connection.
func (t *ClientTransport) LocalAddr() net.Addr { return t.peer.LocalAddr }

// Peer describes the server side of the connection.
func (t *ClientTransport) Peer() *peer.Peer { return t.peer }

// Done is closed when the transport is closed.
func (t *ClientTransport) Done() <-chan struct{} { return t.done }

// NewStream starts a stream: it waits for a MAX_CONCURRENT_STREAMS slot and
// writes the request HEADERS.
func (t *ClientTransport) NewStream(ctx context.Context, h *CallHdr) (*ClientStream, error) {
	if err := ctx.Err(); err != nil {
		return nil, &NewStreamError{Err: status.FromContextError(err).Err()}
	}
	var hfArr [16]hpack.HeaderField
	hf := t.requestFields(ctx, h, hfArr[:0])
	if limit, bad := t.headerListTooBig(hf); bad {
		return nil, &NewStreamError{Err: status.Error(codes.Internal,
			"header list size to send violates the maximum size ("+strconv.FormatUint(uint64(limit), 10)+" bytes) set by server")}
	}
	if err := t.reserveSlot(ctx); err != nil {
		return nil, err
	}
	s := &ClientStream{ct: t, headerCh: make(chan struct{})}
	if h.ClientStreams {
		s.flush = flushAsync
	}
	s.cs = s
	s.init(&t.h2conn, ctx)

	// The id is assigned under the write lock so ids rise on the wire.
	if err := t.w.lock(); err != nil {
		t.releaseSlot()
		return nil, &NewStreamError{Err: t.closeStatus().Err(), AllowTransparentRetry: true}
	}
	t.mu.Lock()
	var refuse error
	switch {
	case t.closed:
		refuse = ErrConnClosing
	case t.draining:
		refuse = errStreamDrain
	case t.nextID > maxStreamID:
		// Stream ids exhausted: finish what runs here, use a new connection.
		t.draining = true
		refuse = errStreamDrain
	}
	if refuse != nil {
		t.mu.Unlock()
		t.w.unlock()
		t.releaseSlot()
		return nil, &NewStreamError{Err: refuse, AllowTransparentRetry: true}
	}
	s.id = t.nextID
	t.nextID += 2
	s.sendQuota = t.peerWindow
	t.streams[s.id] = &s.stream
	t.mu.Unlock()
	t.czStreamStarted()
	t.w.headers(s.id, hf, false)
	var werr error
	if h.HoldHeaders {
		werr = t.w.unlockHold()
	} else {
		werr = t.w.unlock()
	}
	if err := werr; err != nil {
		t.close(ConnectionError{Desc: "transport: write failed: " + err.Error()})
		return nil, &NewStreamError{Err: t.closeStatus().Err()}
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, s.onCtxDone)
		t.mu.Lock()
		if s.finished {
			t.mu.Unlock()
			stop()
		} else {
			s.stopCancel = stop
			t.mu.Unlock()
		}
	}
	return s, nil
}

// reserveSlot waits until the peer's MAX_CONCURRENT_STREAMS allows one
// more stream and takes the slot.
func (t *ClientTransport) reserveSlot(ctx context.Context) error {
	t.mu.Lock()
	for {
		if t.closed {
			t.mu.Unlock()
			return &NewStreamError{Err: ErrConnClosing, AllowTransparentRetry: true}
		}
		if t.draining {
			t.mu.Unlock()
			return &NewStreamError{Err: errStreamDrain, AllowTransparentRetry: true}
		}
		if uint32(t.active) < t.peerMaxStr {
			t.active++
			t.mu.Unlock()
			return nil
		}
		if t.slotCh == nil {
			t.slotCh = make(chan struct{})
		}
		ch := t.slotCh
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return &NewStreamError{Err: status.FromContextError(ctx.Err()).Err()}
		case <-t.done:
		}
		t.mu.Lock()
	}
}

func (t *ClientTransport) releaseSlot() {
	t.mu.Lock()
	t.active--
	t.wakeSlotsLocked()
	closeNow := t.draining && t.active == 0 && !t.closed
	t.mu.Unlock()
	if closeNow {
		t.close(t.drainedErr())
	}
}

func (t *ClientTransport) wakeSlots() {
	t.mu.Lock()
	t.wakeSlotsLocked()
	t.mu.Unlock()
}

func (t *ClientTransport) wakeSlotsLocked() {
	if t.slotCh != nil {
		close(t.slotCh)
		t.slotCh = nil
	}
}

func (t *ClientTransport) drainedErr() error {
	return ConnectionError{Desc: "transport: the connection is draining and has no active streams"}
}

// GracefulClose stops new streams and closes the transport once the last
// active stream finishes.
func (t *ClientTransport) GracefulClose() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.draining = true
	idle := t.active == 0
	t.mu.Unlock()
	if idle {
		t.close(ConnectionError{Desc: "transport: the transport was gracefully closed"})
	}
}

// Close closes the transport at once; active streams fail with Unavailable.
// It does not wait for the reader goroutine (it may be called from the
// OnGoAway/OnClose callbacks, which run on it); that goroutine exits as
// soon as its read fails on the closed connection.
func (t *ClientTransport) Close(err error) {
	t.close(err)
}

// close is Close without waiting, safe on the reader goroutine.
func (t *ClientTransport) close(err error) {
	if err == nil {
		err = ErrConnClosing
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	t.closeErr = err
	var st *status.Status
	if t.goAwayDebug != "" {
		st = status.New(codes.Unavailable, "closing transport due to: "+err.Error()+
			", received prior goaway: "+t.goAwayDebug)
	} else {
		st = status.New(codes.Unavailable, err.Error())
	}
	t.closeSt = st
	streams := make([]*ClientStream, 0, len(t.streams))
	for _, s := range t.streams {
		streams = append(streams, s.cs)
	}
	t.wakeSlotsLocked()
	t.mu.Unlock()

	t.goAwayAndClose(0, http2.ErrCodeNo, "")
	t.nc.Close()
	close(t.done)
	t.czRemove()
	for _, s := range streams {
		t.finish(s, st, st.Err(), true, false, 0)
	}
	t.closeOnce.Do(func() {
		if t.opts.OnClose != nil {
			t.opts.OnClose(err)
		}
	})
}

// finish ends a stream once: it records the final status, unregisters the
// stream, fails blocked calls and optionally resets the stream on the wire.
func (t *ClientTransport) finish(s *ClientStream, st *status.Status, recvErr error, discard, rst bool, code http2.ErrCode) {
	t.mu.Lock()
	if s.finished {
		t.mu.Unlock()
		return
	}
	s.finished = true
	s.st = st
	t.czClientStreamEnded(recvErr)
	delete(t.streams, s.id)
	t.active--
	t.wakeSlotsLocked()
	s.wakeStreamQuota()
	closeHdr := !s.headerDone
	s.headerDone = true
	stop := s.stopCancel
	closeNow := t.draining && t.active == 0 && !t.closed
	t.mu.Unlock()
	if stop != nil {
		stop()
	}
	if closeHdr {
		close(s.headerCh)
	}
	// done closes before readers are woken, so a Read that returns io.EOF
	// is always followed by valid Trailer and Status.
	close(s.done)
	s.endRecv(recvErr, discard)
	if rst {
		t.writeRST(s.id, code)
	}
	if closeNow {
		t.close(t.drainedErr())
	}
}
