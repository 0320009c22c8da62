package transport

import (
	"io"
	"sync/atomic"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ClientStream is one RPC on a ClientTransport.
type ClientStream struct {
	stream
	ct *ClientTransport

	headerCh   chan struct{} // closed when headers arrived or the stream ended
	stopCancel func() bool   // guarded by ct.mu
	headerDone bool          // guarded by ct.mu
	st         *status.Status

	// Written by the reader before headerCh/done are closed.
	header       mdPairs
	trailer      mdPairs
	recvCompress string
	trailersOnly bool
	gotHeader    bool // reader only

	flush flushMode // for Write: flushAsync for client-streaming calls

	bytesReceived atomic.Bool
	unprocessed   atomic.Bool
	sentEnd       atomic.Bool
}

func (s *ClientStream) onCtxDone() {
	st := status.FromContextError(s.ctx.Err())
	s.ct.finish(s, st, st.Err(), true, true, http2.ErrCodeCancel)
	s.ct.turn.interrupt(&s.stream)
}

// Write sends hdr and data as DATA frames, setting END_STREAM when last is
// true. It blocks for flow-control quota. Once the stream has finished it
// returns io.EOF (the caller learns the outcome from Read/Status); if ctx is
// done while waiting it returns the context's status error. It does not take
// ownership of data.
func (s *ClientStream) Write(hdr []byte, data mem.BufferSlice, last bool) error {
	if s.sentEnd.Load() {
		return status.Error(codes.Internal, "transport: write after END_STREAM")
	}
	if last {
		s.sentEnd.Store(true)
	}
	mode := s.flush
	if mode == flushAsync {
		mode = s.streamingMode()
	}
	err := s.write(nil, hdr, data, last, mode)
	if err == errStreamDone {
		return io.EOF
	}
	return err
}

// CloseSend half-closes the stream (empty DATA with END_STREAM) unless
// END_STREAM was already sent.
func (s *ClientStream) CloseSend() error {
	if s.sentEnd.Swap(true) {
		return nil
	}
	s.ct.mu.Lock()
	done := s.finished
	s.ct.mu.Unlock()
	if done {
		return nil
	}
	err := s.write(nil, nil, nil, true, flushNow)
	if err == errStreamDone {
		return nil
	}
	return err
}

// Read returns exactly n bytes of response data. It returns io.EOF when the
// stream ended (trailers received) with no partial data pending,
// io.ErrUnexpectedEOF if it ended mid-read, and a status error if the stream
// failed (reset, connection lost, context done). After io.EOF, Status holds
// the RPC's status.
func (s *ClientStream) Read(n int) (mem.BufferSlice, error) {
	return s.read(n)
}

// ReadFull reads exactly len(p) bytes of response data into p, with the
// results of Read (io.EOF, io.ErrUnexpectedEOF, a status error).
func (s *ClientStream) ReadFull(p []byte) error { return s.readFull(p) }

// WaitHeader is Header without the copy of the metadata: it blocks until
// the response headers arrive or the stream ends, and returns the error
// Header would.
func (s *ClientStream) WaitHeader() error {
	if err := s.awaitHeader(); err != nil {
		return err
	}
	if s.header.ok() || s.trailersOnly {
		return nil
	}
	<-s.done
	if st := s.Status(); st != nil && st.Code() != codes.OK {
		return st.Err()
	}
	return nil
}

// Header blocks until the response headers arrive, or the stream ends.
func (s *ClientStream) Header() (metadata.MD, error) {
	if err := s.awaitHeader(); err != nil {
		return nil, err
	}
	if s.header.ok() {
		return s.header.md(), nil
	}
	if s.trailersOnly {
		return s.trailer.md(), nil
	}
	<-s.done // headerCh closed without headers: the stream is finishing
	if st := s.Status(); st != nil && st.Code() != codes.OK {
		return nil, st.Err()
	}
	return nil, nil
}

// awaitHeader blocks until headerCh is closed (headers arrived or the
// stream ended) or the stream's context is done.
func (s *ClientStream) awaitHeader() error {
	if isClosed(s.headerCh) {
		return nil
	}
	if s.c.beforeWait(&s.stream, s.headerCh, s.replyDue.Load()) {
		defer s.c.afterWait(s.headerCh)
	}
	select {
	case <-s.headerCh:
		return nil
	case <-s.ctx.Done():
		return s.ctxErr()
	}
}

// TrailersOnly reports whether the response was a single HEADERS frame
// carrying the status. Valid after Header returned.
func (s *ClientStream) TrailersOnly() bool {
	select {
	case <-s.headerCh:
		return s.trailersOnly
	default:
		return false
	}
}

// RecvCompress returns the grpc-encoding of the response. Valid after
// Header returned.
func (s *ClientStream) RecvCompress() string {
	select {
	case <-s.headerCh:
		return s.recvCompress
	default:
		return ""
	}
}

// Trailer returns the response trailers; valid once the stream is done.
func (s *ClientStream) Trailer() metadata.MD {
	select {
	case <-s.done:
		return s.trailer.md()
	default:
		return nil
	}
}

// Status returns the final status; nil until the stream is done.
func (s *ClientStream) Status() *status.Status {
	s.ct.mu.Lock()
	defer s.ct.mu.Unlock()
	return s.st
}

// Done is closed when the stream is finished.
func (s *ClientStream) Done() <-chan struct{} { return s.done }

// Close abandons the stream: if it is still open it is reset with
// RST_STREAM(CANCEL) and finishes with err's status (Canceled if err is
// nil). Idempotent.
func (s *ClientStream) Close(err error) {
	st := status.New(codes.Canceled, "transport: the stream was closed")
	if err != nil {
		st = status.Convert(err)
	}
	s.ct.finish(s, st, st.Err(), true, true, http2.ErrCodeCancel)
	s.ct.turn.interrupt(&s.stream)
}

// BytesReceived reports whether any HEADERS or DATA arrived for the stream.
func (s *ClientStream) BytesReceived() bool { return s.bytesReceived.Load() }

// Unprocessed reports whether the server said it never processed the
// stream (GOAWAY below its id, or REFUSED_STREAM).
func (s *ClientStream) Unprocessed() bool { return s.unprocessed.Load() }

// ID returns the HTTP/2 stream id.
func (s *ClientStream) ID() uint32 { return s.id }
