// Package stats defines the events gRPC reports to a stats Handler about
// connections and RPCs, for monitoring. Handlers must treat every field as
// read-only. The whole API is experimental.
package stats // import "google.golang.org/grpc/stats"

import (
	"context"
	"net"
	"time"

	"google.golang.org/grpc/metadata"
)

// RPCStats is an event in the life of an RPC. Only this package's types
// implement it.
type RPCStats interface {
	isRPCStats()
	// IsClient reports whether the event was recorded by a client.
	IsClient() bool
}

// Begin is the start of an RPC attempt. It is the first event of an attempt
// on the client; on the server it follows InHeader, because the request
// headers are read before the RPC starts.
//
// FailFast is meaningful on the client only.
type Begin struct {
	// Client is set when the event comes from a client.
	Client bool
	// BeginTime is when the attempt started.
	BeginTime time.Time
	// FailFast is true when the RPC does not wait for a ready connection.
	FailFast bool
	// IsClientStream is true when the client may send several messages.
	IsClientStream bool
	// IsServerStream is true when the server may send several messages.
	IsServerStream bool
	// IsTransparentRetryAttempt is true when gRPC started this attempt on
	// its own because the previous one never reached the server
	// application.
	IsTransparentRetryAttempt bool
}

// IsClient reports whether the event was recorded by a client.
func (s *Begin) IsClient() bool { return s.Client }

func (s *Begin) isRPCStats() {}

// DelayedPickComplete is reported on the client when an RPC that had to
// wait for the load balancer to give it a connection got one.
type DelayedPickComplete struct{}

// IsClient always returns true: this event exists on the client only.
func (*DelayedPickComplete) IsClient() bool { return true }

func (*DelayedPickComplete) isRPCStats() {}

// PickerUpdated is the former name of DelayedPickComplete.
//
// Deprecated: use DelayedPickComplete; this name will go away.
type PickerUpdated = DelayedPickComplete

// InPayload describes a message received.
type InPayload struct {
	// Client is set when the event comes from a client.
	Client bool
	// Payload is the decoded message. gRPC may change it once HandleRPC
	// returns; copy it to keep it.
	Payload any

	// Length is the size of the message once decompressed, without any
	// gRPC or HTTP/2 framing.
	Length int
	// CompressedLength is the size of the message as it was received,
	// without framing; it equals Length when the message was not
	// compressed.
	CompressedLength int
	// WireLength is CompressedLength plus the gRPC message prefix (HTTP/2
	// framing not counted).
	WireLength int

	// RecvTime is when the message was received.
	RecvTime time.Time
}

// IsClient reports whether the event was recorded by a client.
func (s *InPayload) IsClient() bool { return s.Client }

func (s *InPayload) isRPCStats() {}

// InHeader describes the headers received: the response headers on the
// client, the request headers on the server (where it is the first event of
// an RPC).
type InHeader struct {
	// Client is set when the event comes from a client.
	Client bool
	// WireLength is the size of the headers on the wire.
	WireLength int
	// Compression is the message encoding the peer announced.
	Compression string
	// Header holds the metadata received.
	Header metadata.MD

	// FullMethod, RemoteAddr and LocalAddr are set on the server only.

	// FullMethod is the method called, as "/package.service/method".
	FullMethod string
	// RemoteAddr is the address of the peer.
	RemoteAddr net.Addr
	// LocalAddr is the address of this end of the connection.
	LocalAddr net.Addr
}

// IsClient reports whether the event was recorded by a client.
func (s *InHeader) IsClient() bool { return s.Client }

func (s *InHeader) isRPCStats() {}

// InTrailer describes the trailers a client received.
type InTrailer struct {
	// Client is set when the event comes from a client.
	Client bool
	// WireLength is the size of the trailers on the wire.
	WireLength int
	// Trailer holds the trailer metadata received (client only).
	Trailer metadata.MD
}

// IsClient reports whether the event was recorded by a client.
func (s *InTrailer) IsClient() bool { return s.Client }

func (s *InTrailer) isRPCStats() {}

// OutPayload describes a message sent.
type OutPayload struct {
	// Client is set when the event comes from a client.
	Client bool
	// Payload is the message as given to gRPC. gRPC may change it once
	// HandleRPC returns; copy it to keep it.
	Payload any
	// Length is the size of the encoded message before compression,
	// without any gRPC or HTTP/2 framing.
	Length int
	// CompressedLength is the size of the message as sent, without
	// framing; it equals Length when the message was not compressed.
	CompressedLength int
	// WireLength is CompressedLength plus the gRPC message prefix (HTTP/2
	// framing not counted).
	WireLength int
	// SentTime is when the message was sent.
	SentTime time.Time
}

// IsClient reports whether the event was recorded by a client.
func (s *OutPayload) IsClient() bool { return s.Client }

func (s *OutPayload) isRPCStats() {}

// OutHeader describes the headers sent: the request headers on the client
// (always the first thing an attempt sends, so it follows Begin), the
// response headers on the server.
type OutHeader struct {
	// Client is set when the event comes from a client.
	Client bool
	// Compression is the message encoding announced to the peer.
	Compression string
	// Header holds the metadata sent.
	Header metadata.MD
	// Authority is the :authority of the request (client only).
	Authority string

	// FullMethod, RemoteAddr and LocalAddr are set on the client only.

	// FullMethod is the method called, as "/package.service/method".
	FullMethod string
	// RemoteAddr is the address of the peer.
	RemoteAddr net.Addr
	// LocalAddr is the address of this end of the connection.
	LocalAddr net.Addr
}

// IsClient reports whether the event was recorded by a client.
func (s *OutHeader) IsClient() bool { return s.Client }

func (s *OutHeader) isRPCStats() {}

// OutTrailer describes the trailers a server sent.
type OutTrailer struct {
	// Client is set when the event comes from a client.
	Client bool
	// WireLength is never set: the trailers are only HPACK-encoded after
	// the event is reported.
	//
	// Deprecated: always zero.
	WireLength int
	// Trailer holds the trailer metadata sent (server only).
	Trailer metadata.MD
}

// IsClient reports whether the event was recorded by a client.
func (s *OutTrailer) IsClient() bool { return s.Client }

func (s *OutTrailer) isRPCStats() {}

// End is the end of an RPC attempt.
type End struct {
	// Client is set when the event comes from a client.
	Client bool
	// BeginTime is when the attempt started.
	BeginTime time.Time
	// EndTime is when it ended.
	EndTime time.Time
	// Trailer holds the trailers the client received (client only). It
	// is kept for compatibility; prefer the Trailer of InTrailer.
	Trailer metadata.MD
	// Error is nil when the RPC succeeded, and otherwise an error carrying
	// its status (see status.FromError).
	Error error
}

// IsClient reports whether the event was recorded by a client.
func (s *End) IsClient() bool { return s.Client }

func (s *End) isRPCStats() {}

// ConnStats is an event in the life of a connection. Only this package's
// types implement it.
type ConnStats interface {
	isConnStats()
	// IsClient reports whether the event was recorded by a client.
	IsClient() bool
}

// ConnBegin is the establishment of a connection.
type ConnBegin struct {
	// Client is set when the event comes from a client.
	Client bool
}

// IsClient reports whether the event was recorded by a client.
func (s *ConnBegin) IsClient() bool { return s.Client }

func (s *ConnBegin) isConnStats() {}

// ConnEnd is the closing of a connection.
type ConnEnd struct {
	// Client is set when the event comes from a client.
	Client bool
}

// IsClient reports whether the event was recorded by a client.
func (s *ConnEnd) IsClient() bool { return s.Client }

func (s *ConnEnd) isConnStats() {}

const (
	tagsHeader  = "grpc-tags-bin"
	traceHeader = "grpc-trace-bin"
)

// SetTags returns a context whose outgoing RPCs carry b in the grpc-tags-bin
// header. A later call replaces the value of an earlier one.
//
// Deprecated: put the grpc-tags-bin header in the outgoing metadata.
func SetTags(ctx context.Context, b []byte) context.Context {
	return metadata.AppendToOutgoingContext(ctx, tagsHeader, string(b))
}

// Tags returns the grpc-tags-bin header of the incoming RPC of ctx.
//
// Deprecated: read the grpc-tags-bin header from the incoming metadata.
func Tags(ctx context.Context) []byte {
	return lastValue(ctx, tagsHeader)
}

// SetTrace returns a context whose outgoing RPCs carry b in the
// grpc-trace-bin header. A later call replaces the value of an earlier one.
//
// Deprecated: put the grpc-trace-bin header in the outgoing metadata.
func SetTrace(ctx context.Context, b []byte) context.Context {
	return metadata.AppendToOutgoingContext(ctx, traceHeader, string(b))
}

// Trace returns the grpc-trace-bin header of the incoming RPC of ctx.
//
// Deprecated: read the grpc-trace-bin header from the incoming metadata.
func Trace(ctx context.Context) []byte {
	return lastValue(ctx, traceHeader)
}

func lastValue(ctx context.Context, key string) []byte {
	vs := metadata.ValueFromIncomingContext(ctx, key)
	if len(vs) == 0 {
		return nil
	}
	return []byte(vs[len(vs)-1])
}
