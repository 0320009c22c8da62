package grpc

import (
	"context"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// These helpers drive the server through internal/transport directly, so the
// server tests do not depend on the client half of this package.

// echoService is the interface the test ServiceDesc names as HandlerType.
type echoService interface {
	Echo(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	Bidi(BidiStreamingServer[wrapperspb.StringValue, wrapperspb.StringValue]) error
}

// echoServer implements echoService; the hooks let each test decide what
// the handlers do.
type echoServer struct {
	echo func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	bidi func(BidiStreamingServer[wrapperspb.StringValue, wrapperspb.StringValue]) error
}

func (s *echoServer) Echo(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	if s.echo != nil {
		return s.echo(ctx, in)
	}
	return in, nil
}

func (s *echoServer) Bidi(stream BidiStreamingServer[wrapperspb.StringValue, wrapperspb.StringValue]) error {
	if s.bidi != nil {
		return s.bidi(stream)
	}
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(in); err != nil {
			return err
		}
	}
}

// echoDesc is written the way protoc-gen-go-grpc v1.6 writes descriptors.
var echoDesc = ServiceDesc{
	ServiceName: "grpc.test.Echo",
	HandlerType: (*echoService)(nil),
	Methods: []MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			if interceptor == nil {
				return srv.(echoService).Echo(ctx, in)
			}
			info := &UnaryServerInfo{Server: srv, FullMethod: "/grpc.test.Echo/Echo"}
			handler := func(ctx context.Context, req any) (any, error) {
				return srv.(echoService).Echo(ctx, req.(*wrapperspb.StringValue))
			}
			return interceptor(ctx, in, info, handler)
		},
	}},
	Streams: []StreamDesc{{
		StreamName: "Bidi",
		Handler: func(srv any, stream ServerStream) error {
			return srv.(echoService).Bidi(&GenericServerStream[wrapperspb.StringValue, wrapperspb.StringValue]{ServerStream: stream})
		},
		ServerStreams: true,
		ClientStreams: true,
	}},
	Metadata: "echo.proto",
}

// echoTestServer is a running Server plus what is needed to stop it cleanly.
type echoTestServer struct {
	*Server
	addr     string
	serveErr chan error
}

func startEchoServer(t *testing.T, impl *echoServer, opts ...ServerOption) *echoTestServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(opts...)
	if impl != nil {
		s.RegisterService(&echoDesc, impl)
	}
	ts := &echoTestServer{Server: s, addr: lis.Addr().String(), serveErr: make(chan error, 1)}
	go func() { ts.serveErr <- s.Serve(lis) }()
	return ts
}

// stop stops the server and checks that Serve returned nil.
func (ts *echoTestServer) stop(t *testing.T) {
	t.Helper()
	ts.Stop()
	if err := <-ts.serveErr; err != nil {
		t.Errorf("Serve returned %v after Stop, want nil", err)
	}
}

// dialRawTransport opens a client transport to the server. onGoAway may be nil.
func dialRawTransport(t *testing.T, addr string, onGoAway func()) *transport.ClientTransport {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := transport.NewClientTransport(conn, transport.ClientOptions{Authority: addr, OnGoAway: onGoAway})
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// rpcResult is what a client learns from one RPC.
type rpcResult struct {
	replies      []string
	header       metadata.MD
	trailer      metadata.MD
	encoding     string
	trailersOnly bool
	err          error // the final status as an error (nil for OK)
}

// callOpts tweaks how rawInvoke sends its requests.
type callOpts struct {
	md       metadata.MD
	compress string              // grpc-encoding for requests (messages compressed when set)
	accept   string              // grpc-accept-encoding
	rawMsgs  [][]byte            // already framed messages sent instead of the requests
	comp     encoding.Compressor // overrides the registry lookup of compress
	dc       Decompressor        // legacy decompressor for the responses
}

// rawInvoke sends reqs (half-closing afterwards) and reads every reply and the
// final status.
func rawInvoke(ctx context.Context, ct *transport.ClientTransport, method string, reqs []string, o callOpts) rpcResult {
	cs, err := ct.NewStream(ctx, &transport.CallHdr{Method: method, Metadata: o.md, SendCompress: o.compress, AcceptCompress: o.accept})
	if err != nil {
		return rpcResult{err: err}
	}
	defer cs.Close(nil)
	codec, _ := getCodec("")
	var comp encoding.Compressor
	if o.compress != "" {
		comp = encoding.GetCompressor(o.compress)
	}
	if o.comp != nil {
		comp = o.comp
	}
	for _, r := range reqs {
		hdr, data, err := prepareMsg(codec, comp, wrapperspb.String(r), 1<<30)
		if err != nil {
			return rpcResult{err: err}
		}
		err = cs.Write(hdr, data, false)
		data.Free()
		if err != nil {
			break // the status explains why
		}
	}
	for _, m := range o.rawMsgs {
		if cs.Write(m, nil, false) != nil {
			break
		}
	}
	cs.CloseSend()
	var res rpcResult
	res.header, _ = cs.Header()
	res.encoding = cs.RecvCompress()
	res.trailersOnly = cs.TrailersOnly()
	for {
		var reply wrapperspb.StringValue
		err := recvAndDecodeWithDecompressor(cs, codec, cs.RecvCompress(), 1<<30, o.dc, &reply)
		if err == io.EOF {
			break
		}
		if err != nil {
			select {
			case <-cs.Done(): // a failed stream: its status says more
			default:
				res.err = err
				return res
			}
			break
		}
		res.replies = append(res.replies, reply.GetValue())
	}
	<-cs.Done()
	res.trailer = cs.Trailer()
	res.err = cs.Status().Err()
	return res
}
