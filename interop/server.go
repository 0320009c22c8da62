package interop

import (
	"context"
	"io"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding/gzip"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The metadata keys the interop spec asks the server to echo: the first as a
// response header, the second as a trailer.
const (
	initialMetadataKey  = "x-grpc-test-echo-initial"
	trailingMetadataKey = "x-grpc-test-echo-trailing-bin"
)

// ServerOptions configures NewTestServer.
type ServerOptions struct {
	// StatusDetails makes the server attach details to a status it echoes
	// (response_status): an errdetails.ErrorInfo{Reason: "ECHO", Domain:
	// "grpc.testing"} and the requested EchoStatus itself. The standard
	// interop server sends none.
	StatusDetails bool
}

// NewTestServer returns an implementation of grpc.testing.TestService that
// behaves as the interop spec describes. UnimplementedCall is left
// unimplemented on purpose: the unimplemented_method case relies on it.
func NewTestServer(opts ServerOptions) testgrpc.TestServiceServer {
	return &testServer{opts: opts}
}

type testServer struct {
	testgrpc.UnimplementedTestServiceServer
	opts ServerOptions
}

func (s *testServer) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (s *testServer) UnaryCall(ctx context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if in.GetExpectCompressed().GetValue() && !requestCompressed(ctx) {
		return nil, status.Error(codes.InvalidArgument, "expected a compressed request")
	}
	// The compressor goes in the response headers, so it must be chosen
	// before echoMetadata sends them.
	if in.GetResponseCompressed().GetValue() {
		if err := grpc.SetSendCompressor(ctx, gzip.Name); err != nil {
			return nil, status.Errorf(codes.Internal, "cannot compress the response: %v", err)
		}
	}
	if err := echoMetadata(ctx, func(md metadata.MD) error { return grpc.SendHeader(ctx, md) },
		func(md metadata.MD) error { return grpc.SetTrailer(ctx, md) }); err != nil {
		return nil, err
	}
	if err := s.echoStatus(in.GetResponseStatus()); err != nil {
		return nil, err
	}
	pl, err := newPayload(in.GetResponseType(), in.GetResponseSize())
	if err != nil {
		return nil, err
	}
	return &testpb.SimpleResponse{Payload: pl}, nil
}

// CacheableUnaryCall behaves as UnaryCall: caching only matters to HTTP
// proxies, which these tests do not use.
func (s *testServer) CacheableUnaryCall(ctx context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return s.UnaryCall(ctx, in)
}

func (s *testServer) StreamingOutputCall(in *testpb.StreamingOutputCallRequest, stream testgrpc.TestService_StreamingOutputCallServer) error {
	if err := s.respond(stream, in); err != nil {
		return err
	}
	return s.echoStatus(in.GetResponseStatus())
}

func (s *testServer) StreamingInputCall(stream testgrpc.TestService_StreamingInputCallServer) error {
	var sum int
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(sum)})
		}
		if err != nil {
			return err
		}
		if in.GetExpectCompressed().GetValue() && !requestCompressed(stream.Context()) {
			return status.Error(codes.InvalidArgument, "expected a compressed request")
		}
		sum += len(in.GetPayload().GetBody())
	}
}

func (s *testServer) FullDuplexCall(stream testgrpc.TestService_FullDuplexCallServer) error {
	if err := echoMetadata(stream.Context(), stream.SendHeader, func(md metadata.MD) error {
		stream.SetTrailer(md)
		return nil
	}); err != nil {
		return err
	}
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.echoStatus(in.GetResponseStatus()); err != nil {
			return err
		}
		if err := s.respond(stream, in); err != nil {
			return err
		}
	}
}

func (s *testServer) HalfDuplexCall(stream testgrpc.TestService_HalfDuplexCallServer) error {
	var reqs []*testpb.StreamingOutputCallRequest
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		reqs = append(reqs, in)
	}
	for _, in := range reqs {
		if err := s.respond(stream, in); err != nil {
			return err
		}
	}
	return nil
}

// responseSender is what the three streaming handlers send responses on.
type responseSender interface {
	Send(*testpb.StreamingOutputCallResponse) error
	Context() context.Context
}

// respond sends one response per response_parameters entry, waiting
// interval_us before each.
func (s *testServer) respond(stream responseSender, in *testpb.StreamingOutputCallRequest) error {
	for _, p := range in.GetResponseParameters() {
		if us := p.GetIntervalUs(); us > 0 {
			t := time.NewTimer(time.Duration(us) * time.Microsecond)
			select {
			case <-t.C:
			case <-stream.Context().Done():
				t.Stop()
				return status.FromContextError(stream.Context().Err()).Err()
			}
		}
		pl, err := newPayload(in.GetResponseType(), p.GetSize())
		if err != nil {
			return err
		}
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: pl}); err != nil {
			return err
		}
	}
	return nil
}

// echoStatus returns the error the client asked for, or nil when it asked for
// none (or for OK).
func (s *testServer) echoStatus(es *testpb.EchoStatus) error {
	if es.GetCode() == 0 {
		return nil
	}
	st := status.New(codes.Code(es.GetCode()), es.GetMessage())
	if !s.opts.StatusDetails {
		return st.Err()
	}
	info := &errdetails.ErrorInfo{Reason: "ECHO", Domain: "grpc.testing"}
	withDetails, err := st.WithDetails(info, es)
	if err != nil {
		return status.Errorf(codes.Internal, "cannot add status details: %v", err)
	}
	return withDetails.Err()
}

// echoMetadata sends back the two metadata entries the spec names, if the
// client sent them.
func echoMetadata(ctx context.Context, sendHeader, setTrailer func(metadata.MD) error) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(initialMetadataKey); len(v) > 0 {
		if err := sendHeader(metadata.Pairs(initialMetadataKey, v[0])); err != nil {
			return err
		}
	}
	if v := md.Get(trailingMetadataKey); len(v) > 0 {
		if err := setTrailer(metadata.Pairs(trailingMetadataKey, v[0])); err != nil {
			return err
		}
	}
	return nil
}

// requestCompressed reports whether the request of the RPC in ctx carried a
// grpc-encoding other than identity. Both this module and grpc-go then set the
// compressed flag on every message of the call, so it stands for the flag.
// The encoding is not in the public API; the server stream in the context
// exposes it.
func requestCompressed(ctx context.Context) bool {
	s, ok := grpc.ServerTransportStreamFromContext(ctx).(interface{ RecvCompress() string })
	if !ok {
		return false
	}
	enc := s.RecvCompress()
	return enc != "" && enc != "identity"
}

func newPayload(t testpb.PayloadType, size int32) (*testpb.Payload, error) {
	if size < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "requested a response with invalid length %d", size)
	}
	if t != testpb.PayloadType_COMPRESSABLE {
		return nil, status.Errorf(codes.InvalidArgument, "unsupported payload type: %d", t)
	}
	return &testpb.Payload{Type: t, Body: make([]byte, size)}, nil
}
