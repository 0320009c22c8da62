package ecosystem

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The test service, written by hand: ecosystem.Echo with a unary method
// and a bidirectional streaming one, both on wrapperspb.StringValue.
const (
	echoService    = "ecosystem.Echo"
	echoMethod     = "/ecosystem.Echo/Echo"
	echoBidiMethod = "/ecosystem.Echo/Chat"
)

// echoServer is what the test service calls; each test supplies its own.
type echoServer interface {
	Echo(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	Chat(grpc.BidiStreamingServer[wrapperspb.StringValue, wrapperspb.StringValue]) error
}

var echoDesc = grpc.ServiceDesc{
	ServiceName: echoService,
	HandlerType: (*echoServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, req any) (any, error) {
				return srv.(echoServer).Echo(ctx, req.(*wrapperspb.StringValue))
			}
			if interceptor == nil {
				return handler(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: echoMethod}, handler)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Chat",
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			return srv.(echoServer).Chat(&grpc.GenericServerStream[wrapperspb.StringValue, wrapperspb.StringValue]{ServerStream: stream})
		},
	}},
}

// echo is an echoServer whose unary method runs fn (or echoes).
type echo struct {
	fn func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

func (e echo) Echo(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	if e.fn != nil {
		return e.fn(ctx, in)
	}
	return wrapperspb.String(in.GetValue()), nil
}

func (echo) Chat(s grpc.BidiStreamingServer[wrapperspb.StringValue, wrapperspb.StringValue]) error {
	for {
		in, err := s.Recv()
		if err != nil {
			return nil // io.EOF: the client is done
		}
		if err := s.Send(wrapperspb.String(in.GetValue())); err != nil {
			return err
		}
	}
}

// start serves srv on a new local port with sopts and returns a client for
// it built with dopts, and a function stopping both.
func start(t *testing.T, srv echoServer, sopts []grpc.ServerOption, dopts ...grpc.DialOption) (*grpc.ClientConn, func()) {
	t.Helper()
	s := grpc.NewServer(sopts...)
	s.RegisterService(&echoDesc, srv)
	return serveOn(t, s, dopts...)
}

// serveOn serves s on a new local port and returns a client for it built
// with dopts, and a function stopping both. It may be called more than
// once.
func serveOn(t *testing.T, s *grpc.Server, dopts ...grpc.DialOption) (*grpc.ClientConn, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(lis)
	dopts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dopts...)
	cc, err := grpc.NewClient(lis.Addr().String(), dopts...)
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	var once sync.Once
	return cc, func() {
		once.Do(func() {
			cc.Close()
			s.Stop()
		})
	}
}

func callEcho(ctx context.Context, cc *grpc.ClientConn, v string, opts ...grpc.CallOption) (string, error) {
	out := new(wrapperspb.StringValue)
	err := cc.Invoke(ctx, echoMethod, wrapperspb.String(v), out, opts...)
	return out.GetValue(), err
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
