package grpc

import "context"

// unaryStreamDesc describes a unary RPC to the stream machinery.
var unaryStreamDesc = &StreamDesc{ServerStreams: false, ClientStreams: false}

// Invoke performs a unary RPC: it sends args to method and fills reply with
// the response. Generated stubs call it. Every error it returns carries a
// status (see the status package).
func (cc *ClientConn) Invoke(ctx context.Context, method string, args, reply any, opts ...CallOption) error {
	// Interceptors see the ClientConn's default options too.
	opts = combine(cc.dopts.callOptions, opts)
	if cc.dopts.unaryInt != nil {
		return cc.dopts.unaryInt(ctx, method, args, reply, cc, invoke, opts...)
	}
	return invoke(ctx, method, args, reply, cc, opts...)
}

// Invoke is cc.Invoke in function form.
//
// Deprecated: use ClientConn.Invoke.
func Invoke(ctx context.Context, method string, args, reply any, cc *ClientConn, opts ...CallOption) error {
	return cc.Invoke(ctx, method, args, reply, opts...)
}

// invoke is the UnaryInvoker at the end of the interceptor chain: a stream
// that sends one message (with END_STREAM) and receives one.
func invoke(ctx context.Context, method string, req, reply any, cc *ClientConn, opts ...CallOption) error {
	cs, err := newClientStream(ctx, unaryStreamDesc, cc, method, opts...)
	if err != nil {
		return err
	}
	if err := cs.SendMsg(req); err != nil {
		return err
	}
	return cs.RecvMsg(reply)
}
