package grpc

import "context"

// UnaryInvoker sends a unary RPC; a UnaryClientInterceptor calls it to
// continue the call.
type UnaryInvoker func(ctx context.Context, method string, req, reply any, cc *ClientConn, opts ...CallOption) error

// UnaryClientInterceptor wraps a unary RPC on the client. It must call
// invoker to actually perform the RPC; opts contains the ClientConn defaults
// followed by the per-call options.
type UnaryClientInterceptor func(ctx context.Context, method string, req, reply any, cc *ClientConn, invoker UnaryInvoker, opts ...CallOption) error

// Streamer opens a ClientStream; a StreamClientInterceptor calls it to
// continue stream creation.
type Streamer func(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, opts ...CallOption) (ClientStream, error)

// StreamClientInterceptor wraps the creation of a client stream. It may return
// its own ClientStream that wraps the one obtained from streamer.
type StreamClientInterceptor func(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, streamer Streamer, opts ...CallOption) (ClientStream, error)

// UnaryServerInfo describes the unary RPC a UnaryServerInterceptor is
// handling.
type UnaryServerInfo struct {
	// Server is the registered service implementation; treat it as read-only.
	Server any
	// FullMethod is "/package.Service/Method".
	FullMethod string
}

// UnaryHandler runs the rest of a unary RPC (later interceptors and the
// service method). An error that is neither a status error nor a context
// error is reported to the client as codes.Unknown with err.Error().
type UnaryHandler func(ctx context.Context, req any) (any, error)

// UnaryServerInterceptor wraps a unary RPC on the server. It must call handler
// to run the service method.
type UnaryServerInterceptor func(ctx context.Context, req any, info *UnaryServerInfo, handler UnaryHandler) (resp any, err error)

// StreamServerInfo describes the streaming RPC a StreamServerInterceptor is
// handling.
type StreamServerInfo struct {
	// FullMethod is "/package.Service/Method".
	FullMethod string
	// IsClientStream reports whether the client sends a stream of messages.
	IsClientStream bool
	// IsServerStream reports whether the server sends a stream of messages.
	IsServerStream bool
}

// StreamServerInterceptor wraps a streaming RPC on the server. It must call
// handler to run the service method.
type StreamServerInterceptor func(srv any, ss ServerStream, info *StreamServerInfo, handler StreamHandler) error

// chainUnaryServerInterceptors folds first (from UnaryInterceptor) and rest
// (from ChainUnaryInterceptor) into one interceptor; first runs outermost,
// then rest in order. It returns nil when there are none.
func chainUnaryServerInterceptors(first UnaryServerInterceptor, rest []UnaryServerInterceptor) UnaryServerInterceptor {
	return chainInterceptors(first, first != nil, rest, func(all []UnaryServerInterceptor) UnaryServerInterceptor {
		return func(ctx context.Context, req any, info *UnaryServerInfo, handler UnaryHandler) (any, error) {
			return all[0](ctx, req, info, unaryChainStep(all, 1, info, handler))
		}
	})
}

// chainInterceptors is what every interceptor chain shares: single (when
// set) runs outermost, then chained in order; none gives the zero value
// (nil), one is used as is, and more are folded into one by link.
func chainInterceptors[T any](single T, singleSet bool, chained []T, link func(all []T) T) T {
	all := chained
	if singleSet {
		all = append([]T{single}, chained...)
	}
	switch len(all) {
	case 0:
		var none T
		return none
	case 1:
		return all[0]
	}
	return link(all)
}

// unaryChainStep returns the handler that runs all[i:] and then final.
func unaryChainStep(all []UnaryServerInterceptor, i int, info *UnaryServerInfo, final UnaryHandler) UnaryHandler {
	if i == len(all) {
		return final
	}
	return func(ctx context.Context, req any) (any, error) {
		return all[i](ctx, req, info, unaryChainStep(all, i+1, info, final))
	}
}

// chainStreamServerInterceptors is chainUnaryServerInterceptors for stream
// interceptors.
func chainStreamServerInterceptors(first StreamServerInterceptor, rest []StreamServerInterceptor) StreamServerInterceptor {
	return chainInterceptors(first, first != nil, rest, func(all []StreamServerInterceptor) StreamServerInterceptor {
		return func(srv any, ss ServerStream, info *StreamServerInfo, handler StreamHandler) error {
			return all[0](srv, ss, info, streamChainStep(all, 1, info, handler))
		}
	})
}

// streamChainStep returns the handler that runs all[i:] and then final.
func streamChainStep(all []StreamServerInterceptor, i int, info *StreamServerInfo, final StreamHandler) StreamHandler {
	if i == len(all) {
		return final
	}
	return func(srv any, ss ServerStream) error {
		return all[i](srv, ss, info, streamChainStep(all, i+1, info, final))
	}
}
