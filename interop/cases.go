package interop

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding/gzip"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// TestCase runs one interop test case over cc and reports why it failed.
type TestCase func(ctx context.Context, cc *grpc.ClientConn) error

// TestCases are the standard interop test cases, by their spec names.
var TestCases = map[string]TestCase{
	"empty_unary":                 EmptyUnary,
	"large_unary":                 LargeUnary,
	"client_streaming":            ClientStreaming,
	"server_streaming":            ServerStreaming,
	"ping_pong":                   PingPong,
	"empty_stream":                EmptyStream,
	"timeout_on_sleeping_server":  TimeoutOnSleepingServer,
	"cancel_after_begin":          CancelAfterBegin,
	"cancel_after_first_response": CancelAfterFirstResponse,
	"status_code_and_message":     StatusCodeAndMessage,
	"special_status_message":      SpecialStatusMessage,
	"unimplemented_method":        UnimplementedMethod,
	"unimplemented_service":       UnimplementedService,
	"custom_metadata":             CustomMetadata,
	"client_compressed_unary":     ClientCompressedUnary,
	"server_compressed_unary":     ServerCompressedUnary,
}

// Sizes fixed by the spec.
const (
	largeReqSize  = 271828
	largeRespSize = 314159
)

var (
	reqSizes  = []int{27182, 8, 1828, 45904}
	respSizes = []int{31415, 9, 2653, 58979}
)

func payload(n int) *testpb.Payload {
	return &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: make([]byte, n)}
}

func checkPayload(what string, pl *testpb.Payload, size int) error {
	if pl.GetType() != testpb.PayloadType_COMPRESSABLE || len(pl.GetBody()) != size {
		return fmt.Errorf("%s: payload of type %v and %d bytes, want COMPRESSABLE and %d bytes",
			what, pl.GetType(), len(pl.GetBody()), size)
	}
	return nil
}

// EmptyUnary runs the empty_unary case: one empty request, one empty response.
func EmptyUnary(ctx context.Context, cc *grpc.ClientConn) error {
	resp, err := testgrpc.NewTestServiceClient(cc).EmptyCall(ctx, &testpb.Empty{})
	if err != nil {
		return fmt.Errorf("EmptyCall: %v", err)
	}
	if resp == nil {
		return fmt.Errorf("EmptyCall returned a nil response")
	}
	return nil
}

// LargeUnary runs the large_unary case: a 271828-byte request for a
// 314159-byte response.
func LargeUnary(ctx context.Context, cc *grpc.ClientConn) error {
	req := &testpb.SimpleRequest{ResponseSize: largeRespSize, Payload: payload(largeReqSize)}
	resp, err := testgrpc.NewTestServiceClient(cc).UnaryCall(ctx, req)
	if err != nil {
		return fmt.Errorf("UnaryCall: %v", err)
	}
	return checkPayload("UnaryCall", resp.GetPayload(), largeRespSize)
}

// ClientStreaming runs the client_streaming case: four requests, one response
// with their total size.
func ClientStreaming(ctx context.Context, cc *grpc.ClientConn) error {
	stream, err := testgrpc.NewTestServiceClient(cc).StreamingInputCall(ctx)
	if err != nil {
		return fmt.Errorf("StreamingInputCall: %v", err)
	}
	sum := 0
	for _, n := range reqSizes {
		if err := stream.Send(&testpb.StreamingInputCallRequest{Payload: payload(n)}); err != nil {
			return fmt.Errorf("Send(%d bytes): %v", n, err)
		}
		sum += n
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return fmt.Errorf("CloseAndRecv: %v", err)
	}
	if got := resp.GetAggregatedPayloadSize(); got != int32(sum) {
		return fmt.Errorf("aggregated_payload_size = %d, want %d", got, sum)
	}
	return nil
}

// ServerStreaming runs the server_streaming case: one request, four responses
// of the sizes it asks for.
func ServerStreaming(ctx context.Context, cc *grpc.ClientConn) error {
	req := &testpb.StreamingOutputCallRequest{}
	for _, n := range respSizes {
		req.ResponseParameters = append(req.ResponseParameters, &testpb.ResponseParameters{Size: int32(n)})
	}
	stream, err := testgrpc.NewTestServiceClient(cc).StreamingOutputCall(ctx, req)
	if err != nil {
		return fmt.Errorf("StreamingOutputCall: %v", err)
	}
	for i, n := range respSizes {
		resp, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("Recv #%d: %v", i, err)
		}
		if err := checkPayload(fmt.Sprintf("response #%d", i), resp.GetPayload(), n); err != nil {
			return err
		}
	}
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("Recv after the last response: %v, want io.EOF", err)
	}
	return nil
}

// PingPong runs the ping_pong case: four request/response rounds on one full-
// duplex stream.
func PingPong(ctx context.Context, cc *grpc.ClientConn) error {
	stream, err := testgrpc.NewTestServiceClient(cc).FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("FullDuplexCall: %v", err)
	}
	for i := range reqSizes {
		req := &testpb.StreamingOutputCallRequest{
			ResponseParameters: []*testpb.ResponseParameters{{Size: int32(respSizes[i])}},
			Payload:            payload(reqSizes[i]),
		}
		if err := stream.Send(req); err != nil {
			return fmt.Errorf("Send #%d: %v", i, err)
		}
		resp, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("Recv #%d: %v", i, err)
		}
		if err := checkPayload(fmt.Sprintf("response #%d", i), resp.GetPayload(), respSizes[i]); err != nil {
			return err
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

// EmptyStream runs the empty_stream case: a full-duplex stream closed at once
// yields no response.
func EmptyStream(ctx context.Context, cc *grpc.ClientConn) error {
	stream, err := testgrpc.NewTestServiceClient(cc).FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("FullDuplexCall: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("Recv: %v, want io.EOF", err)
	}
	return nil
}

// TimeoutOnSleepingServer runs the timeout_on_sleeping_server case: a 1 ms
// deadline on a stream the server never answers ends in DeadlineExceeded.
func TimeoutOnSleepingServer(ctx context.Context, cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	stream, err := testgrpc.NewTestServiceClient(cc).FullDuplexCall(ctx)
	if err != nil {
		// The deadline may expire before the stream is even created.
		if status.Code(err) == codes.DeadlineExceeded {
			return nil
		}
		return fmt.Errorf("FullDuplexCall: %v, want nil or code DeadlineExceeded", err)
	}
	// Send may fail with io.EOF once the deadline ended the stream; Recv
	// then reports the status.
	if err := stream.Send(&testpb.StreamingOutputCallRequest{Payload: payload(27182)}); err != nil && err != io.EOF {
		return fmt.Errorf("Send: %v", err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.DeadlineExceeded {
		return fmt.Errorf("Recv: %v, want code DeadlineExceeded", err)
	}
	return nil
}

// CancelAfterBegin runs the cancel_after_begin case: cancelling a client
// stream before sending anything ends it with Canceled.
func CancelAfterBegin(ctx context.Context, cc *grpc.ClientConn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := testgrpc.NewTestServiceClient(cc).StreamingInputCall(ctx)
	if err != nil {
		return fmt.Errorf("StreamingInputCall: %v", err)
	}
	cancel()
	if _, err := stream.CloseAndRecv(); status.Code(err) != codes.Canceled {
		return fmt.Errorf("CloseAndRecv after cancel: %v, want code Canceled", err)
	}
	return nil
}

// CancelAfterFirstResponse runs the cancel_after_first_response case:
// cancelling a full-duplex stream after its first response ends it with
// Canceled.
func CancelAfterFirstResponse(ctx context.Context, cc *grpc.ClientConn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := testgrpc.NewTestServiceClient(cc).FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("FullDuplexCall: %v", err)
	}
	req := &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 31415}},
		Payload:            payload(27182),
	}
	if err := stream.Send(req); err != nil {
		return fmt.Errorf("Send: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		return fmt.Errorf("first Recv: %v", err)
	}
	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		return fmt.Errorf("Recv after cancel: %v, want code Canceled", err)
	}
	return nil
}

// checkStatus compares err with the status code and message the server was
// asked to echo.
func checkStatus(call string, err error, code codes.Code, msg string) error {
	st, ok := status.FromError(err)
	if err == nil || !ok || st.Code() != code || st.Message() != msg {
		return fmt.Errorf("%s: got %v, want code %v and message %q", call, err, code, msg)
	}
	return nil
}

// StatusCodeAndMessage runs the status_code_and_message case: the status the
// client asks for comes back, on a unary call and on a full-duplex stream.
func StatusCodeAndMessage(ctx context.Context, cc *grpc.ClientConn) error {
	const code, msg = codes.Unknown, "test status message"
	echo := &testpb.EchoStatus{Code: int32(code), Message: msg}
	tc := testgrpc.NewTestServiceClient(cc)
	_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: echo})
	if err := checkStatus("UnaryCall", err, code, msg); err != nil {
		return err
	}
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("FullDuplexCall: %v", err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseStatus: echo}); err != nil {
		return fmt.Errorf("Send: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("CloseSend: %v", err)
	}
	_, err = stream.Recv()
	return checkStatus("FullDuplexCall Recv", err, code, msg)
}

// SpecialStatusMessage runs the special_status_message case: whitespace and
// non-ASCII text survive in a status message.
func SpecialStatusMessage(ctx context.Context, cc *grpc.ClientConn) error {
	const code, msg = codes.Unknown, "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
	req := &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(code), Message: msg}}
	_, err := testgrpc.NewTestServiceClient(cc).UnaryCall(ctx, req)
	return checkStatus("UnaryCall", err, code, msg)
}

// UnimplementedMethod runs the unimplemented_method case: a method the service
// does not implement fails with Unimplemented.
func UnimplementedMethod(ctx context.Context, cc *grpc.ClientConn) error {
	_, err := testgrpc.NewTestServiceClient(cc).UnimplementedCall(ctx, &testpb.Empty{})
	if status.Code(err) != codes.Unimplemented {
		return fmt.Errorf("TestService/UnimplementedCall: %v, want code Unimplemented", err)
	}
	return nil
}

// UnimplementedService runs the unimplemented_service case: a service the
// server does not have fails with Unimplemented.
func UnimplementedService(ctx context.Context, cc *grpc.ClientConn) error {
	_, err := testgrpc.NewUnimplementedServiceClient(cc).UnimplementedCall(ctx, &testpb.Empty{})
	if status.Code(err) != codes.Unimplemented {
		return fmt.Errorf("UnimplementedService/UnimplementedCall: %v, want code Unimplemented", err)
	}
	return nil
}

// The metadata of custom_metadata; the trailer value is binary on purpose.
const (
	initialMetadataValue  = "test_initial_metadata_value"
	trailingMetadataValue = "\x0a\x0b\x0a\x0b\x0a\x0b"
)

func checkEchoedMetadata(call string, header, trailer metadata.MD) error {
	if v := header.Get(initialMetadataKey); len(v) != 1 || v[0] != initialMetadataValue {
		return fmt.Errorf("%s: header %s = %q, want [%q]", call, initialMetadataKey, v, initialMetadataValue)
	}
	if v := trailer.Get(trailingMetadataKey); len(v) != 1 || v[0] != trailingMetadataValue {
		return fmt.Errorf("%s: trailer %s = %q, want [%q]", call, trailingMetadataKey, v, trailingMetadataValue)
	}
	return nil
}

// CustomMetadata runs the custom_metadata case: the server echoes one request
// metadata entry as a header and another as a trailer, on a unary call and on
// a full-duplex stream.
func CustomMetadata(ctx context.Context, cc *grpc.ClientConn) error {
	ctx = metadata.AppendToOutgoingContext(ctx,
		initialMetadataKey, initialMetadataValue,
		trailingMetadataKey, trailingMetadataValue)
	tc := testgrpc.NewTestServiceClient(cc)

	var header, trailer metadata.MD
	req := &testpb.SimpleRequest{ResponseSize: largeRespSize, Payload: payload(largeReqSize)}
	resp, err := tc.UnaryCall(ctx, req, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		return fmt.Errorf("UnaryCall: %v", err)
	}
	if err := checkPayload("UnaryCall", resp.GetPayload(), largeRespSize); err != nil {
		return err
	}
	if err := checkEchoedMetadata("UnaryCall", header, trailer); err != nil {
		return err
	}

	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("FullDuplexCall: %v", err)
	}
	sreq := &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: largeRespSize}},
		Payload:            payload(largeReqSize),
	}
	if err := stream.Send(sreq); err != nil {
		return fmt.Errorf("Send: %v", err)
	}
	sheader, err := stream.Header()
	if err != nil {
		return fmt.Errorf("Header: %v", err)
	}
	sresp, err := stream.Recv()
	if err != nil {
		return fmt.Errorf("Recv: %v", err)
	}
	if err := checkPayload("FullDuplexCall", sresp.GetPayload(), largeRespSize); err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("Recv after CloseSend: %v, want io.EOF", err)
	}
	return checkEchoedMetadata("FullDuplexCall", sheader, stream.Trailer())
}

// ClientCompressedUnary runs the client_compressed_unary case: the server
// refuses an uncompressed request that expects compression (the probe), then
// accepts a gzip-compressed one and an uncompressed one that expects none.
func ClientCompressedUnary(ctx context.Context, cc *grpc.ClientConn) error {
	tc := testgrpc.NewTestServiceClient(cc)
	probe := &testpb.SimpleRequest{
		ResponseSize:     largeRespSize,
		Payload:          payload(largeReqSize),
		ExpectCompressed: &testpb.BoolValue{Value: true},
	}
	if _, err := tc.UnaryCall(ctx, probe); status.Code(err) != codes.InvalidArgument {
		return fmt.Errorf("probe (expect_compressed, sent uncompressed): %v, want code InvalidArgument", err)
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
		resp, err := tc.UnaryCall(ctx, req, opts...)
		if err != nil {
			return fmt.Errorf("UnaryCall(expect_compressed=%v): %v", compressed, err)
		}
		if err := checkPayload("UnaryCall", resp.GetPayload(), largeRespSize); err != nil {
			return err
		}
	}
	return nil
}

// ServerCompressedUnary runs the server_compressed_unary case: the server
// answers with and without compression as asked. Our client API does not
// expose whether a received message was compressed, so only the calls' success
// and payloads are checked here (the grpc-go extras client checks the flag
// too).
func ServerCompressedUnary(ctx context.Context, cc *grpc.ClientConn) error {
	tc := testgrpc.NewTestServiceClient(cc)
	for _, compressed := range []bool{true, false} {
		req := &testpb.SimpleRequest{
			ResponseSize:       largeRespSize,
			Payload:            payload(largeReqSize),
			ResponseCompressed: &testpb.BoolValue{Value: compressed},
		}
		resp, err := tc.UnaryCall(ctx, req)
		if err != nil {
			return fmt.Errorf("UnaryCall(response_compressed=%v): %v", compressed, err)
		}
		if err := checkPayload("UnaryCall", resp.GetPayload(), largeRespSize); err != nil {
			return err
		}
	}
	return nil
}
