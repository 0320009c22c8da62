package test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // registers "gzip"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func TestUnaryRPC(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	var p peer.Peer
	resp, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(10)}, grpc.Peer(&p))
	if err != nil {
		t.Fatalf("Unary: %v", err)
	}
	if !bytes.Equal(resp.GetPayload().GetBody(), payload(10).Body) {
		t.Fatalf("Unary echoed %q, want %q", resp.GetPayload().GetBody(), payload(10).Body)
	}
	if p.Addr == nil || p.Addr.String() != e.addr {
		t.Fatalf("Peer call option got addr %v, want %v", p.Addr, e.addr)
	}
	resp, err = e.client.Unary(ctx, &testpb.Request{ResponseSize: 1000})
	if err != nil || len(resp.GetPayload().GetBody()) != 1000 {
		t.Fatalf("Unary(ResponseSize 1000) = %d bytes, %v; want 1000 bytes", len(resp.GetPayload().GetBody()), err)
	}
}

func TestServerStreaming(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	stream, err := e.client.StreamingOutput(ctx, &testpb.Request{ResponseSize: 7, ResponseCount: 5})
	if err != nil {
		t.Fatalf("StreamingOutput: %v", err)
	}
	n := 0
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if len(resp.GetPayload().GetBody()) != 7 {
			t.Fatalf("response %d has %d bytes, want 7", n, len(resp.GetPayload().GetBody()))
		}
		n++
	}
	if n != 5 {
		t.Fatalf("got %d responses, want 5", n)
	}
	// After io.EOF the stream stays ended.
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv after EOF = %v, want io.EOF", err)
	}
}

func TestServerStreamingError(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	stream, err := e.client.StreamingOutput(ctx, &testpb.Request{
		ResponseCount:  2,
		ResponseStatus: &testpb.EchoStatus{Code: int32(codes.DataLoss), Message: "lost"},
	})
	if err != nil {
		t.Fatalf("StreamingOutput: %v", err)
	}
	// The server fails before sending: respond() returns the status.
	_, err = stream.Recv()
	st := wantCode(t, err, codes.DataLoss)
	if st.Message() != "lost" {
		t.Fatalf("message %q, want %q", st.Message(), "lost")
	}
}

func TestClientStreaming(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	stream, err := e.client.StreamingInput(ctx)
	if err != nil {
		t.Fatalf("StreamingInput: %v", err)
	}
	sizes := []int{1, 100, 0, 40000, 3}
	total := 0
	for _, n := range sizes {
		if err := stream.Send(&testpb.Request{Payload: payload(n)}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		total += n
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatalf("CloseAndRecv: %v", err)
	}
	if resp.GetReceivedCount() != int32(len(sizes)) || resp.GetReceivedBytes() != int64(total) {
		t.Fatalf("server saw %d messages / %d bytes, want %d / %d", resp.GetReceivedCount(), resp.GetReceivedBytes(), len(sizes), total)
	}
}

func TestBidiStreaming(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	stream, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatalf("FullDuplex: %v", err)
	}
	for i := 1; i <= 10; i++ {
		if err := stream.Send(&testpb.Request{ResponseSize: int32(i)}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if len(resp.GetPayload().GetBody()) != i {
			t.Fatalf("response %d has %d bytes", i, len(resp.GetPayload().GetBody()))
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv after CloseSend = %v, want io.EOF", err)
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	bin := string([]byte{0, 1, 2, 0xff, 'z'})
	ctx = metadata.NewOutgoingContext(ctx, metadata.Pairs("x-text", "hello", "x-text", "world", "x-data-bin", bin))
	ctx = metadata.AppendToOutgoingContext(ctx, "x-added", "more")

	check := func(what string, header, trailer metadata.MD) {
		t.Helper()
		if got := header.Get("x-text"); len(got) != 2 || got[0] != "hello" || got[1] != "world" {
			t.Errorf("%s: header x-text = %q", what, got)
		}
		if got := header.Get("x-data-bin"); len(got) != 1 || got[0] != bin {
			t.Errorf("%s: header x-data-bin = %q, want %q", what, got, bin)
		}
		if got := header.Get("x-added"); len(got) != 1 || got[0] != "more" {
			t.Errorf("%s: header x-added = %q", what, got)
		}
		if got := trailer.Get("tr-x-data-bin"); len(got) != 1 || got[0] != bin {
			t.Errorf("%s: trailer tr-x-data-bin = %q, want %q", what, got, bin)
		}
		if got := trailer.Get("tr-x-text"); len(got) != 2 {
			t.Errorf("%s: trailer tr-x-text = %q", what, got)
		}
	}

	var header, trailer metadata.MD
	if _, err := e.client.Unary(ctx, &testpb.Request{}, grpc.Header(&header), grpc.Trailer(&trailer)); err != nil {
		t.Fatalf("Unary: %v", err)
	}
	check("unary", header, trailer)

	// Headers that go out with the first response message.
	stream, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatalf("FullDuplex: %v", err)
	}
	if err := stream.Send(&testpb.Request{}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	h, err := stream.Header()
	if err != nil {
		t.Fatalf("Header: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv = %v, want io.EOF", err)
	}
	check("stream", h, stream.Trailer())

	// A handler that set headers but sent no message: grpc-go's server still
	// sends them in their own HEADERS frame before the trailers (not as a
	// trailers-only response), so Header() returns them.
	stream, err = e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatalf("FullDuplex: %v", err)
	}
	stream.CloseSend()
	if h, err = stream.Header(); err != nil {
		t.Fatalf("Header: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv = %v, want io.EOF", err)
	}
	check("stream without messages", h, stream.Trailer())
}

func TestStatusDetailsRoundTrip(t *testing.T) {
	defer leakcheck.Check(t)
	st, err := status.New(codes.FailedPrecondition, "not ready").WithDetails(&errdetails.ErrorInfo{Reason: "WARMING_UP", Domain: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{unary: func(context.Context, *testpb.Request) (*testpb.Response, error) {
		return nil, st.Err()
	}}
	e := newEnv(t, ts, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	_, err = e.client.Unary(ctx, &testpb.Request{})
	got := wantCode(t, err, codes.FailedPrecondition)
	if got.Message() != "not ready" {
		t.Fatalf("message %q, want %q", got.Message(), "not ready")
	}
	if !proto.Equal(got.Proto(), st.Proto()) {
		t.Fatalf("status proto %v, want %v", got.Proto(), st.Proto())
	}
	if d := got.Details(); len(d) != 1 || d[0].(*errdetails.ErrorInfo).GetReason() != "WARMING_UP" {
		t.Fatalf("details %v", d)
	}
}

func TestStatusMessageSpecialCharacters(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	for _, msg := range []string{"100% done\r\n", "utf-8: héllo 世界", "%41 stays literal", "tab\tand\x00nul", ""} {
		_, err := e.client.Unary(ctx, &testpb.Request{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Aborted), Message: msg}})
		if st := wantCode(t, err, codes.Aborted); st.Message() != msg {
			t.Errorf("message %q, want %q", st.Message(), msg)
		}
	}
}

func TestUnknownMethodAndService(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	for _, method := range []string{"/grpc.e2e.TestService/NoSuchMethod", "/no.such.Service/Unary"} {
		err := e.cc.Invoke(ctx, method, &testpb.Request{}, &testpb.Response{})
		wantCode(t, err, codes.Unimplemented)
	}
	// A streaming call to an unknown method reports it from RecvMsg.
	stream, err := e.cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, "/no.such.Service/Stream")
	if err != nil {
		t.Fatalf("NewStream: %v", err)
	}
	if err := stream.RecvMsg(&testpb.Response{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("RecvMsg = %v, want Unimplemented", err)
	}
}

func TestDeadlineReachesServer(t *testing.T) {
	defer leakcheck.Check(t)
	type seen struct {
		deadline time.Time
		ok       bool
		err      error
	}
	got := make(chan seen, 1)
	ts := &testServer{unary: func(ctx context.Context, _ *testpb.Request) (*testpb.Response, error) {
		dl, ok := ctx.Deadline()
		<-ctx.Done()
		got <- seen{dl, ok, ctx.Err()}
		return nil, status.FromContextError(ctx.Err()).Err()
	}}
	e := newEnv(t, ts, nil)
	defer e.stop()

	want := time.Now().Add(300 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), want)
	defer cancel()
	_, err := e.client.Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.DeadlineExceeded)

	select {
	case s := <-got:
		if !s.ok {
			t.Fatal("server handler saw no deadline")
		}
		// The server's deadline is the client's plus transit time (grpc-timeout
		// is relative), so it may only be later, and not by much.
		if d := s.deadline.Sub(want); d > time.Second || d < -10*time.Millisecond {
			t.Fatalf("server deadline %v differs from client deadline %v by %v", s.deadline, want, d)
		}
		if s.err == nil {
			t.Fatal("server context not done")
		}
	case <-time.After(testTimeout):
		t.Fatal("server handler never returned")
	}
}

func TestCancellationReachesServer(t *testing.T) {
	defer leakcheck.Check(t)
	started := make(chan struct{})
	handlerErr := make(chan error, 1)
	ts := &testServer{unary: func(ctx context.Context, _ *testpb.Request) (*testpb.Response, error) {
		close(started)
		<-ctx.Done()
		handlerErr <- ctx.Err()
		return nil, ctx.Err()
	}}
	e := newEnv(t, ts, nil)
	defer e.stop()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.client.Unary(ctx, &testpb.Request{})
		done <- err
	}()
	<-started
	cancel()
	wantCode(t, <-done, codes.Canceled)
	select {
	case err := <-handlerErr:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("server ctx error %v, want context.Canceled", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("server handler's context was not canceled")
	}
}

func TestAlreadyDoneContext(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.client.Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.Canceled)

	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	_, err = e.client.Unary(dctx, &testpb.Request{})
	wantCode(t, err, codes.DeadlineExceeded)
}

func TestMaxMessageSizes(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, []grpc.ServerOption{grpc.MaxRecvMsgSize(1000), grpc.MaxSendMsgSize(2000)})
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	// Client send limit: checked before anything is sent.
	_, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(500)}, grpc.MaxCallSendMsgSize(100))
	wantCode(t, err, codes.ResourceExhausted)
	// Client receive limit.
	_, err = e.client.Unary(ctx, &testpb.Request{ResponseSize: 500}, grpc.MaxCallRecvMsgSize(100))
	wantCode(t, err, codes.ResourceExhausted)
	// Server receive limit.
	_, err = e.client.Unary(ctx, &testpb.Request{Payload: payload(5000)})
	wantCode(t, err, codes.ResourceExhausted)
	// Server send limit.
	_, err = e.client.Unary(ctx, &testpb.Request{ResponseSize: 5000})
	wantCode(t, err, codes.ResourceExhausted)
	// Within every limit.
	if _, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(500), ResponseSize: 1500}); err != nil {
		t.Fatalf("Unary within limits: %v", err)
	}
	// The default client receive limit is 4 MiB.
	big := newEnv(t, nil, nil)
	defer big.stop()
	_, err = big.client.Unary(ctx, &testpb.Request{ResponseSize: 4<<20 + 1})
	wantCode(t, err, codes.ResourceExhausted)
}

func TestLargeMessage(t *testing.T) {
	defer leakcheck.Check(t)
	const size = 8 << 20
	e := newEnv(t, nil, []grpc.ServerOption{grpc.MaxRecvMsgSize(16 << 20)},
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	req := &testpb.Request{Payload: payload(size)}
	resp, err := e.client.Unary(ctx, req)
	if err != nil {
		t.Fatalf("Unary(8 MiB): %v", err)
	}
	if !bytes.Equal(resp.GetPayload().GetBody(), req.GetPayload().GetBody()) {
		t.Fatal("8 MiB payload not echoed intact")
	}
}

func TestGzipCompression(t *testing.T) {
	defer leakcheck.Check(t)
	advertised := make(chan bool, 10)
	ts := &testServer{}
	ts.unary = func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		// grpc-encoding is reserved, so inspect what the client advertised.
		v, _ := grpc.ClientSupportedCompressors(ctx)
		advertised <- slices.Contains(v, "gzip")
		return respond(ctx, req)
	}
	e := newEnv(t, ts, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	req := &testpb.Request{Payload: payload(100000), ResponseSize: 100000}
	resp, err := e.client.Unary(ctx, req, grpc.UseCompressor("gzip"))
	if err != nil {
		t.Fatalf("Unary with gzip: %v", err)
	}
	if len(resp.GetPayload().GetBody()) != 100000 {
		t.Fatalf("response has %d bytes", len(resp.GetPayload().GetBody()))
	}
	if !<-advertised {
		t.Fatal("client did not advertise gzip in grpc-accept-encoding")
	}
	// Streams compress too.
	stream, err := e.client.FullDuplex(ctx, grpc.UseCompressor("gzip"))
	if err != nil {
		t.Fatalf("FullDuplex: %v", err)
	}
	if err := stream.Send(req); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if resp, err := stream.Recv(); err != nil || len(resp.GetPayload().GetBody()) != 100000 {
		t.Fatalf("Recv = %v", err)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv = %v, want io.EOF", err)
	}

	_, err = e.client.Unary(ctx, req, grpc.UseCompressor("no-such-compressor"))
	st := wantCode(t, err, codes.Internal)
	if want := `grpc: Compressor is not installed for requested grpc-encoding "no-such-compressor"`; st.Message() != want {
		t.Fatalf("message %q, want %q", st.Message(), want)
	}
}

func TestCardinalityViolation(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	// Treat the server-streaming method as unary: two responses violate it.
	err := e.cc.Invoke(ctx, testpb.TestService_StreamingOutput_FullMethodName, &testpb.Request{ResponseCount: 2}, &testpb.Response{})
	wantCode(t, err, codes.Internal)
	// And zero responses too.
	err = e.cc.Invoke(ctx, testpb.TestService_StreamingOutput_FullMethodName, &testpb.Request{ResponseCount: 0}, &testpb.Response{})
	wantCode(t, err, codes.Internal)
}

func TestOnFinishAndCallOptionsAfterFailure(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	var calls []error
	onFinish := grpc.OnFinish(func(err error) { calls = append(calls, err) })
	if _, err := e.client.Unary(ctx, &testpb.Request{}, onFinish); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Unary(ctx, &testpb.Request{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound)}}, onFinish)
	wantCode(t, err, codes.NotFound)
	if len(calls) != 2 || calls[0] != nil || status.Code(calls[1]) != codes.NotFound {
		t.Fatalf("OnFinish saw %v, want [nil NotFound]", calls)
	}
}

func TestStreamContextAndCancel(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	stream, err := e.client.StreamingOutput(ctx, &testpb.Request{ResponseCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := peer.FromContext(stream.Context()); !ok || p.Addr.String() != e.addr {
		t.Fatalf("stream context peer %v, want %s", p, e.addr)
	}
	for {
		if _, err := stream.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	// The stream's context ends with the RPC.
	select {
	case <-stream.Context().Done():
	case <-time.After(testTimeout):
		t.Fatal("stream context not canceled after the RPC ended")
	}

	// Canceling an abandoned stream ends it with Canceled.
	sctx, scancel := context.WithCancel(ctx)
	bidi, err := e.client.FullDuplex(sctx)
	if err != nil {
		t.Fatal(err)
	}
	scancel()
	_, err = bidi.Recv()
	wantCode(t, err, codes.Canceled)
	if err := bidi.Send(&testpb.Request{}); err != io.EOF {
		t.Fatalf("Send after cancel = %v, want io.EOF", err)
	}
}
