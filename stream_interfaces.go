package grpc

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// StreamHandler is the server-side implementation of a streaming RPC (or,
// for UnknownServiceHandler, of any RPC).
type StreamHandler func(srv any, stream ServerStream) error

// StreamDesc describes a streaming method. StreamName and Handler are used
// only when registering a service; ServerStreams and ClientStreams also tell
// ClientConn.NewStream how the RPC behaves.
type StreamDesc struct {
	StreamName string        // method name without the service
	Handler    StreamHandler // server implementation of the method

	ServerStreams bool // the server may send many messages
	ClientStreams bool // the client may send many messages
}

// Stream is the minimal stream API shared by both sides.
//
// Deprecated: use ClientStream or ServerStream.
type Stream interface {
	// Context returns the stream's context.
	Context() context.Context
	// SendMsg sends one message.
	SendMsg(m any) error
	// RecvMsg receives one message into m.
	RecvMsg(m any) error
}

// ClientStream is the client side of a streaming RPC. Its errors are status
// errors. SendMsg and RecvMsg may each be used by one goroutine at a time,
// concurrently with each other.
type ClientStream interface {
	// Header blocks until the server's header metadata arrives (or the
	// stream fails).
	Header() (metadata.MD, error)
	// Trailer returns the trailer metadata; it is only complete once RecvMsg
	// has returned a non-nil error.
	Trailer() metadata.MD
	// CloseSend half-closes the stream: no more messages will be sent.
	CloseSend() error
	// Context returns the stream's context; use it only after Header or
	// RecvMsg has returned.
	Context() context.Context
	// SendMsg sends m. It returns io.EOF when the stream was ended by the
	// server; RecvMsg then reports the real status.
	SendMsg(m any) error
	// RecvMsg receives the next message into m; io.EOF means the RPC ended
	// with an OK status.
	RecvMsg(m any) error
}

// ServerStream is the server side of a streaming RPC.
type ServerStream interface {
	// SetHeader merges md into the header metadata sent with the first
	// response (or by SendHeader). It fails once headers were sent.
	SetHeader(metadata.MD) error
	// SendHeader sends the header metadata now, merged with any set by
	// SetHeader. It may be called at most once.
	SendHeader(metadata.MD) error
	// SetTrailer merges md into the trailer sent when the RPC ends.
	SetTrailer(metadata.MD)
	// Context returns the RPC's context.
	Context() context.Context
	// SendMsg sends m, sending the headers first if needed.
	SendMsg(m any) error
	// RecvMsg receives the next request into m; io.EOF means the client has
	// finished sending.
	RecvMsg(m any) error
}

// ServerStreamingClient is the client view of a server-streaming RPC.
type ServerStreamingClient[Res any] interface {
	// Recv returns the next response; io.EOF means the RPC ended with OK.
	Recv() (*Res, error)
	ClientStream
}

// ServerStreamingServer is the server view of a server-streaming RPC.
type ServerStreamingServer[Res any] interface {
	// Send sends one response.
	Send(*Res) error
	ServerStream
}

// ClientStreamingClient is the client view of a client-streaming RPC.
type ClientStreamingClient[Req any, Res any] interface {
	// Send sends one request.
	Send(*Req) error
	// CloseAndRecv half-closes the stream and waits for the single response.
	CloseAndRecv() (*Res, error)
	ClientStream
}

// ClientStreamingServer is the server view of a client-streaming RPC.
type ClientStreamingServer[Req any, Res any] interface {
	// Recv returns the next request; io.EOF means the client is done.
	Recv() (*Req, error)
	// SendAndClose sends the single response; the handler then returns nil.
	SendAndClose(*Res) error
	ServerStream
}

// BidiStreamingClient is the client view of a bidirectional-streaming RPC.
type BidiStreamingClient[Req any, Res any] interface {
	// Send sends one request.
	Send(*Req) error
	// Recv returns the next response; io.EOF means the RPC ended with OK.
	Recv() (*Res, error)
	ClientStream
}

// BidiStreamingServer is the server view of a bidirectional-streaming RPC.
type BidiStreamingServer[Req any, Res any] interface {
	// Recv returns the next request; io.EOF means the client is done.
	Recv() (*Req, error)
	// Send sends one response.
	Send(*Res) error
	ServerStream
}

// GenericClientStream adds typed Send/Recv methods to a ClientStream; it
// implements the three client-side streaming interfaces above.
type GenericClientStream[Req any, Res any] struct {
	ClientStream
}

var (
	_ ServerStreamingClient[string]      = (*GenericClientStream[int, string])(nil)
	_ ClientStreamingClient[int, string] = (*GenericClientStream[int, string])(nil)
	_ BidiStreamingClient[int, string]   = (*GenericClientStream[int, string])(nil)
)

// Send sends one request.
func (x *GenericClientStream[Req, Res]) Send(m *Req) error {
	return x.ClientStream.SendMsg(m)
}

// Recv receives the next response.
func (x *GenericClientStream[Req, Res]) Recv() (*Res, error) {
	m := new(Res)
	if err := x.ClientStream.RecvMsg(m); err != nil {
		return nil, err
	}
	return m, nil
}

// CloseAndRecv half-closes the stream and receives the single response.
func (x *GenericClientStream[Req, Res]) CloseAndRecv() (*Res, error) {
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x.Recv()
}

// GenericServerStream adds typed Send/Recv methods to a ServerStream; it
// implements the three server-side streaming interfaces above.
type GenericServerStream[Req any, Res any] struct {
	ServerStream
}

var (
	_ ServerStreamingServer[string]      = (*GenericServerStream[int, string])(nil)
	_ ClientStreamingServer[int, string] = (*GenericServerStream[int, string])(nil)
	_ BidiStreamingServer[int, string]   = (*GenericServerStream[int, string])(nil)
)

// Send sends one response.
func (x *GenericServerStream[Req, Res]) Send(m *Res) error {
	return x.ServerStream.SendMsg(m)
}

// SendAndClose sends the single response of a client-streaming RPC.
func (x *GenericServerStream[Req, Res]) SendAndClose(m *Res) error {
	return x.ServerStream.SendMsg(m)
}

// Recv receives the next request.
func (x *GenericServerStream[Req, Res]) Recv() (*Req, error) {
	m := new(Req)
	if err := x.ServerStream.RecvMsg(m); err != nil {
		return nil, err
	}
	return m, nil
}
