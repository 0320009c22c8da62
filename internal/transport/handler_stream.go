package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// This file lets a ServerStream carry an RPC that net/http's HTTP/2 server
// received (grpc.Server.ServeHTTP). The stream is an ordinary ServerStream,
// so the grpc package runs it like any other; only its I/O differs: the
// request body feeds the receive buffer, and responses go through the
// http.ResponseWriter. Framing, flow control and HPACK are net/http's job.

// HandlerOptions configures NewHandlerStream.
type HandlerOptions struct {
	// ConnContext, when set, is applied to the request's context (which
	// already carries the peer) before the stream's context derives from
	// it. The server uses it to report the request as a connection to
	// stats handlers, as grpc-go does.
	ConnContext func(ctx context.Context, p *peer.Peer) context.Context
}

// handlerReadSize is the size of the buffers the request body is read
// into: a typical HTTP/2 DATA frame.
const handlerReadSize = 16 << 10

// handlerIO is the ResponseWriter side of a stream made by
// NewHandlerStream. Lock order: ServerStream.mu, then wmu.
type handlerIO struct {
	w    http.ResponseWriter
	f    http.Flusher
	r    *http.Request
	body io.ReadCloser  // r.Body, or http.NoBody when that is nil
	wg   sync.WaitGroup // the body reader

	wmu    sync.Mutex // serialises use of w, which is not concurrency-safe
	closed bool       // under wmu: EndHTTP ran; w must not be touched again
	werr   error      // under wmu: a write to w failed; the response is dead
}

// NewHandlerStream validates an HTTP request carrying a gRPC call and
// returns the ServerStream serving it through w. When the request is not
// acceptable it answers it with a plain HTTP error (the status codes and
// messages of grpc-go) and returns an error. The caller runs the stream
// like one from a ServerTransport, then must call EndHTTP before its
// handler returns.
func NewHandlerStream(w http.ResponseWriter, r *http.Request, opts HandlerOptions) (*ServerStream, error) {
	// The checks, their order and their answers are grpc-go's.
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, httpReject(w, "invalid gRPC request method "+strconv.Quote(r.Method), http.StatusMethodNotAllowed)
	}
	contentType := r.Header.Get("Content-Type")
	if _, ok := grpcutil.ContentSubtype(contentType); !ok {
		return nil, httpReject(w, "invalid gRPC request content-type "+strconv.Quote(contentType), http.StatusUnsupportedMediaType)
	}
	if r.ProtoMajor != 2 {
		return nil, httpReject(w, "gRPC requires HTTP/2", http.StatusHTTPVersionNotSupported)
	}
	f, ok := w.(http.Flusher)
	if !ok {
		return nil, httpReject(w, "gRPC requires a ResponseWriter supporting http.Flusher", http.StatusInternalServerError)
	}

	// Reuse the transport's header parsing, so that metadata, timeouts
	// and compression are read exactly as from our own HTTP/2 server.
	var req request
	parseRequest(requestFields(r), &req)
	if req.headerErr != nil {
		return nil, httpReject(w, req.headerErr.Message(), http.StatusBadRequest)
	}

	// The stream needs a transport for its bookkeeping (buffer pool,
	// finished flag, channelz); this one never touches a connection.
	t := &ServerTransport{}
	t.pool = mem.DefaultBufferPool()
	t.done = make(chan struct{})
	s := &ServerStream{
		st:             t,
		method:         req.path,
		contentSubtype: req.contentSubtype,
		recvCompress:   req.recvCompress,
		acceptCompress: req.acceptCompress,
		http:           &handlerIO{w: w, f: f, r: r, body: r.Body},
	}
	if s.http.body == nil {
		// Server requests always have a body; hand-made ones may not.
		s.http.body = http.NoBody
	}
	s.ss = s
	s.noWindow = true

	p := httpPeer(r)
	ctx := peer.NewContext(r.Context(), p)
	if opts.ConnContext != nil {
		ctx = opts.ConnContext(ctx, p)
	}
	if req.timeoutSet {
		ctx, s.cancel = context.WithTimeout(ctx, req.timeout)
	} else {
		ctx, s.cancel = context.WithCancel(ctx)
	}
	ctx = metadata.NewIncomingContext(ctx, req.md)
	s.init(&t.h2conn, ctx)

	s.http.wg.Add(1)
	go s.http.readBody(s)
	return s, nil
}

// httpReject answers a request with an HTTP error and returns it as an
// error for the caller.
func httpReject(w http.ResponseWriter, msg string, code int) error {
	http.Error(w, msg, code)
	return errors.New(msg)
}

// requestFields turns the request into the header fields our own HTTP/2
// server would have decoded, for parseRequest. net/http has already
// moved the pseudo-headers into the request's fields and canonicalised
// the header names.
func requestFields(r *http.Request) []hpack.HeaderField {
	hf := make([]hpack.HeaderField, 0, len(r.Header)+3)
	hf = append(hf,
		hpack.HeaderField{Name: ":method", Value: r.Method},
		hpack.HeaderField{Name: ":path", Value: r.URL.Path},
	)
	if r.Host != "" {
		hf = append(hf, hpack.HeaderField{Name: ":authority", Value: r.Host})
	}
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "connection" {
			// HTTP/2 forbids it and net/http rejects it; were it here,
			// parseRequest would flag a protocol error we cannot act on.
			continue
		}
		for _, v := range vs {
			hf = append(hf, hpack.HeaderField{Name: k, Value: v})
		}
	}
	return hf
}

// httpAddr is a peer address known only as net/http's RemoteAddr string
// ("ip:port" for TCP).
type httpAddr string

func (a httpAddr) Network() string {
	if a == "" {
		return ""
	}
	return "tcp"
}

func (a httpAddr) String() string { return string(a) }

// httpPeer describes the client of r.
func httpPeer(r *http.Request) *peer.Peer {
	p := &peer.Peer{Addr: httpAddr(r.RemoteAddr)}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		p.LocalAddr = la
	}
	if r.TLS != nil {
		p.AuthInfo = credentials.TLSInfo{
			State:          *r.TLS,
			CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity},
		}
	}
	return p
}

// readBody copies the request body into the stream's receive buffer
// until the body ends or fails.
func (h *handlerIO) readBody(s *ServerStream) {
	defer h.wg.Done()
	pool := s.c.pool
	for {
		buf := pool.Get(handlerReadSize)
		n, err := h.body.Read(*buf)
		if n > 0 {
			s.pushBody(buf, n)
		} else {
			pool.Put(buf)
		}
		if err == nil {
			continue
		}
		if err == io.EOF {
			s.recvEnded.Store(true)
			s.endRecv(io.EOF, false)
			return
		}
		if h.r.Context().Err() != nil {
			// The client went away (or reset the stream), which the
			// handler sees as a cancellation, as on our own transport.
			err = errStreamCanceled
		} else {
			err = status.Error(codes.Internal, "transport: reading the request body: "+err.Error())
		}
		// What arrived before the failure stays readable.
		s.endRecv(err, false)
		return
	}
}

// pushBody queues n bytes of body in the pooled buf, taking it over. No
// window is checked: net/http does flow control.
func (s *stream) pushBody(buf *[]byte, n int) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if s.rerr != nil {
		s.c.pool.Put(buf)
		return
	}
	s.chunks = append(s.chunks, chunk{buf: buf, end: n})
	s.buffered += n
	s.wakeReader()
}

// EndHTTP ends a stream made by NewHandlerStream once its RPC is over:
// the ResponseWriter is never used again, the stream's context is
// canceled and the request body is no longer read. It returns once the
// body reader has exited; the caller may then return from its handler,
// after which net/http sends what the stream left in the ResponseWriter
// (the trailers). It is a no-op on other streams.
func (s *ServerStream) EndHTTP() {
	h := s.http
	if h == nil {
		return
	}
	h.wmu.Lock()
	h.closed = true
	h.wmu.Unlock()
	t := s.st
	t.mu.Lock()
	first := !s.finished
	s.finished = true
	t.mu.Unlock()
	if !first {
		return
	}
	s.cancel()
	s.endRecv(errStreamDone, true)
	close(s.done)
	// Closing the body makes net/http fail a pending Read.
	h.body.Close()
	h.wg.Wait()
	close(t.done)
}

// setHeaders puts the response headers into the ResponseWriter's header
// map and marks them sent. Caller holds s.mu and h.wmu.
func (h *handlerIO) setHeaders(s *ServerStream) {
	hdr := h.w.Header()
	// No Date: our own transport sends none, and clients would see it as
	// header metadata (grpc-go suppresses it too).
	hdr["Date"] = nil
	var hfArr [8]hpack.HeaderField
	addFields(hdr, "", s.headerFieldsLocked(hfArr[:0]))
}

// addFields adds header fields (already encoded for the wire) to a header
// map, each name prefixed with prefix. Pseudo-headers are net/http's.
// Names are canonicalised by Add: net/http looks for Content-Type under
// that spelling, and lower-cases every name on the wire anyway.
func addFields(hdr http.Header, prefix string, hf []hpack.HeaderField) {
	for _, f := range hf {
		if !strings.HasPrefix(f.Name, ":") {
			hdr.Add(prefix+f.Name, f.Value)
		}
	}
}

// usable reports whether the ResponseWriter may still be written to, and
// the error to return if not. Caller holds h.wmu.
func (h *handlerIO) usable(s *ServerStream) error {
	if h.closed {
		return s.doneErr()
	}
	if h.werr != nil {
		return h.werr
	}
	return nil
}

// fail records a failed write to the ResponseWriter. Caller holds h.wmu.
func (h *handlerIO) fail(s *ServerStream, err error) error {
	if s.ctx.Err() != nil {
		h.werr = s.ctxErr()
	} else {
		h.werr = status.Error(codes.Unavailable, "transport: writing the response: "+err.Error())
	}
	return h.werr
}

// sendHeader sends the response headers at once. Caller holds s.mu.
func (h *handlerIO) sendHeader(s *ServerStream) error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if err := h.usable(s); err != nil {
		return err
	}
	h.setHeaders(s)
	h.w.WriteHeader(http.StatusOK)
	h.f.Flush()
	return nil
}

// write sends one message (hdr and data), headers first if not yet sent.
// With hold the flush is left to the end of the response, which follows
// at once (WriteLast).
func (h *handlerIO) write(s *ServerStream, hdr []byte, data mem.BufferSlice, hold bool) error {
	s.mu.Lock()
	if s.statusSent {
		s.mu.Unlock()
		return s.doneErr()
	}
	h.wmu.Lock()
	defer h.wmu.Unlock()
	err := h.usable(s)
	if err == nil && !s.headerSent {
		h.setHeaders(s)
	}
	// The ResponseWriter lock alone covers the rest: header and status
	// calls queue up behind it rather than behind a blocked write.
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if _, err := h.w.Write(hdr); err != nil {
		return h.fail(s, err)
	}
	for _, b := range data {
		if _, err := h.w.Write(b.ReadOnlyData()); err != nil {
			return h.fail(s, err)
		}
	}
	if !hold {
		h.f.Flush()
	}
	return nil
}

// writeStatus ends the response with st. The status goes into the header
// map, as trailers (http.TrailerPrefix) once headers were sent, or as a
// trailers-only response otherwise; net/http sends it when the handler
// returns, which the caller does right after the RPC ends.
func (h *handlerIO) writeStatus(s *ServerStream, st *status.Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statusSent {
		return nil
	}
	s.statusSent = true
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if err := h.usable(s); err != nil {
		return err
	}
	prefix := http.TrailerPrefix
	if !s.headerSent {
		h.setHeaders(s)
		prefix = ""
	}
	var hfArr [8]hpack.HeaderField
	hf := statusFields(hfArr[:0], st)
	hf = appendMD(hf, s.trailer)
	addFields(h.w.Header(), prefix, hf)
	return nil
}
