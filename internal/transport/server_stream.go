package transport

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ServerStream is one RPC received by a ServerTransport.
type ServerStream struct {
	stream
	st             *ServerTransport
	cancel         context.CancelFunc
	method         string
	contentSubtype string
	recvCompress   string
	acceptCompress string
	recvEnded      atomic.Bool // the client half-closed

	mu           sync.Mutex // header/trailer state
	sendCompress string
	header       metadata.MD
	trailer      metadata.MD
	headerSent   bool
	statusSent   bool
}

// Method returns the :path of the request, e.g. "/pkg.Svc/Method".
func (s *ServerStream) Method() string { return s.method }

// Context returns the stream's context: it carries the incoming metadata,
// the peer and the deadline, and is canceled when the stream ends.
func (s *ServerStream) Context() context.Context { return s.ctx }

// ContentSubtype returns the request's content-subtype ("" for proto).
func (s *ServerStream) ContentSubtype() string { return s.contentSubtype }

// RecvCompress returns the grpc-encoding of the request.
func (s *ServerStream) RecvCompress() string { return s.recvCompress }

// AcceptCompress returns the grpc-accept-encoding of the request.
func (s *ServerStream) AcceptCompress() string { return s.acceptCompress }

// SetSendCompress sets the grpc-encoding of the response headers.
func (s *ServerStream) SetSendCompress(name string) {
	s.mu.Lock()
	s.sendCompress = name
	s.mu.Unlock()
}

// Read returns exactly n bytes of request data; io.EOF at the client's
// END_STREAM when no partial data is pending.
func (s *ServerStream) Read(n int) (mem.BufferSlice, error) { return s.read(n) }

// SetHeader merges md into the response headers to be sent.
func (s *ServerStream) SetHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headerSent || s.statusSent {
		return ErrIllegalHeaderWrite
	}
	s.header = joinMD(s.header, md)
	return nil
}

// SendHeader sends the response headers, including md.
func (s *ServerStream) SendHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headerSent || s.statusSent {
		return ErrIllegalHeaderWrite
	}
	s.header = joinMD(s.header, md)
	return s.writeHeaderLocked()
}

// SetTrailer merges md into the trailers sent by WriteStatus.
func (s *ServerStream) SetTrailer(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statusSent {
		return status.Error(codes.Internal, "transport: SetTrailer called after WriteStatus")
	}
	s.trailer = joinMD(s.trailer, md)
	return nil
}

func joinMD(dst, src metadata.MD) metadata.MD {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(metadata.MD, len(src))
	}
	for k, v := range src {
		dst[k] = append(dst[k], v...)
	}
	return dst
}

func (s *ServerStream) doneErr() error {
	if s.ctx.Err() != nil {
		return s.ctxErr()
	}
	return errStreamDone
}

// writeHeaderLocked sends the response HEADERS. Caller holds s.mu.
func (s *ServerStream) writeHeaderLocked() error {
	s.headerSent = true
	s.st.mu.Lock()
	done := s.finished
	s.st.mu.Unlock()
	if done {
		return s.doneErr()
	}
	hf := make([]hpack.HeaderField, 0, 3+len(s.header))
	hf = append(hf,
		hpack.HeaderField{Name: ":status", Value: "200"},
		hpack.HeaderField{Name: "content-type", Value: grpcutil.ContentType(s.contentSubtype)},
	)
	if s.sendCompress != "" && s.sendCompress != "identity" {
		hf = append(hf, hpack.HeaderField{Name: "grpc-encoding", Value: s.sendCompress})
	}
	hf = appendMD(hf, s.header)
	c := s.c
	if err := c.w.lock(); err != nil {
		return c.writeFailed(err)
	}
	c.w.headers(s.id, hf, false)
	return c.writeFailed(c.w.unlock())
}

// Write sends hdr and data as DATA frames, sending the headers first if
// needed. It blocks for flow-control quota.
func (s *ServerStream) Write(hdr []byte, data mem.BufferSlice) error {
	s.mu.Lock()
	if s.statusSent {
		s.mu.Unlock()
		return errStreamDone
	}
	if !s.headerSent {
		if err := s.writeHeaderLocked(); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	s.mu.Unlock()
	if err := s.write(hdr, data, false); err != nil {
		if err == errStreamDone {
			return s.doneErr()
		}
		return err
	}
	return nil
}

// WriteStatus ends the stream with st: trailers (or a trailers-only
// response), END_STREAM, and RST_STREAM(NO_ERROR) if the client is still
// sending. Calls after the first are no-ops.
func (s *ServerStream) WriteStatus(st *status.Status) error {
	s.mu.Lock()
	if s.statusSent {
		s.mu.Unlock()
		return nil
	}
	s.statusSent = true
	t := s.st
	t.mu.Lock()
	done := s.finished
	t.mu.Unlock()
	if done {
		s.mu.Unlock()
		return s.doneErr()
	}
	hf := make([]hpack.HeaderField, 0, 6+len(s.header)+len(s.trailer))
	if !s.headerSent {
		s.headerSent = true
		hf = append(hf,
			hpack.HeaderField{Name: ":status", Value: "200"},
			hpack.HeaderField{Name: "content-type", Value: grpcutil.ContentType(s.contentSubtype)},
		)
		hf = appendMD(hf, s.header)
	}
	hf = statusFields(hf, st)
	hf = appendMD(hf, s.trailer)
	s.mu.Unlock()

	if err := t.w.lock(); err != nil {
		t.finish(s, errStreamDone, true, false, 0)
		return t.writeFailed(err)
	}
	t.w.headers(s.id, hf, true)
	err := t.writeFailed(t.w.unlock())
	t.finish(s, errStreamDone, true, !s.recvEnded.Load(), 0)
	return err
}

// String describes the stream for logs.
func (s *ServerStream) String() string {
	return "ServerStream{id: " + strconv.FormatUint(uint64(s.id), 10) + ", method: " + s.method + "}"
}
