package transport

import (
	"context"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// This file holds what the stats handlers and the tap handle of the grpc
// package need from the transports: read-only accessors, and the optional
// hooks of ServerHooks.

// ServerHooks are optional per-stream hooks of a ServerTransport;
// ServerOptions embeds it.
type ServerHooks struct {
	// InTapHandle, if set, runs for every new stream before it is
	// created. Its error refuses the stream (see tap.ServerInHandle); the
	// context it returns becomes the stream's.
	InTapHandle tap.ServerInHandle
}

// tapStream runs the tap handle on the stream s (id) being created with
// the request r. It updates *ctx to the context the handle returned, or, if
// the handle refused the stream, answers the client with the handle's
// status, cancels s and returns false.
func (t *ServerTransport) tapStream(ctx *context.Context, s *ServerStream, id uint32, r *request, end bool) bool {
	c, err := t.opts.InTapHandle(*ctx, &tap.Info{FullMethodName: r.path, Header: r.md})
	if err == nil {
		*ctx = c
		return true
	}
	s.cancel()
	st, ok := status.FromError(err)
	if !ok {
		st = status.New(codes.PermissionDenied, err.Error())
	}
	t.earlyAbort(id, r.contentSubtype, st, 200, !end)
	return false
}

// wireLens are the sizes on the wire of a stream's header blocks: the
// length of their HEADERS frame, as grpc-go reports.
type wireLens struct {
	hdr, trl uint32
}

// UserAgent returns the user-agent the transport sends with every request.
func (t *ClientTransport) UserAgent() string { return t.opts.UserAgent }

// ReceivedHeader returns, without blocking, the response header metadata
// of the stream and the size of the header block on the wire (0 when not
// known). ok is false until response headers arrived, and for a
// trailers-only response.
func (s *ClientStream) ReceivedHeader() (md metadata.MD, wireLen int, ok bool) {
	select {
	case <-s.headerCh:
	default:
		return nil, 0, false
	}
	if !s.header.ok() || s.trailersOnly {
		return nil, 0, false
	}
	return s.header.md(), int(s.wire.hdr), true
}

// ReceivedTrailer reports, without blocking, whether the stream ended with
// trailers (or a trailers-only response) from the server, and their size on
// the wire (0 when not known).
func (s *ClientStream) ReceivedTrailer() (wireLen int, ok bool) {
	select {
	case <-s.done:
	default:
		return 0, false
	}
	s.rmu.Lock()
	ok = s.rerr == io.EOF
	s.rmu.Unlock()
	return int(s.wire.trl), ok
}

// HeaderWireLength returns the size on the wire of the request's header
// block (0 when not known).
func (s *ServerStream) HeaderWireLength() int { return int(s.wire.hdr) }

// HeaderMD returns a copy of the response header metadata set so far.
func (s *ServerStream) HeaderMD() metadata.MD {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header.Copy()
}

// TrailerMD returns a copy of the trailer metadata set so far.
func (s *ServerStream) TrailerMD() metadata.MD {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trailer.Copy()
}

// SendCompress returns the grpc-encoding of the response.
func (s *ServerStream) SendCompress() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendCompress
}
