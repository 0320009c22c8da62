package transport

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/net/http2"
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
	held           atomic.Bool // WriteLast left frames in the write buffer

	mu           sync.Mutex // header/trailer state
	sendCompress string
	header       metadata.MD
	trailer      metadata.MD
	headerSent   bool
	statusSent   bool

	// http is set on a stream that net/http received (ServeHTTP): its
	// writes go to an http.ResponseWriter instead of the transport
	// (handler_stream.go).
	http *handlerIO
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

// ReadFull reads exactly len(p) bytes of request data into p, with the
// results of Read.
func (s *ServerStream) ReadFull(p []byte) error { return s.readFull(p) }

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

// headerFieldsLocked builds the response HEADERS and marks them sent.
// Caller holds s.mu.
// The fields are appended to hf (stack room from the caller).
func (s *ServerStream) headerFieldsLocked(hf []hpack.HeaderField) []hpack.HeaderField {
	s.headerSent = true
	hf = append(hf,
		hpack.HeaderField{Name: ":status", Value: "200"},
		hpack.HeaderField{Name: "content-type", Value: grpcutil.ContentType(s.contentSubtype)},
	)
	if s.sendCompress != "" && s.sendCompress != "identity" {
		hf = append(hf, hpack.HeaderField{Name: "grpc-encoding", Value: s.sendCompress})
	}
	return appendMD(hf, s.header)
}

func (s *ServerStream) isFinished() bool {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return s.finished
}

// ErrHeaderListSizeLimitViolation is returned when response headers or
// trailers exceed the client's SETTINGS_MAX_HEADER_LIST_SIZE; the stream is
// reset with INTERNAL_ERROR.
var ErrHeaderListSizeLimitViolation = status.Error(codes.Internal, "transport: trying to send header list size larger than the limit set by peer")

// checkHeaderSize resets the stream if hf is too big for the client.
func (s *ServerStream) checkHeaderSize(hf []hpack.HeaderField) error {
	if _, bad := s.c.headerListTooBig(hf); bad {
		s.st.finish(s, ErrHeaderListSizeLimitViolation, true, true, http2.ErrCodeInternal)
		return ErrHeaderListSizeLimitViolation
	}
	return nil
}

// writeHeaderLocked sends the response HEADERS. Caller holds s.mu.
func (s *ServerStream) writeHeaderLocked() error {
	if s.http != nil {
		return s.http.sendHeader(s)
	}
	var hfArr [8]hpack.HeaderField
	hf := s.headerFieldsLocked(hfArr[:0])
	if s.isFinished() {
		return s.doneErr()
	}
	if err := s.checkHeaderSize(hf); err != nil {
		return err
	}
	return s.write(hf, nil, nil, false, flushNow)
}

// Write sends hdr and data as DATA frames, sending the headers first if
// needed. It blocks for flow-control quota.
func (s *ServerStream) Write(hdr []byte, data mem.BufferSlice) error {
	return s.write2(hdr, data, flushNow)
}

// WriteStreaming is Write for a handler that sends many messages: when it
// sends back to back, the flush runs on a goroutine of the transport, so
// that the handler prepares its next message during the syscall and
// messages share one; a reply to a message just read flushes at once (see
// streamingMode).
func (s *ServerStream) WriteStreaming(hdr []byte, data mem.BufferSlice) error {
	return s.write2(hdr, data, s.streamingMode())
}

// WriteLast is Write for the last message of a response whose
// WriteStatus the caller makes at once: the frames may wait in the write
// buffer for the trailers, so a unary response costs one syscall.
func (s *ServerStream) WriteLast(hdr []byte, data mem.BufferSlice) error {
	return s.write2(hdr, data, flushHold)
}

func (s *ServerStream) write2(hdr []byte, data mem.BufferSlice, mode flushMode) error {
	if s.http != nil {
		return s.http.write(s, hdr, data, mode == flushHold)
	}
	if mode == flushHold {
		// Whatever happens next, WriteStatus owes a flush.
		s.held.Store(true)
	}
	s.mu.Lock()
	if s.statusSent {
		s.mu.Unlock()
		return errStreamDone
	}
	var err error
	if !s.headerSent {
		// Keep s.mu until the headers are out so a concurrent WriteStatus
		// cannot overtake them.
		var hfArr [8]hpack.HeaderField
		hf := s.headerFieldsLocked(hfArr[:0])
		if s.isFinished() {
			err = errStreamDone
		} else if err = s.checkHeaderSize(hf); err == nil {
			err = s.write(hf, hdr, data, false, mode)
		}
		s.mu.Unlock()
	} else {
		s.mu.Unlock()
		err = s.write(nil, hdr, data, false, mode)
	}
	if err == errStreamDone {
		return s.doneErr()
	}
	return err
}

// WriteStatus ends the stream with st: trailers (or a trailers-only
// response), END_STREAM, and RST_STREAM(NO_ERROR) if the client is still
// sending. Calls after the first are no-ops.
func (s *ServerStream) WriteStatus(st *status.Status) error {
	if s.http != nil {
		return s.http.writeStatus(s, st)
	}
	err := s.writeStatus(st)
	if s.held.Swap(false) {
		// The trailers were not written (and flushed): don't leave the
		// frames WriteLast held in the buffer.
		s.st.w.flush()
	}
	return err
}

func (s *ServerStream) writeStatus(st *status.Status) error {
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
	var hfArr [8]hpack.HeaderField
	hf := hfArr[:0]
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
	if err := s.checkHeaderSize(hf); err != nil {
		return err
	}

	// Unregister before the trailers leave, so a client that sees them may
	// reuse the MAX_CONCURRENT_STREAMS slot at once.
	ok, _ := t.unregister(s, errStreamDone, true, true)
	if !ok {
		return s.doneErr()
	}
	err := t.w.lock()
	if err == nil {
		s.held.Store(false) // the unlock below flushes, or a later writer does
		t.w.headers(s.id, hf, true)
		if !s.recvEnded.Load() {
			t.w.fail(t.w.fr.WriteRSTStream(s.id, http2.ErrCodeNo))
		}
		err = t.w.unlock()
	}
	err = t.writeFailed(err)
	if t.trailersWritten() {
		t.closeDrained()
	}
	return err
}

// String describes the stream for logs.
func (s *ServerStream) String() string {
	return "ServerStream{id: " + strconv.FormatUint(uint64(s.id), 10) + ", method: " + s.method + "}"
}
