package transport

import (
	"bytes"
	"context"
	"errors"
	"google.golang.org/grpc/mem"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// ServerOptions configures a ServerTransport.
type ServerOptions struct {
	MaxConcurrentStreams  uint32 // 0 = unlimited
	InitialWindowSize     int32
	InitialConnWindowSize int32
	// DynamicWindow turns on BDP estimation (see ClientOptions).
	DynamicWindow     bool
	MaxHeaderListSize *uint32
	WriteBufferSize   int
	ReadBufferSize    int
	Keepalive         keepalive.ServerParameters
	KeepalivePolicy   keepalive.EnforcementPolicy
	AuthInfo          credentials.AuthInfo
	// BufferPool is where the connection takes its buffers; nil means
	// mem.DefaultBufferPool().
	BufferPool mem.BufferPool
	// HeaderTableSize, when set, is the HPACK dynamic table size we
	// advertise and let the client's encoder use (4096 otherwise).
	HeaderTableSize *uint32
	ServerHooks     // tap handle (stats_hooks.go)
	ChannelzHooks   // channelz socket (channelz_hooks.go)
}

// ServerTransport is the server side of one HTTP/2 connection.
type ServerTransport struct {
	h2conn
	opts       ServerOptions
	maxStreams uint32
	// maxStreamID is the highest client stream id seen; written by the reader.
	maxStreamID atomic.Uint32
	baseCtx     context.Context
	ka          serverKeepalive

	handle          func(*ServerStream)
	deferredStreams []*ServerStream // reader only: new streams not yet handed to handle

	// Reader only: keepalive enforcement. lastPingAt is monotonic
	// nanoseconds since procStart (0: no ping yet).
	lastPingAt  int64
	pingStrikes int32

	// Guarded by mu.
	drainPhase int32 // 0 none, 1 first GOAWAY+PING sent, 2 final GOAWAY sent
	goAwayLast uint32
	// trailersInFlight counts streams already unregistered (their slot is
	// free) whose trailers are not yet written; a drained connection must
	// not close under them.
	trailersInFlight int32
	drainDebug       string
	drainTimer       *time.Timer
	idleSince        int64 // monotonic nanoseconds since procStart
}

// drainedLocked reports whether a draining connection has nothing left to
// send and may close. Caller holds mu.
func (t *ServerTransport) drainedLocked() bool {
	return t.drainPhase == 2 && len(t.streams) == 0 && t.trailersInFlight == 0 && !t.closed
}

// closeDrained closes a drained connection after flushing what earlier
// writers left in the buffer (a writer may have left its flush to a
// successor), so the last trailers are not lost.
func (t *ServerTransport) closeDrained() {
	t.w.flush()
	t.Close(ConnectionError{Desc: "transport: drained"})
}

var drainPing = [8]byte{'d', 'r', 'a', 'i', 'n', 'g', 'r', 'p'}

// ErrIllegalHeaderWrite is returned when headers are set or sent after they
// were already sent.
var ErrIllegalHeaderWrite = status.Error(codes.Internal, "transport: SendHeader called multiple times")

// NewServerTransport reads and validates the client preface and first
// SETTINGS, and sends ours. On error the connection is closed.
func NewServerTransport(conn net.Conn, opts ServerOptions) (*ServerTransport, error) {
	t := &ServerTransport{opts: opts, maxStreams: opts.MaxConcurrentStreams}
	if t.maxStreams == 0 {
		t.maxStreams = ^uint32(0)
	}
	t.initConn(conn, opts.BufferPool, opts.WriteBufferSize, opts.ReadBufferSize, opts.MaxHeaderListSize,
		opts.InitialWindowSize, opts.InitialConnWindowSize)
	t.bdp.on = opts.DynamicWindow
	if opts.HeaderTableSize != nil {
		t.hr.dec.SetAllowedMaxDynamicTableSize(*opts.HeaderTableSize)
	}
	t.peer = &peer.Peer{Addr: conn.RemoteAddr(), LocalAddr: conn.LocalAddr(), AuthInfo: opts.AuthInfo}
	t.closeHook = func(err error) { t.Close(ConnectionError{Desc: "transport: write failed: " + err.Error()}) }
	t.wakeHook = t.handOff
	t.idleSince = monoNow()
	fail := func(err error) (*ServerTransport, error) {
		conn.Close()
		return nil, err
	}
	pre := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(t.br, pre); err != nil {
		return fail(ConnectionError{Desc: "transport: http2Server.HandleStreams failed to receive the preface from client: " + err.Error()})
	}
	if !bytes.Equal(pre, []byte(http2.ClientPreface)) {
		return fail(ConnectionError{Desc: "transport: http2Server.HandleStreams received bogus greeting from client: " + strconv.Quote(string(pre))})
	}
	var ss []http2.Setting
	if opts.MaxConcurrentStreams != 0 {
		ss = append(ss, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: opts.MaxConcurrentStreams})
	}
	if opts.HeaderTableSize != nil {
		ss = append(ss, http2.Setting{ID: http2.SettingHeaderTableSize, Val: *opts.HeaderTableSize})
	}
	if err := t.writeSettings(ss, opts.MaxHeaderListSize); err != nil {
		return fail(ConnectionError{Desc: "transport: failed to write settings: " + err.Error()})
	}
	f, err := t.fr.ReadFrame()
	if err != nil {
		return fail(ConnectionError{Desc: "transport: http2Server.HandleStreams failed to read initial settings frame: " + err.Error()})
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		return fail(ConnectionError{Desc: "transport: http2Server.HandleStreams saw invalid preface type " + f.Header().Type.String() + " from client"})
	}
	if err := t.handleSettings(sf); err != nil {
		t.goAwayAndClose(0, http2.ErrCodeProtocol, err.Error())
		return fail(ConnectionError{Desc: err.Error()})
	}
	t.czRegister(opts.ChannelzParent)
	return t, nil
}

// Peer describes the client side of the connection.
func (t *ServerTransport) Peer() *peer.Peer { return t.peer }

// Done is closed when the transport is closed.
func (t *ServerTransport) Done() <-chan struct{} { return t.done }

// HandleStreams runs the reader loop on the caller's goroutine, calling
// handle (which must not block) for each new stream. It returns once the
// connection is closed.
func (t *ServerTransport) HandleStreams(ctx context.Context, handle func(*ServerStream)) {
	t.baseCtx = peer.NewContext(ctx, t.peer)
	t.handle = handle
	defer t.wakeDeferred()
	t.startKeepalive()
	defer t.stopKeepalive()
	for {
		f, hb, df, err := t.readFrame()
		if err != nil {
			if se, ok := err.(http2.StreamError); ok {
				t.resetStream(se.StreamID, se.Code)
				continue
			}
			if ce := frameConnError(err); ce != nil {
				t.connError(ce)
				return
			}
			t.Close(ConnectionError{Desc: "transport: reading from client: " + err.Error()})
			return
		}
		t.activity.Store(true)
		switch {
		case df != nil:
			err = t.onData(df)
		case hb != nil:
			err = t.onHeaders(hb, handle)
			t.hr.release() // the handler copied what it keeps
		default:
			err = t.handleFrame(f, handle)
		}
		if err != nil {
			if se, ok := err.(http2.StreamError); ok {
				t.resetStream(se.StreamID, se.Code)
				continue
			}
			if errors.Is(err, errClosed) {
				return
			}
			t.connError(err)
			return
		}
	}
}

var errClosed = errors.New("transport closed")

// handOff passes the streams that onHeaders accepted to the handler.
// Reader only.
func (t *ServerTransport) handOff() {
	for i, s := range t.deferredStreams {
		t.handle(s)
		t.deferredStreams[i] = nil
	}
	t.deferredStreams = t.deferredStreams[:0]
}

func (t *ServerTransport) connError(err error) {
	code := http2.ErrCodeProtocol
	if ce, ok := err.(*connError); ok {
		code = ce.code
	}
	t.goAwayAndClose(t.maxStreamID.Load(), code, err.Error())
	t.Close(ConnectionError{Desc: err.Error()})
}

func (t *ServerTransport) lookup(id uint32) *ServerStream {
	t.mu.Lock()
	s := t.streams[id]
	t.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.ss
}

// resetStream fails a stream because of a stream error and resets it.
func (t *ServerTransport) resetStream(id uint32, code http2.ErrCode) {
	if s := t.lookup(id); s != nil {
		t.finish(s, rstStatus(code).Err(), true, true, code)
		return
	}
	t.writeRST(id, code)
}

func (t *ServerTransport) handleFrame(f http2.Frame, handle func(*ServerStream)) error {
	switch f := f.(type) {
	case *http2.RSTStreamFrame:
		if s := t.lookup(f.StreamID); s != nil {
			// The client gave up, which to the handler is a cancellation
			// (as in grpc-go). Data that arrived before the reset stays
			// readable: a client may send a last message and then cancel.
			t.finish(s, errStreamCanceled, false, false, 0)
		}
	case *http2.SettingsFrame:
		return t.handleSettings(f)
	case *http2.PingFrame:
		return t.onPing(f)
	case *http2.WindowUpdateFrame:
		return t.handleWindowUpdate(f)
	case *http2.GoAwayFrame:
		// The client is going away; its streams finish or fail on their own.
	case *http2.PushPromiseFrame:
		return newConnError(http2.ErrCodeProtocol, "received PUSH_PROMISE from client")
	}
	return nil
}

func (t *ServerTransport) onData(f *inData) error {
	id := f.StreamID
	s := t.lookup(id)
	if s == nil {
		if id%2 == 0 || id > t.maxStreamID.Load() {
			return newConnError(http2.ErrCodeProtocol, "received DATA for an idle stream "+strconv.FormatUint(uint64(id), 10))
		}
		// Closed (e.g. we answered early): keep the connection window right.
		return t.dataFrame(f, nil)
	}
	if s.recvEnded.Load() {
		if err := t.dataFrame(f, nil); err != nil {
			return err
		}
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeStreamClosed}
	}
	if err := t.dataFrame(f, &s.stream); err != nil {
		return err
	}
	if f.StreamEnded() {
		s.recvEnded.Store(true)
		s.endRecv(io.EOF, false)
	}
	return nil
}

func (t *ServerTransport) onHeaders(f *headerBlock, handle func(*ServerStream)) error {
	id := f.StreamID
	if id%2 != 1 || id <= t.maxStreamID.Load() {
		return newConnError(http2.ErrCodeProtocol, "received an illegal stream id: "+strconv.FormatUint(uint64(id), 10))
	}
	t.maxStreamID.Store(id)
	end := f.StreamEnded()
	if f.Truncated {
		t.writeRST(id, http2.ErrCodeFrameSize)
		return nil
	}
	var r request
	parseRequest(f.Fields, &r)
	switch {
	case len(r.md[":authority"]) > 1:
		t.earlyAbort(id, r.contentSubtype, status.New(codes.Internal, "num values of :authority: "+
			strconv.Itoa(len(r.md[":authority"]))+", both must only have 1 value as per HTTP/2 spec"), 400, !end)
		return nil
	case r.protocolErr:
		t.writeRST(id, http2.ErrCodeProtocol)
		return nil
	case !r.isGRPC:
		t.earlyAbort(id, "", status.New(codes.InvalidArgument, "invalid gRPC request content-type "+
			strconv.Quote(r.badContentType)), 415, !end)
		return nil
	case r.headerErr != nil:
		t.earlyAbort(id, r.contentSubtype, r.headerErr, 400, !end)
		return nil
	case len(r.md[":authority"]) == 0:
		t.earlyAbort(id, r.contentSubtype, status.New(codes.Internal, "no host or :authority header present"), 400, !end)
		return nil
	case r.httpMethod != "POST":
		t.earlyAbort(id, r.contentSubtype, status.New(codes.Internal, "Received a HEADERS frame with :method "+
			strconv.Quote(r.httpMethod)+" which should be POST"), 405, !end)
		return nil
	}

	s := &ServerStream{
		st:             t,
		method:         r.path,
		contentSubtype: r.contentSubtype,
		recvCompress:   r.recvCompress,
		acceptCompress: r.acceptCompress,
	}
	s.ss = s
	s.wire.hdr = f.wireLen
	var ctx context.Context
	if r.timeoutSet {
		ctx, s.cancel = context.WithTimeout(t.baseCtx, r.timeout)
	} else {
		ctx, s.cancel = context.WithCancel(t.baseCtx)
	}
	if len(r.md) > 0 {
		ctx = metadata.NewIncomingContext(ctx, r.md)
	}
	if t.opts.InTapHandle != nil && !t.tapStream(&ctx, s, id, &r, end) {
		return nil
	}
	s.init(&t.h2conn, ctx)
	s.id = id

	t.mu.Lock()
	if t.closed || (t.drainPhase == 2 && id > t.goAwayLast) {
		t.mu.Unlock()
		s.cancel()
		if !t.closed {
			t.writeRST(id, http2.ErrCodeRefusedStream)
		}
		return nil
	}
	if uint32(len(t.streams)) >= t.maxStreams {
		t.mu.Unlock()
		s.cancel()
		t.writeRST(id, http2.ErrCodeRefusedStream)
		return nil
	}
	s.sendQuota = t.peerWindow
	t.streams[id] = &s.stream
	t.mu.Unlock()
	t.czStreamStarted()
	if end {
		s.recvEnded.Store(true)
		s.endRecv(io.EOF, false)
	}
	// Handed over once the frames at hand are handled, so that a request
	// that arrived whole is queued before its handler starts.
	t.deferredStreams = append(t.deferredStreams, s)
	return nil
}

// earlyAbort answers a request the transport rejects itself with a
// trailers-only response, then resets the stream if the client is still
// sending.
func (t *ServerTransport) earlyAbort(id uint32, subtype string, st *status.Status, httpStatus int, rst bool) {
	hf := make([]hpack.HeaderField, 0, 5)
	hf = append(hf,
		hpack.HeaderField{Name: ":status", Value: strconv.Itoa(httpStatus)},
		hpack.HeaderField{Name: "content-type", Value: grpcutil.ContentType(subtype)},
	)
	hf = statusFields(hf, st)
	if err := t.w.lock(); err != nil {
		return
	}
	t.w.headers(id, hf, true)
	if rst {
		t.w.fail(t.w.fr.WriteRSTStream(id, http2.ErrCodeNo))
	}
	t.writeFailed(t.w.unlock())
}

// finish ends a stream once: unregisters it, fails blocked calls, cancels
// its context and optionally resets it.
func (t *ServerTransport) finish(s *ServerStream, recvErr error, discard, rst bool, code http2.ErrCode) {
	ok, closeNow := t.unregister(s, recvErr, discard, false)
	if !ok {
		return
	}
	if rst {
		t.writeRST(s.id, code)
	}
	if closeNow {
		t.closeDrained()
	}
}

// unregister is the wire-free part of finish. It reports whether this call
// finished the stream and whether a drained transport should now close.
// With trailersPending the caller is about to write the stream's trailers
// and must call trailersWritten afterwards.
func (t *ServerTransport) unregister(s *ServerStream, recvErr error, discard, trailersPending bool) (ok, closeNow bool) {
	t.mu.Lock()
	if s.finished {
		t.mu.Unlock()
		return false, false
	}
	s.finished = true
	t.czStreamEnded(trailersPending)
	delete(t.streams, s.id)
	s.wakeStreamQuota()
	n := len(t.streams)
	if n == 0 {
		t.idleSince = monoNow()
	}
	if trailersPending {
		t.trailersInFlight++
	}
	closeNow = t.drainedLocked()
	t.mu.Unlock()
	s.endRecv(recvErr, discard)
	close(s.done)
	s.cancel()
	return true, closeNow
}

// trailersWritten ends what unregister(trailersPending) began and reports
// whether a drained transport should now close.
func (t *ServerTransport) trailersWritten() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.trailersInFlight--
	return t.drainedLocked()
}

// Close closes the connection at once; active streams are canceled.
func (t *ServerTransport) Close(err error) {
	if err == nil {
		err = ErrConnClosing
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	t.closeSt = status.New(codes.Unavailable, err.Error())
	if t.drainTimer != nil {
		t.drainTimer.Stop()
	}
	streams := make([]*ServerStream, 0, len(t.streams))
	for _, s := range t.streams {
		streams = append(streams, s.ss)
	}
	t.mu.Unlock()
	t.nc.Close()
	close(t.done)
	t.czRemove()
	// Handlers see their RPC cancelled, whatever broke the connection,
	// as grpc-go reports it.
	for _, s := range streams {
		t.finish(s, errStreamCanceled, true, false, 0)
	}
}
