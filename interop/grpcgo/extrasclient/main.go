// Binary extrasclient runs, with grpc-go, the interop cases that grpc-go's
// own interop client lacks (the two compression cases) and the extra stress
// and limit cases of our suite, against any server that implements the
// grpc.testing.TestService as the interop spec describes. It is the grpc-go
// twin of the extras in package google.golang.org/grpc/interop.
//
// Usage: extrasclient --server_host=127.0.0.1 --server_port=P --test_case=X
//
//	[--use_tls --ca_file=F [--server_host_override=H] [--client_cert_file=F --client_key_file=F] [--want_server_cn=CN]]
//
// It also runs a few standard cases (through grpc-go's interop package) so
// that mutual TLS, which grpc-go's client binary lacks, covers them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding/gzip"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

var (
	serverHost = flag.String("server_host", "127.0.0.1", "server host")
	serverPort = flag.Int("server_port", 10000, "server port")
	testCase   = flag.String("test_case", "", "test case to run")
)

const (
	largeReqSize  = 271828
	largeRespSize = 314159
	bigMsgSize    = 8 << 20
	raisedLimit   = 16 << 20
	overLimitSize = 5 << 20 // above the default 4 MiB receive limit
)

// client bundles what a case needs: the connection and the compression
// observations of the stats handler.
type client struct {
	cc    *grpc.ClientConn
	tc    testgrpc.TestServiceClient
	stats *compressionStats
}

var cases = map[string]func(context.Context, *client) error{
	"client_compressed_unary": clientCompressedUnary,
	"server_compressed_unary": serverCompressedUnary,
	"concurrent_unary":        concurrentUnary,
	"concurrent_bidi":         concurrentBidi,
	"large_message":           largeMessage,
	"oversize_request":        oversizeRequest,
	"oversize_response":       oversizeResponse,
	"status_details":          statusDetails,
}

func main() {
	flag.Parse()
	run, ok := cases[*testCase]
	if !ok {
		log.Fatalf("unsupported test case %q", *testCase)
	}
	st := &compressionStats{}
	addr := net.JoinHostPort(*serverHost, strconv.Itoa(*serverPort))
	cc, err := grpc.NewClient(addr, append(dialOptions(), grpc.WithStatsHandler(st))...)
	if err != nil {
		log.Fatalf("grpc.NewClient(%q): %v", addr, err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, &client{cc: cc, tc: testgrpc.NewTestServiceClient(cc), stats: st}); err != nil {
		log.Fatalf("%s failed: %v", *testCase, err)
	}
	log.Printf("%s done", *testCase)
}

func payload(n int) *testpb.Payload {
	return &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: make([]byte, n)}
}

// compressionStats records, per RPC, the grpc-encoding of the response and
// whether the response message arrived compressed, which the public API shows
// only through a stats handler.
type compressionStats struct{}

type rpcCompression struct {
	mu         sync.Mutex
	encoding   string
	compressed bool
}

type rpcKey struct{}

// TagRPC keeps the call's context: unaryObserved has already put the record
// there.
func (*compressionStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}

func (*compressionStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	r, _ := ctx.Value(rpcKey{}).(*rpcCompression)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch s := s.(type) {
	case *stats.InHeader:
		r.encoding = s.Compression
	case *stats.InPayload:
		// A compressed message is smaller on the wire than decoded; our
		// payloads are zeros, so gzip always shrinks them a lot.
		r.compressed = s.CompressedLength < s.Length
	}
}

func (*compressionStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (*compressionStats) HandleConn(context.Context, stats.ConnStats) {}

// unaryObserved makes one UnaryCall and reports what the stats handler saw.
func unaryObserved(ctx context.Context, c *client, req *testpb.SimpleRequest, opts ...grpc.CallOption) (*testpb.SimpleResponse, *rpcCompression, error) {
	rec := &rpcCompression{}
	ctx = context.WithValue(ctx, rpcKey{}, rec)
	resp, err := c.tc.UnaryCall(ctx, req, opts...)
	return resp, rec, err
}

func checkLargeResp(resp *testpb.SimpleResponse) error {
	if n := len(resp.GetPayload().GetBody()); n != largeRespSize {
		return fmt.Errorf("response payload has %d bytes, want %d", n, largeRespSize)
	}
	return nil
}

func clientCompressedUnary(ctx context.Context, c *client) error {
	// The probe: the server must refuse an uncompressed request that claims
	// to be compressed, proving that it checks the flag at all.
	probe := &testpb.SimpleRequest{
		ResponseSize:     largeRespSize,
		Payload:          payload(largeReqSize),
		ExpectCompressed: &testpb.BoolValue{Value: true},
	}
	if _, err := c.tc.UnaryCall(ctx, probe); status.Code(err) != codes.InvalidArgument {
		return fmt.Errorf("probe (expect_compressed=true, request not compressed): got %v, want code InvalidArgument", err)
	}
	for _, compressed := range []bool{true, false} {
		req := &testpb.SimpleRequest{
			ResponseSize:     largeRespSize,
			Payload:          payload(largeReqSize),
			ExpectCompressed: &testpb.BoolValue{Value: compressed},
		}
		var opts []grpc.CallOption
		if compressed {
			opts = append(opts, grpc.UseCompressor(gzip.Name))
		}
		resp, err := c.tc.UnaryCall(ctx, req, opts...)
		if err != nil {
			return fmt.Errorf("UnaryCall(expect_compressed=%v): %v", compressed, err)
		}
		if err := checkLargeResp(resp); err != nil {
			return err
		}
	}
	return nil
}

func serverCompressedUnary(ctx context.Context, c *client) error {
	for _, compressed := range []bool{true, false} {
		req := &testpb.SimpleRequest{
			ResponseSize:       largeRespSize,
			Payload:            payload(largeReqSize),
			ResponseCompressed: &testpb.BoolValue{Value: compressed},
		}
		resp, rec, err := unaryObserved(ctx, c, req)
		if err != nil {
			return fmt.Errorf("UnaryCall(response_compressed=%v): %v", compressed, err)
		}
		if err := checkLargeResp(resp); err != nil {
			return err
		}
		rec.mu.Lock()
		got, enc := rec.compressed, rec.encoding
		rec.mu.Unlock()
		if got != compressed {
			return fmt.Errorf("response_compressed=%v: response message compressed=%v (grpc-encoding %q)", compressed, got, enc)
		}
	}
	return nil
}

func concurrentUnary(ctx context.Context, c *client) error {
	const n = 1000
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &testpb.SimpleRequest{ResponseSize: int32(i + 1), Payload: payload(i + 1)}
			resp, err := c.tc.UnaryCall(ctx, req)
			if err != nil {
				errs <- fmt.Errorf("rpc %d: %v", i, err)
				return
			}
			if got := len(resp.GetPayload().GetBody()); got != i+1 {
				errs <- fmt.Errorf("rpc %d: response of %d bytes, want %d", i, got, i+1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return joinErrs(errs)
}

func concurrentBidi(ctx context.Context, c *client) error {
	const streams, rounds = 100, 10
	errs := make(chan error, streams)
	var wg sync.WaitGroup
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pingPong(ctx, c.tc, i, rounds); err != nil {
				errs <- fmt.Errorf("stream %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return joinErrs(errs)
}

func pingPong(ctx context.Context, tc testgrpc.TestServiceClient, id, rounds int) error {
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		return err
	}
	for r := range rounds {
		size := 1 + id*rounds + r
		req := &testpb.StreamingOutputCallRequest{
			ResponseParameters: []*testpb.ResponseParameters{{Size: int32(size)}},
			Payload:            payload(size),
		}
		if err := stream.Send(req); err != nil {
			return fmt.Errorf("Send: %v", err)
		}
		resp, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("Recv: %v", err)
		}
		if got := len(resp.GetPayload().GetBody()); got != size {
			return fmt.Errorf("round %d: response of %d bytes, want %d", r, got, size)
		}
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("Recv after CloseSend: %v, want io.EOF", err)
	}
	return nil
}

func largeMessage(ctx context.Context, c *client) error {
	opts := []grpc.CallOption{grpc.MaxCallRecvMsgSize(raisedLimit), grpc.MaxCallSendMsgSize(raisedLimit)}
	body := make([]byte, bigMsgSize)
	for i := range body {
		body[i] = byte(i)
	}
	req := &testpb.SimpleRequest{ResponseSize: bigMsgSize, Payload: &testpb.Payload{Body: body}}
	resp, err := c.tc.UnaryCall(ctx, req, opts...)
	if err != nil {
		return fmt.Errorf("UnaryCall with 8 MiB each way: %v", err)
	}
	if got := len(resp.GetPayload().GetBody()); got != bigMsgSize {
		return fmt.Errorf("unary response of %d bytes, want %d", got, bigMsgSize)
	}
	stream, err := c.tc.FullDuplexCall(ctx, opts...)
	if err != nil {
		return err
	}
	sreq := &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: bigMsgSize}},
		Payload:            &testpb.Payload{Body: body},
	}
	if err := stream.Send(sreq); err != nil {
		return fmt.Errorf("stream Send of 8 MiB: %v", err)
	}
	sresp, err := stream.Recv()
	if err != nil {
		return fmt.Errorf("stream Recv of 8 MiB: %v", err)
	}
	if got := len(sresp.GetPayload().GetBody()); got != bigMsgSize {
		return fmt.Errorf("stream response of %d bytes, want %d", got, bigMsgSize)
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("Recv after CloseSend: %v, want io.EOF", err)
	}
	return nil
}

func oversizeRequest(ctx context.Context, c *client) error {
	req := &testpb.SimpleRequest{ResponseSize: 1, Payload: payload(overLimitSize)}
	_, err := c.tc.UnaryCall(ctx, req)
	if status.Code(err) != codes.ResourceExhausted {
		return fmt.Errorf("UnaryCall with a 5 MiB request to a server with default limits: got %v, want code ResourceExhausted", err)
	}
	// The connection must still work after the refusal.
	if _, err := c.tc.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		return fmt.Errorf("EmptyCall after the refused request: %v", err)
	}
	return nil
}

func oversizeResponse(ctx context.Context, c *client) error {
	req := &testpb.SimpleRequest{ResponseSize: overLimitSize}
	_, err := c.tc.UnaryCall(ctx, req)
	if status.Code(err) != codes.ResourceExhausted {
		return fmt.Errorf("UnaryCall with a 5 MiB response and the default client limit: got %v, want code ResourceExhausted", err)
	}
	if _, err := c.tc.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		return fmt.Errorf("EmptyCall after the refused response: %v", err)
	}
	return nil
}

// statusDetails expects the server to attach to an echoed status an
// errdetails.ErrorInfo (reason "ECHO", domain "grpc.testing") and a copy of the
// EchoStatus it was asked for.
func statusDetails(ctx context.Context, c *client) error {
	echo := &testpb.EchoStatus{Code: int32(codes.FailedPrecondition), Message: "details round trip \u2603"}
	_, err := c.tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: echo})
	if err := checkDetails("UnaryCall", err, echo); err != nil {
		return err
	}
	stream, err := c.tc.FullDuplexCall(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseStatus: echo}); err != nil {
		return fmt.Errorf("Send: %v", err)
	}
	_, err = stream.Recv()
	return checkDetails("FullDuplexCall", err, echo)
}

func checkDetails(call string, err error, echo *testpb.EchoStatus) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Code(echo.Code) || st.Message() != echo.Message {
		return fmt.Errorf("%s: got %v, want code %v message %q", call, err, codes.Code(echo.Code), echo.Message)
	}
	var gotInfo, gotEcho bool
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			gotInfo = d.GetReason() == "ECHO" && d.GetDomain() == "grpc.testing"
		case *testpb.EchoStatus:
			gotEcho = proto.Equal(d, echo)
		case error:
			return fmt.Errorf("%s: undecodable detail: %v", call, d)
		}
	}
	if !gotInfo || !gotEcho {
		return fmt.Errorf("%s: details %v lack ErrorInfo{ECHO, grpc.testing} or the echoed EchoStatus", call, st.Details())
	}
	return nil
}

func joinErrs(errs <-chan error) error {
	var all []error
	for err := range errs {
		if len(all) < 5 { // the first few tell the story
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}
