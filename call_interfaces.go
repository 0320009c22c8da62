package grpc

import "context"

// ClientConnInterface is the part of *ClientConn that generated client stubs
// call. Code other than generated stubs should not need it.
type ClientConnInterface interface {
	// Invoke runs a unary RPC and returns once the response has been decoded
	// into reply, or with the RPC's error.
	Invoke(ctx context.Context, method string, args any, reply any, opts ...CallOption) error
	// NewStream opens a streaming RPC described by desc.
	NewStream(ctx context.Context, desc *StreamDesc, method string, opts ...CallOption) (ClientStream, error)
}
