package grpc

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// This file connects stats.Handlers (WithStatsHandler, StatsHandler) and the
// tap handle (InTapHandle) to the client and server. Every hook in the RPC
// paths is guarded by a nil or length check, so that without a handler
// they cost neither an allocation nor a clock read.

// statsHandlers are the handlers of a ClientConn or Server, in the order
// they were registered. Every event goes to each of them.
type statsHandlers []stats.Handler

func (hs statsHandlers) tagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	for _, h := range hs {
		ctx = h.TagRPC(ctx, info)
	}
	return ctx
}

func (hs statsHandlers) handleRPC(ctx context.Context, s stats.RPCStats) {
	for _, h := range hs {
		h.HandleRPC(ctx, s)
	}
}

// connBegin tags a new connection and reports its ConnBegin; the returned
// context is the one to report its ConnEnd with.
func (hs statsHandlers) connBegin(ctx context.Context, p *peer.Peer, client bool) context.Context {
	info := &stats.ConnTagInfo{RemoteAddr: p.Addr, LocalAddr: p.LocalAddr}
	for _, h := range hs {
		ctx = h.TagConn(ctx, info)
	}
	for _, h := range hs {
		h.HandleConn(ctx, &stats.ConnBegin{Client: client})
	}
	return ctx
}

func (hs statsHandlers) connEnd(ctx context.Context, client bool) {
	for _, h := range hs {
		h.HandleConn(ctx, &stats.ConnEnd{Client: client})
	}
}

// clientStatsOptions are the dial options of this file.
type clientStatsOptions struct {
	statsHandlers statsHandlers
}

// serverStatsOptions are the server options of this file.
type serverStatsOptions struct {
	statsHandlers statsHandlers
	inTapHandle   tap.ServerInHandle
}

// WithStatsHandler adds h to the stats handlers of the ClientConn: it sees
// the events of every RPC and connection of the channel. With several
// handlers, each sees every event, in the order they were added. A nil h is
// ignored.
func WithStatsHandler(h stats.Handler) DialOption {
	return funcDialOption(func(o *dialOptions) {
		if h == nil {
			return
		}
		o.statsHandlers = append(o.statsHandlers, h)
	})
}

// StatsHandler adds h to the stats handlers of the Server: it sees the
// events of every RPC and connection the server handles. With several
// handlers, each sees every event, in the order they were added. A nil h is
// ignored.
func StatsHandler(h stats.Handler) ServerOption {
	return funcServerOption(func(o *serverOptions) {
		if h == nil {
			return
		}
		o.statsHandlers = append(o.statsHandlers, h)
	})
}

// InTapHandle sets the tap handle of the Server, which its transports run
// for every new stream before creating it (see tap.ServerInHandle). Only
// one may be set: a second one panics.
//
// Experimental: grpc-go may change or remove this API.
func InTapHandle(h tap.ServerInHandle) ServerOption {
	return funcServerOption(func(o *serverOptions) {
		if o.inTapHandle != nil {
			panic("The tap handle was already set and may not be reset.")
		}
		o.inTapHandle = h
	})
}

// ---- client ----

// nameResolutionDelayKey marks the context of an RPC that waited for the
// resolver's first update (only set when stats handlers are installed).
type nameResolutionDelayKey struct{}

// statsResolveDelay reports, before waitForResolved, whether an RPC will
// have to wait for name resolution: whether, once the channel is out of
// idleness (which waitForResolved would do first), the resolver has still
// not reported. It is false without stats handlers.
func (cc *ClientConn) statsResolveDelay() bool {
	if len(cc.dopts.statsHandlers) == 0 {
		return false
	}
	cc.mu.Lock()
	idle := cc.inIdle
	cc.mu.Unlock()
	if idle && cc.exitIdle() != nil {
		return false // waitForResolved reports the error
	}
	cc.mu.Lock()
	resolved := cc.resolved
	cc.mu.Unlock()
	select {
	case <-resolved:
		return false
	default:
		return true
	}
}

// attemptStatsKey carries the attemptStats of an attempt in its context, so
// that the pick can note that it had to wait.
type attemptStatsKey struct{}

// attemptStats is the stats state of one client attempt. Attempts have none
// (nil) when the channel has no stats handler.
type attemptStats struct {
	hs          statsHandlers
	ctx         context.Context // from TagRPC; every event of the attempt uses it
	userCtx     context.Context // ctx with the peer, for ClientStream.Context; under cs.mu
	md          metadata.MD     // the outgoing metadata of ctx, sent by the attempt
	begin       time.Time
	pickBlocked bool // set by the pick (on the attempt's goroutine)

	inHeader  atomic.Bool // InHeader reported
	inTrailer atomic.Bool // InTrailer reported

	cr countingReader // used by the receiving goroutine
}

// statsOn reports whether the RPC reports stats events.
func (cs *clientStream) statsOn() bool {
	return cs.fixed == nil && len(cs.cc.dopts.statsHandlers) != 0
}

// newAttemptStats tags a new attempt and reports its Begin.
func (cs *clientStream) newAttemptStats(transparent bool) *attemptStats {
	hs := cs.cc.dopts.statsHandlers
	as := &attemptStats{hs: hs, begin: time.Now()}
	ctx := hs.tagRPC(cs.parent, &stats.RPCTagInfo{
		FullMethodName:      cs.method,
		FailFast:            cs.ci.failFast,
		NameResolutionDelay: cs.parent.Value(nameResolutionDelayKey{}) != nil,
	})
	as.ctx = context.WithValue(ctx, attemptStatsKey{}, as)
	// As in grpc-go, what TagRPC put in the outgoing metadata (a trace
	// context, say) goes out with the attempt.
	as.md, _ = metadata.FromOutgoingContext(ctx)
	hs.handleRPC(as.ctx, &stats.Begin{
		Client:                    true,
		BeginTime:                 as.begin,
		FailFast:                  cs.ci.failFast,
		IsClientStream:            cs.desc.ClientStreams,
		IsServerStream:            cs.desc.ServerStreams,
		IsTransparentRetryAttempt: transparent,
	})
	return as
}

// attemptCtx is the context to pick and open the stream of attempt a with.
func (cs *clientStream) attemptCtx(a *csAttempt) context.Context {
	if a.stats != nil {
		return a.stats.ctx
	}
	return cs.parent
}

// notePickBlocked is called by a pick about to wait for a new picker.
func notePickBlocked(ctx context.Context) {
	if as, ok := ctx.Value(attemptStatsKey{}).(*attemptStats); ok {
		as.pickBlocked = true
	}
}

// picked reports DelayedPickComplete if the pick of the attempt had to
// wait.
func (as *attemptStats) picked() {
	if as.pickBlocked {
		as.pickBlocked = false
		as.hs.handleRPC(as.ctx, &stats.DelayedPickComplete{})
	}
}

// streamStarted reports the OutHeader of an attempt whose stream t opened
// with hdr; pickMD is the metadata the picker added. Like grpc-go, the
// reported header is the attempt's outgoing metadata with the picker's and
// the user-agent, without per-RPC credentials or
// grpc-previous-rpc-attempts.
func (cs *clientStream) streamStarted(as *attemptStats, t *transport.ClientTransport, hdr *transport.CallHdr, pickMD metadata.MD) {
	h := metadata.Join(as.md, pickMD)
	h.Set("user-agent", t.UserAgent())
	as.hs.handleRPC(as.ctx, &stats.OutHeader{
		Client:      true,
		Compression: hdr.SendCompress,
		Header:      h,
		Authority:   cs.cc.authority, // as grpc-go: the channel's
		FullMethod:  cs.method,
		RemoteAddr:  t.RemoteAddr(),
		LocalAddr:   t.LocalAddr(),
	})
}

// sent reports the OutPayload of message m: rawLen bytes encoded, n bytes
// after compression.
func (as *attemptStats) sent(m any, rawLen, n int) {
	as.hs.handleRPC(as.ctx, &stats.OutPayload{
		Client:           true,
		Payload:          m,
		Length:           rawLen,
		CompressedLength: n,
		WireLength:       n + headerLen,
		SentTime:         time.Now(),
	})
}

// replayed reports the OutPayload of a message sent again on a new
// attempt.
func (as *attemptStats) replayed(p *stats.OutPayload) {
	if p == nil {
		return
	}
	c := *p
	c.SentTime = time.Now()
	as.hs.handleRPC(as.ctx, &c)
}

// headerSeen reports the InHeader of the attempt once its response headers
// arrived (not for a trailers-only response).
func (as *attemptStats) headerSeen(s *transport.ClientStream) {
	if as.inHeader.Load() {
		return
	}
	md, wire, ok := s.ReceivedHeader()
	if !ok || !as.inHeader.CompareAndSwap(false, true) {
		return
	}
	as.hs.handleRPC(as.ctx, &stats.InHeader{
		Client:      true,
		WireLength:  wire,
		Compression: s.RecvCompress(),
		Header:      md.Copy(),
	})
}

// trailerSeen reports the InTrailer of the attempt once its stream ended
// with trailers.
func (as *attemptStats) trailerSeen(s *transport.ClientStream) {
	if as.inTrailer.Load() {
		return
	}
	wire, ok := s.ReceivedTrailer()
	if !ok || !as.inTrailer.CompareAndSwap(false, true) {
		return
	}
	tr := s.Trailer()
	if tr == nil {
		tr = metadata.MD{}
	}
	as.hs.handleRPC(as.ctx, &stats.InTrailer{
		Client:     true,
		WireLength: wire,
		Trailer:    tr,
	})
}

// received reports the InPayload of message m read through as.cr, whose
// decoded form is rawLen bytes long.
func (as *attemptStats) received(m any, rawLen int) {
	n := as.cr.n - headerLen
	as.hs.handleRPC(as.ctx, &stats.InPayload{
		Client:           true,
		Payload:          m,
		Length:           rawLen,
		CompressedLength: n,
		WireLength:       n + headerLen,
		RecvTime:         time.Now(),
	})
}

// end reports the End of attempt a (err nil = OK), after the InHeader and
// InTrailer that the RPC's reads did not get to report.
func (as *attemptStats) end(s *transport.ClientStream, err error) {
	var tr metadata.MD
	if s != nil {
		as.headerSeen(s)
		as.trailerSeen(s)
		tr = s.Trailer()
	}
	as.hs.handleRPC(as.ctx, &stats.End{
		Client:    true,
		BeginTime: as.begin,
		EndTime:   time.Now(),
		Trailer:   tr,
		Error:     err,
	})
}

// prepareSend prepares m for SendMsg. With stats handlers it also returns
// the size of the encoded message before compression.
func (cs *clientStream) prepareSend(m any) ([]byte, mem.BufferSlice, int, error) {
	if pm, ok := m.(*PreparedMsg); ok {
		return pm.framed(cs.ci.maxSendSize)
	}
	if !cs.statsOn() {
		hdr, data, err := prepareMsgTo(cs.hdrBuf[:], cs.ci.codec, cs.comp, m, cs.ci.maxSendSize)
		return hdr, data, 0, err
	}
	return prepareMsgStats(cs.hdrBuf[:], cs.ci.codec, cs.comp, m, cs.ci.maxSendSize)
}

// keepReplayStat gives the message bufferLocked just kept for replay the
// OutPayload to report when it is replayed.
func (cs *clientStream) keepReplayStat(m any, rawLen, n int) {
	if cs.committed || len(cs.retry.buffer) == 0 {
		return
	}
	cs.retry.buffer[len(cs.retry.buffer)-1].stat = &stats.OutPayload{
		Client:           true,
		Payload:          m,
		Length:           rawLen,
		CompressedLength: n,
		WireLength:       n + headerLen,
	}
}

// prepareMsgStats is prepareMsgTo that also returns the size of the
// encoded message before compression.
func prepareMsgStats(hdr []byte, codec encoding.CodecV2, comp encoding.Compressor, m any, maxSend int) ([]byte, mem.BufferSlice, int, error) {
	if comp == nil {
		h, data, err := prepareMsgTo(hdr, codec, nil, m, maxSend)
		return h, data, data.Len(), err
	}
	cc := &countingCompressor{Compressor: comp}
	h, data, err := prepareMsgTo(hdr, codec, cc, m, maxSend)
	return h, data, cc.n, err
}

// countingCompressor counts the bytes given to it for compression.
type countingCompressor struct {
	encoding.Compressor
	n int
}

func (c *countingCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
	wc, err := c.Compressor.Compress(w)
	if err != nil {
		return nil, err
	}
	return &countingWriter{WriteCloser: wc, n: &c.n}, nil
}

type countingWriter struct {
	io.WriteCloser
	n *int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	*w.n += len(p)
	return w.WriteCloser.Write(p)
}

// countingReader counts the bytes read from a stream: the message prefix
// and the message as sent.
type countingReader struct {
	r messageReader
	n int
}

func (c *countingReader) Read(n int) (mem.BufferSlice, error) {
	b, err := c.r.Read(n)
	c.n += b.Len()
	return b, err
}

// reset makes c count a new message read from r.
func (c *countingReader) reset(r messageReader) *countingReader {
	c.r, c.n = r, 0
	return c
}

// statsClientConn reports the ConnBegin of a client connection on conn and
// makes opts.OnClose report its ConnEnd. It returns what reports the
// ConnEnd should the transport not be created.
func statsClientConn(hs statsHandlers, conn net.Conn, opts *transport.ClientOptions) func() {
	ctx := hs.connBegin(context.Background(), &peer.Peer{Addr: conn.RemoteAddr(), LocalAddr: conn.LocalAddr()}, true)
	var once sync.Once
	end := func() { once.Do(func() { hs.connEnd(ctx, true) }) }
	onClose := opts.OnClose
	opts.OnClose = func(err error) {
		if onClose != nil {
			onClose(err)
		}
		end()
	}
	return end
}

// ---- server ----

// rpcStats is the stats state of one server RPC; nil without handlers.
type rpcStats struct {
	hs    statsHandlers
	ctx   context.Context // from TagRPC; every event of the RPC uses it
	begin time.Time

	outHeader  atomic.Bool
	outTrailer atomic.Bool

	cr countingReader // used by the receiving goroutine
}

// statsConnBegin reports the ConnBegin of a server connection and returns
// the context its streams derive from.
func (s *Server) statsConnBegin(st *transport.ServerTransport) context.Context {
	ctx := peer.NewContext(context.Background(), st.Peer())
	return s.opts.statsHandlers.connBegin(ctx, st.Peer(), false)
}

// statsRPCBegin tags a new server RPC and reports its InHeader.
func (s *Server) statsRPCBegin(stream *transport.ServerStream) *rpcStats {
	hs := s.opts.statsHandlers
	rs := &rpcStats{hs: hs}
	rs.ctx = hs.tagRPC(stream.Context(), &stats.RPCTagInfo{FullMethodName: stream.Method()})
	md, _ := metadata.FromIncomingContext(stream.Context())
	var remote, local net.Addr
	if p, ok := peer.FromContext(stream.Context()); ok {
		remote, local = p.Addr, p.LocalAddr
	}
	hs.handleRPC(rs.ctx, &stats.InHeader{
		WireLength:  stream.HeaderWireLength(),
		Compression: stream.RecvCompress(),
		Header:      md,
		FullMethod:  stream.Method(),
		RemoteAddr:  remote,
		LocalAddr:   local,
	})
	return rs
}

// started reports the Begin of the RPC, whose handler is about to run.
func (rs *rpcStats) started(sd *StreamDesc) {
	rs.begin = time.Now()
	rs.hs.handleRPC(rs.ctx, &stats.Begin{
		BeginTime:      rs.begin,
		IsClientStream: sd.ClientStreams,
		IsServerStream: sd.ServerStreams,
	})
}

// headerSent reports the OutHeader of the RPC once, when its response
// headers go out.
func (rs *rpcStats) headerSent(st *transport.ServerStream) {
	if !rs.outHeader.CompareAndSwap(false, true) {
		return
	}
	rs.hs.handleRPC(rs.ctx, &stats.OutHeader{
		Header:      st.HeaderMD(),
		Compression: st.SendCompress(),
	})
}

// sent reports the OutPayload of message m: rawLen bytes encoded, n bytes
// after compression.
func (rs *rpcStats) sent(m any, rawLen, n int) {
	rs.hs.handleRPC(rs.ctx, &stats.OutPayload{
		Payload:          m,
		Length:           rawLen,
		CompressedLength: n,
		WireLength:       n + headerLen,
		SentTime:         time.Now(),
	})
}

// received reports the InPayload of message m read through rs.cr, whose
// decoded form is rawLen bytes long.
func (rs *rpcStats) received(m any, rawLen int) {
	n := rs.cr.n - headerLen
	rs.hs.handleRPC(rs.ctx, &stats.InPayload{
		Payload:          m,
		Length:           rawLen,
		CompressedLength: n,
		WireLength:       n + headerLen,
		RecvTime:         time.Now(),
	})
}

// end reports the End of the RPC; *err is its status error (nil: OK).
func (rs *rpcStats) end(err *error) {
	rs.hs.handleRPC(rs.ctx, &stats.End{BeginTime: rs.begin, EndTime: time.Now(), Error: *err})
}

// sentIfOK reports the OutPayload of message m if *err (the result of
// sending it) is nil.
func (rs *rpcStats) sentIfOK(err *error, m any, rawLen, n int) {
	if *err == nil {
		rs.sent(m, rawLen, n)
	}
}

// prepareSend prepares m for sendMsg. With stats handlers it also returns
// the size of the encoded message before compression.
func (ss *serverStream) prepareSend(m any) ([]byte, mem.BufferSlice, int, error) {
	if pm, ok := m.(*PreparedMsg); ok {
		return pm.framed(ss.maxSend)
	}
	if ss.ts.stats == nil {
		hdr, data, err := prepareMsgTo(ss.hdrBuf[:], ss.codec, ss.comp, m, ss.maxSend)
		return hdr, data, 0, err
	}
	return prepareMsgStats(ss.hdrBuf[:], ss.codec, ss.comp, m, ss.maxSend)
}

// recvAndDecode reads the next request message into m, reporting its
// InPayload with stats handlers.
func (ss *serverStream) recvAndDecode(rc string, m any) error {
	rs := ss.ts.stats
	if rs == nil {
		return recvAndDecodeWithDecompressor(ss.st, ss.codec, rc, ss.maxRecv, ss.dc, m)
	}
	data, err := recvMsgWithDecompressor(rs.cr.reset(ss.st), rc, ss.maxRecv, ss.dc)
	if err != nil {
		return err
	}
	defer data.Free()
	if err := ss.codec.Unmarshal(data, m); err != nil {
		return status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", err)
	}
	rs.received(m, data.Len())
	return nil
}

// statusWritten reports the OutTrailer of the RPC after its first
// WriteStatus, if that succeeded.
func (rs *rpcStats) statusWritten(st *transport.ServerStream, err error) {
	if !rs.outTrailer.CompareAndSwap(false, true) || err != nil {
		return
	}
	rs.hs.handleRPC(rs.ctx, &stats.OutTrailer{Trailer: st.TrailerMD()})
}

// sendHeaderStats is SendHeader with stats handlers: the OutHeader follows
// the headers, so that it includes md.
func (ts *serverTransportStream) sendHeaderStats(md metadata.MD) error {
	ts.mu.Lock()
	first := !ts.headerSent
	ts.headerSent = true
	ts.mu.Unlock()
	err := ts.ServerStream.SendHeader(md)
	if first && err == nil {
		ts.stats.headerSent(ts.ServerStream)
	}
	return err
}
