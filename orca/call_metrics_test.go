package orca_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/orca"
	"google.golang.org/grpc/orca/internal"
	"google.golang.org/protobuf/proto"
)

const defaultTestTimeout = 10 * time.Second

// recordingServer records, on each RPC, whatever its record function says.
type recordingServer struct {
	testpb.UnimplementedTestServiceServer
	record func(orca.CallMetricsRecorder)
	sawNil chan bool // receives whether the recorder was nil, if not nil
}

func (s *recordingServer) use(ctx context.Context) {
	if s.record == nil && s.sawNil == nil {
		return // never ask for the recorder
	}
	r := orca.CallMetricsRecorderFromContext(ctx)
	if s.sawNil != nil {
		s.sawNil <- r == nil
	}
	if r != nil && s.record != nil {
		s.record(r)
	}
}

func (s *recordingServer) Unary(ctx context.Context, _ *testpb.Request) (*testpb.Response, error) {
	s.use(ctx)
	return &testpb.Response{}, nil
}

func (s *recordingServer) StreamingOutput(_ *testpb.Request, stream testpb.TestService_StreamingOutputServer) error {
	s.use(stream.Context())
	return stream.Send(&testpb.Response{})
}

// startServer serves s on a loopback port and returns a client for it and a
// function that closes both, to be deferred after leakcheck.Check.
func startServer(t *testing.T, s *recordingServer, opts ...grpc.ServerOption) (testpb.TestServiceClient, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(srv, s)
	go srv.Serve(lis)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	return testpb.NewTestServiceClient(cc), func() {
		cc.Close()
		srv.Stop()
	}
}

func reportIn(t *testing.T, md metadata.MD) *v3orcapb.OrcaLoadReport {
	t.Helper()
	r, err := internal.ToLoadReport(md)
	if err != nil {
		t.Fatalf("ToLoadReport(%v): %v", md, err)
	}
	return r
}

// trailers runs a unary and a server-streaming RPC and returns their
// trailers.
func trailers(t *testing.T, c testpb.TestServiceClient) (unary, streaming metadata.MD) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTestTimeout)
	defer cancel()
	if _, err := c.Unary(ctx, &testpb.Request{}, grpc.Trailer(&unary)); err != nil {
		t.Fatalf("Unary: %v", err)
	}
	st, err := c.StreamingOutput(ctx, &testpb.Request{ResponseCount: 1})
	if err != nil {
		t.Fatalf("StreamingOutput: %v", err)
	}
	for {
		if _, err := st.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("StreamingOutput Recv: %v", err)
		}
	}
	return unary, st.Trailer()
}

func TestCallMetricsUnaryAndStreaming(t *testing.T) {
	defer leakcheck.Check(t)
	s := &recordingServer{record: func(r orca.CallMetricsRecorder) {
		r.SetCPUUtilization(0.5)
		r.SetApplicationUtilization(0.25)
		r.SetMemoryUtilization(0.75)
		r.SetQPS(40)
		r.SetEPS(4)
		r.SetNamedUtilization("disk", 0.3)
		r.SetRequestCost("db_queries", 10)
		r.SetNamedMetric("queue", 2)
	}}
	c, stop := startServer(t, s, orca.CallMetricsServerOption(nil))
	defer stop()
	want := &v3orcapb.OrcaLoadReport{
		CpuUtilization:         0.5,
		ApplicationUtilization: 0.25,
		MemUtilization:         0.75,
		RpsFractional:          40,
		Eps:                    4,
		Utilization:            map[string]float64{"disk": 0.3},
		RequestCost:            map[string]float64{"db_queries": 10},
		NamedMetrics:           map[string]float64{"queue": 2},
	}
	u, st := trailers(t, c)
	if got := reportIn(t, u); !proto.Equal(got, want) {
		t.Errorf("unary report = %v, want %v", got, want)
	}
	if got := reportIn(t, st); !proto.Equal(got, want) {
		t.Errorf("streaming report = %v, want %v", got, want)
	}
}

func TestCallMetricsMergedWithProvider(t *testing.T) {
	defer leakcheck.Check(t)
	smr := orca.NewServerMetricsRecorder()
	smr.SetCPUUtilization(0.9)
	smr.SetQPS(100)
	smr.SetNamedUtilization("disk", 0.1)
	smr.SetNamedUtilization("net", 0.2)
	s := &recordingServer{record: func(r orca.CallMetricsRecorder) {
		r.SetQPS(5)
		r.SetNamedUtilization("disk", 0.6)
		r.SetRequestCost("cost", 1)
	}}
	c, stop := startServer(t, s, orca.CallMetricsServerOption(smr))
	defer stop()
	want := &v3orcapb.OrcaLoadReport{
		CpuUtilization: 0.9,
		RpsFractional:  5,
		Utilization:    map[string]float64{"disk": 0.6, "net": 0.2},
		RequestCost:    map[string]float64{"cost": 1},
	}
	u, st := trailers(t, c)
	for name, md := range map[string]metadata.MD{"unary": u, "streaming": st} {
		if got := reportIn(t, md); !proto.Equal(got, want) {
			t.Errorf("%s report = %v, want %v", name, got, want)
		}
	}
	// The provider's own state is not changed by the merge.
	if got := smr.ServerMetrics(); got.QPS != 100 || got.Utilization["disk"] != 0.1 {
		t.Errorf("provider changed by per-call metrics: %+v", got)
	}
}

func TestCallMetricsNotRetrievedSendsNothing(t *testing.T) {
	defer leakcheck.Check(t)
	smr := orca.NewServerMetricsRecorder()
	smr.SetCPUUtilization(0.9)
	c, stop := startServer(t, &recordingServer{}, orca.CallMetricsServerOption(smr))
	defer stop()
	u, st := trailers(t, c)
	if v := u.Get(internal.TrailerMetadataKey); v != nil {
		t.Errorf("unary trailer has a report %q though the handler never asked for a recorder", v)
	}
	if v := st.Get(internal.TrailerMetadataKey); v != nil {
		t.Errorf("streaming trailer has a report %q though the handler never asked for a recorder", v)
	}
}

func TestCallMetricsRecorderNilWithoutOption(t *testing.T) {
	defer leakcheck.Check(t)
	s := &recordingServer{sawNil: make(chan bool, 2)}
	c, stop := startServer(t, s)
	defer stop()
	trailers(t, c)
	for _, kind := range []string{"unary", "streaming"} {
		if !<-s.sawNil {
			t.Errorf("%s: CallMetricsRecorderFromContext returned a recorder on a server without CallMetricsServerOption", kind)
		}
	}
	if orca.CallMetricsRecorderFromContext(context.Background()) != nil {
		t.Error("CallMetricsRecorderFromContext(Background) is not nil")
	}
}

// TestCallMetricsWithOtherInterceptors checks that the option coexists with
// interceptors installed by other options, and that its own run first.
func TestCallMetricsWithOtherInterceptors(t *testing.T) {
	defer leakcheck.Check(t)
	unaryInt := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if r := orca.CallMetricsRecorderFromContext(ctx); r != nil {
			r.SetRequestCost("interceptor", 1)
		}
		return h(ctx, req)
	}
	streamInt := func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if r := orca.CallMetricsRecorderFromContext(ss.Context()); r != nil {
			r.SetRequestCost("interceptor", 1)
		}
		return h(srv, ss)
	}
	s := &recordingServer{record: func(r orca.CallMetricsRecorder) { r.SetRequestCost("handler", 2) }}
	c, stop := startServer(t, s, orca.CallMetricsServerOption(nil),
		grpc.ChainUnaryInterceptor(unaryInt), grpc.ChainStreamInterceptor(streamInt))
	defer stop()
	want := &v3orcapb.OrcaLoadReport{RequestCost: map[string]float64{"interceptor": 1, "handler": 2}}
	u, st := trailers(t, c)
	for name, md := range map[string]metadata.MD{"unary": u, "streaming": st} {
		if got := reportIn(t, md); !proto.Equal(got, want) {
			t.Errorf("%s report = %v, want %v", name, got, want)
		}
	}
}
