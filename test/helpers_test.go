// Package test holds the end-to-end tests: a real Server and ClientConn over
// loopback TCP (or bufconn), exercising the public API only.
package test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// testTimeout bounds every test's RPCs so a bug fails a test instead of
// hanging the suite.
const testTimeout = 30 * time.Second

// testServer implements TestService. Each method can be replaced per test;
// the defaults are described on the proto.
type testServer struct {
	testpb.UnimplementedTestServiceServer

	unary func(context.Context, *testpb.Request) (*testpb.Response, error)
	bidi  func(testpb.TestService_FullDuplexServer) error
}

// echoMetadata mirrors the caller's "x-*" metadata: as headers under the same
// key and as trailers under "tr-" + key.
func echoMetadata(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	hdr, trl := metadata.MD{}, metadata.MD{}
	for k, v := range md {
		if strings.HasPrefix(k, "x-") {
			hdr[k] = v
			trl["tr-"+k] = v
		}
	}
	if len(hdr) == 0 {
		return nil
	}
	if err := grpc.SetHeader(ctx, hdr); err != nil {
		return err
	}
	return grpc.SetTrailer(ctx, trl)
}

// respond builds the response a request asks for, or its error.
func respond(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
	if req.GetWaitForCancel() {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if st := req.GetResponseStatus(); st != nil && st.GetCode() != 0 {
		return nil, status.Error(codes.Code(st.GetCode()), st.GetMessage())
	}
	body := req.GetPayload().GetBody()
	if n := req.GetResponseSize(); n > 0 {
		body = bytes.Repeat([]byte{'r'}, int(n))
	}
	return &testpb.Response{Payload: &testpb.Payload{Body: body}}, nil
}

func (s *testServer) Unary(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
	if s.unary != nil {
		return s.unary(ctx, req)
	}
	if err := echoMetadata(ctx); err != nil {
		return nil, err
	}
	return respond(ctx, req)
}

func (s *testServer) StreamingOutput(req *testpb.Request, stream testpb.TestService_StreamingOutputServer) error {
	if err := echoMetadata(stream.Context()); err != nil {
		return err
	}
	for i := int32(0); i < req.GetResponseCount(); i++ {
		resp, err := respond(stream.Context(), req)
		if err != nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
	if st := req.GetResponseStatus(); st != nil && st.GetCode() != 0 {
		return status.Error(codes.Code(st.GetCode()), st.GetMessage())
	}
	return nil
}

func (s *testServer) StreamingInput(stream testpb.TestService_StreamingInputServer) error {
	var n int32
	var size int64
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.Response{ReceivedBytes: size, ReceivedCount: n})
		}
		if err != nil {
			return err
		}
		n++
		size += int64(len(req.GetPayload().GetBody()))
	}
}

func (s *testServer) FullDuplex(stream testpb.TestService_FullDuplexServer) error {
	if s.bidi != nil {
		return s.bidi(stream)
	}
	if err := echoMetadata(stream.Context()); err != nil {
		return err
	}
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		resp, err := respond(stream.Context(), req)
		if err != nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// env is one server and one client connected to it.
type env struct {
	t      *testing.T
	srv    *grpc.Server
	lis    net.Listener
	addr   string
	cc     *grpc.ClientConn
	client testpb.TestServiceClient
	served chan struct{}
}

// startServer serves ts on a fresh loopback port.
func startServer(t *testing.T, ts *testServer, sopts ...grpc.ServerOption) (*grpc.Server, net.Listener, chan struct{}) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	return serveOn(t, lis, ts, sopts...)
}

func serveOn(t *testing.T, lis net.Listener, ts *testServer, sopts ...grpc.ServerOption) (*grpc.Server, net.Listener, chan struct{}) {
	t.Helper()
	if ts == nil {
		ts = &testServer{}
	}
	srv := grpc.NewServer(sopts...)
	testpb.RegisterTestServiceServer(srv, ts)
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(lis)
	}()
	return srv, lis, served
}

// newEnv starts a server for ts and a NewClient to it. Call stop (deferred)
// before the test ends so leakcheck sees everything torn down.
func newEnv(t *testing.T, ts *testServer, sopts []grpc.ServerOption, dopts ...grpc.DialOption) *env {
	t.Helper()
	srv, lis, served := startServer(t, ts, sopts...)
	e := &env{t: t, srv: srv, lis: lis, addr: lis.Addr().String(), served: served}
	dopts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dopts...)
	cc, err := grpc.NewClient(e.addr, dopts...)
	if err != nil {
		srv.Stop()
		t.Fatalf("grpc.NewClient(%q): %v", e.addr, err)
	}
	e.cc = cc
	e.client = testpb.NewTestServiceClient(cc)
	return e
}

func (e *env) stop() {
	e.cc.Close()
	e.srv.Stop()
	<-e.served
}

func testCtx(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(context.Background(), testTimeout)
}

func payload(n int) *testpb.Payload {
	return &testpb.Payload{Body: bytes.Repeat([]byte{'q'}, n)}
}

// wantCode fails the test unless err is a status error with code c.
func wantCode(t *testing.T, err error, c codes.Code) *status.Status {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != c {
		t.Fatalf("got error %v (status ok=%v), want code %v", err, ok, c)
	}
	return st
}

// waitForState waits until cc reaches want or the test times out.
func waitForState(ctx context.Context, t *testing.T, cc *grpc.ClientConn, want connectivity.State) {
	t.Helper()
	for {
		s := cc.GetState()
		if s == want {
			return
		}
		if !cc.WaitForStateChange(ctx, s) {
			t.Fatalf("timed out waiting for state %v; last state %v", want, s)
		}
	}
}
