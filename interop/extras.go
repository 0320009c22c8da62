package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// ExtraCases go beyond the standard suite. They need a server from
// NewTestServer with StatusDetails set that accepts messages up to
// ExtrasMaxMsgSize, except oversize_request, which needs one with the default
// 4 MiB receive limit. The grpc-go twins of these cases live in
// grpcgo/extrasclient.
var ExtraCases = map[string]TestCase{
	"concurrent_unary":  ConcurrentUnary,
	"concurrent_bidi":   ConcurrentBidi,
	"large_message":     LargeMessage,
	"oversize_request":  OversizeRequest,
	"oversize_response": OversizeResponse,
	"status_details":    StatusDetails,
}

// ExtrasMaxMsgSize is the message size limit of the server the extras run
// against.
const ExtrasMaxMsgSize = 16 << 20

const (
	bigMsgSize    = 8 << 20
	overLimitSize = 5 << 20 // above the default 4 MiB receive limit
)

// ConcurrentUnary runs the concurrent_unary case: 1000 unary calls at once on
// one connection, each with its own payload size so that mixed-up responses
// would show.
func ConcurrentUnary(ctx context.Context, cc *grpc.ClientConn) error {
	const n = 1000
	tc := testgrpc.NewTestServiceClient(cc)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &testpb.SimpleRequest{ResponseSize: int32(i + 1), Payload: payload(i + 1)}
			resp, err := tc.UnaryCall(ctx, req)
			if err != nil {
				errs <- fmt.Errorf("call %d: %v", i, err)
				return
			}
			if err := checkPayload(fmt.Sprintf("call %d", i), resp.GetPayload(), i+1); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return firstErrors(errs)
}

// ConcurrentBidi runs the concurrent_bidi case: 100 full-duplex streams at
// once, ten rounds each.
func ConcurrentBidi(ctx context.Context, cc *grpc.ClientConn) error {
	const streams, rounds = 100, 10
	tc := testgrpc.NewTestServiceClient(cc)
	errs := make(chan error, streams)
	var wg sync.WaitGroup
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pingPongRounds(ctx, tc, i, rounds); err != nil {
				errs <- fmt.Errorf("stream %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return firstErrors(errs)
}

func pingPongRounds(ctx context.Context, tc testgrpc.TestServiceClient, id, rounds int) error {
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("FullDuplexCall: %v", err)
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
		if err := checkPayload(fmt.Sprintf("round %d", r), resp.GetPayload(), size); err != nil {
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

// LargeMessage runs the large_message case: 8 MiB each way, unary and
// streaming, with limits raised on both sides.
func LargeMessage(ctx context.Context, cc *grpc.ClientConn) error {
	opts := []grpc.CallOption{grpc.MaxCallRecvMsgSize(ExtrasMaxMsgSize), grpc.MaxCallSendMsgSize(ExtrasMaxMsgSize)}
	body := make([]byte, bigMsgSize)
	for i := range body {
		body[i] = byte(i) // not all zeros, so nothing can shortcut it
	}
	tc := testgrpc.NewTestServiceClient(cc)
	req := &testpb.SimpleRequest{ResponseSize: bigMsgSize, Payload: &testpb.Payload{Body: body}}
	resp, err := tc.UnaryCall(ctx, req, opts...)
	if err != nil {
		return fmt.Errorf("UnaryCall, 8 MiB each way: %v", err)
	}
	if err := checkPayload("UnaryCall", resp.GetPayload(), bigMsgSize); err != nil {
		return err
	}
	stream, err := tc.FullDuplexCall(ctx, opts...)
	if err != nil {
		return fmt.Errorf("FullDuplexCall: %v", err)
	}
	sreq := &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: bigMsgSize}},
		Payload:            &testpb.Payload{Body: body},
	}
	if err := stream.Send(sreq); err != nil {
		return fmt.Errorf("Send of 8 MiB: %v", err)
	}
	sresp, err := stream.Recv()
	if err != nil {
		return fmt.Errorf("Recv of 8 MiB: %v", err)
	}
	if err := checkPayload("FullDuplexCall", sresp.GetPayload(), bigMsgSize); err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("Recv after CloseSend: %v, want io.EOF", err)
	}
	return nil
}

// OversizeRequest runs the oversize_request case: a 5 MiB request to a server
// with the default limits fails with ResourceExhausted, and the connection
// stays usable.
func OversizeRequest(ctx context.Context, cc *grpc.ClientConn) error {
	tc := testgrpc.NewTestServiceClient(cc)
	_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1, Payload: payload(overLimitSize)})
	if status.Code(err) != codes.ResourceExhausted {
		return fmt.Errorf("UnaryCall with a 5 MiB request: %v, want code ResourceExhausted", err)
	}
	if _, err := tc.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		return fmt.Errorf("EmptyCall after the refused request: %v", err)
	}
	return nil
}

// OversizeResponse runs the oversize_response case: a 5 MiB response to a
// client with the default limits fails with ResourceExhausted, and the
// connection stays usable.
func OversizeResponse(ctx context.Context, cc *grpc.ClientConn) error {
	tc := testgrpc.NewTestServiceClient(cc)
	_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: overLimitSize})
	if status.Code(err) != codes.ResourceExhausted {
		return fmt.Errorf("UnaryCall with a 5 MiB response: %v, want code ResourceExhausted", err)
	}
	if _, err := tc.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		return fmt.Errorf("EmptyCall after the refused response: %v", err)
	}
	return nil
}

// StatusDetails runs the status_details case: the details of an echoed status
// (an ErrorInfo and the EchoStatus itself) survive the trip, on a unary call
// and on a stream.
func StatusDetails(ctx context.Context, cc *grpc.ClientConn) error {
	echo := &testpb.EchoStatus{Code: int32(codes.FailedPrecondition), Message: "details round trip \u2603"}
	tc := testgrpc.NewTestServiceClient(cc)
	_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: echo})
	if err := checkDetails("UnaryCall", err, echo); err != nil {
		return err
	}
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("FullDuplexCall: %v", err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseStatus: echo}); err != nil {
		return fmt.Errorf("Send: %v", err)
	}
	_, err = stream.Recv()
	return checkDetails("FullDuplexCall", err, echo)
}

func checkDetails(call string, err error, echo *testpb.EchoStatus) error {
	if err := checkStatus(call, err, codes.Code(echo.GetCode()), echo.GetMessage()); err != nil {
		return err
	}
	st := status.Convert(err)
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

// firstErrors joins the first few errors of errs: with a thousand calls, the
// rest only repeat them.
func firstErrors(errs <-chan error) error {
	var all []error
	n := 0
	for err := range errs {
		if n < 5 {
			all = append(all, err)
		}
		n++
	}
	if n > 5 {
		all = append(all, fmt.Errorf("... and %d more failures", n-5))
	}
	return errors.Join(all...)
}
