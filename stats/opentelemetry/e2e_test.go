package opentelemetry_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/stats/opentelemetry"
	"google.golang.org/grpc/status"
)

type testServer struct {
	testpb.UnimplementedTestServiceServer
	// failures, when set, is how many Unary calls fail with UNAVAILABLE
	// before the others succeed.
	failures *atomic.Int32
}

func (s testServer) Unary(_ context.Context, in *testpb.Request) (*testpb.Response, error) {
	if s.failures != nil && s.failures.Add(-1) >= 0 {
		return nil, status.Error(codes.Unavailable, "try again")
	}
	if s := in.GetResponseStatus(); s != nil {
		return nil, status.Error(codes.Code(s.GetCode()), s.GetMessage())
	}
	return &testpb.Response{Payload: &testpb.Payload{Body: make([]byte, in.GetResponseSize())}}, nil
}

func (testServer) FullDuplex(stream grpc.BidiStreamingServer[testpb.Request, testpb.Response]) error {
	for {
		in, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&testpb.Response{Payload: &testpb.Payload{Body: make([]byte, in.GetResponseSize())}}); err != nil {
			return err
		}
	}
}

type env struct {
	cc     *grpc.ClientConn
	client testpb.TestServiceClient
	target string
	reader *sdkmetric.ManualReader
	stops  []func()
}

// close stops the client, the server and the MeterProvider.
func (e *env) close() {
	for i := len(e.stops) - 1; i >= 0; i-- {
		e.stops[i]()
	}
}

// setup starts a server and a client sharing one ManualReader and returns
// them; e.close stops them.
func setup(t *testing.T, mo opentelemetry.MetricsOptions) *env {
	t.Helper()
	return setupWith(t, mo, testServer{})
}

// setupWith is setup with a server of the caller's and extra dial options.
func setupWith(t *testing.T, mo opentelemetry.MetricsOptions, ts testServer, dopts ...grpc.DialOption) *env {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	e := &env{reader: reader}
	e.stops = append(e.stops, func() { mp.Shutdown(context.Background()) })
	mo.MeterProvider = mp

	lis, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opentelemetry.ServerOption(opentelemetry.Options{MetricsOptions: mo}))
	testpb.RegisterTestServiceServer(srv, ts)
	go srv.Serve(lis)
	e.stops = append(e.stops, srv.Stop)

	target := "passthrough:///" + lis.Addr().String()
	dopts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()),
		opentelemetry.DialOption(opentelemetry.Options{MetricsOptions: mo})}, dopts...)
	cc, err := grpc.NewClient(target, dopts...)
	if err != nil {
		e.close()
		t.Fatal(err)
	}
	e.stops = append(e.stops, func() { cc.Close() })
	e.cc, e.client, e.target = cc, testpb.NewTestServiceClient(cc), target
	return e
}

// collect returns the metrics recorded so far by name.
func (e *env) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != "grpc-go" {
			t.Errorf("scope name = %q, want grpc-go", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// attrKey renders an attribute set as "k=v,k=v" for comparisons.
func attrKey(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// counts returns, per attribute set, the value of a sum or the count of a
// histogram.
func counts(t *testing.T, m metricdata.Metrics) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out[attrKey(p.Attributes)] = p.Value
		}
	case metricdata.Histogram[int64]:
		for _, p := range d.DataPoints {
			out[attrKey(p.Attributes)] = int64(p.Count)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out[attrKey(p.Attributes)] = int64(p.Count)
		}
	default:
		t.Fatalf("%s: unexpected data type %T", m.Name, m.Data)
	}
	return out
}

func sameCounts(t *testing.T, name string, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", name, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", name, got, want)
			return
		}
	}
}

func TestMetricsEndToEnd(t *testing.T) {
	defer leakcheck.Check(t)
	e := setup(t, opentelemetry.MetricsOptions{})
	defer e.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const okCalls = 3
	for range okCalls {
		if _, err := e.client.Unary(ctx, &testpb.Request{ResponseSize: 100, Payload: &testpb.Payload{Body: make([]byte, 50)}}); err != nil {
			t.Fatalf("Unary: %v", err)
		}
	}
	_, err := e.client.Unary(ctx, &testpb.Request{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "nope"}})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("Unary = %v, want NotFound", err)
	}
	stream, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := stream.Send(&testpb.Request{ResponseSize: 10}); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv at end = %v", err)
	}
	// A call made without grpc.StaticMethod() is recorded as "other" on
	// the client.
	if err := e.cc.Invoke(ctx, testpb.TestService_Unary_FullMethodName, &testpb.Request{}, &testpb.Response{}); err != nil {
		t.Fatal(err)
	}
	// A method the server does not serve is not counted there.
	if err := e.cc.Invoke(ctx, "/no.Such/Method", &testpb.Request{}, &testpb.Response{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("unknown method: %v", err)
	}

	// The server records a call's End after the client may have seen its
	// status; wait for the last one (its duration is recorded last).
	var got map[string]metricdata.Metrics
	for deadline := time.Now().Add(5 * time.Second); ; {
		got = e.collect(t)
		// The server records a call's metrics after its status is on the
		// wire, so the client may be done first: wait for all of them.
		if pointCount[float64](got, opentelemetry.ServerCallDurationMetricName) == okCalls+3 &&
			pointCount[int64](got, opentelemetry.ServerCallSentCompressedTotalMessageSizeMetricName) == okCalls+3 &&
			pointCount[int64](got, opentelemetry.ServerCallRcvdCompressedTotalMessageSizeMetricName) == okCalls+3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not record all calls: %v", got[opentelemetry.ServerCallDurationMetricName])
		}
		time.Sleep(10 * time.Millisecond)
	}

	unary := "grpc.method=grpc.e2e.TestService/Unary"
	duplex := "grpc.method=grpc.e2e.TestService/FullDuplex"
	other := "grpc.method=other"
	tgt := "grpc.target=" + e.target
	st := func(s string) string { return "grpc.status=" + s }
	join := func(s ...string) string { sort.Strings(s); return strings.Join(s, ",") }

	for _, tc := range []struct {
		name, unit, desc string
		want             map[string]int64
	}{
		{opentelemetry.ClientAttemptStartedMetricName, "{attempt}", "Number of client call attempts started.",
			map[string]int64{join(unary, tgt): okCalls + 1, join(duplex, tgt): 1, join(other, tgt): 2}},
		{opentelemetry.ClientAttemptDurationMetricName, "s", "End-to-end time taken to complete a client call attempt.",
			map[string]int64{join(unary, tgt, st("OK")): okCalls, join(unary, tgt, st("NOT_FOUND")): 1, join(duplex, tgt, st("OK")): 1, join(other, tgt, st("OK")): 1, join(other, tgt, st("UNIMPLEMENTED")): 1}},
		{opentelemetry.ClientAttemptSentCompressedTotalMessageSizeMetricName, "By", "Compressed message bytes sent per client call attempt.",
			map[string]int64{join(unary, tgt, st("OK")): okCalls, join(unary, tgt, st("NOT_FOUND")): 1, join(duplex, tgt, st("OK")): 1, join(other, tgt, st("OK")): 1, join(other, tgt, st("UNIMPLEMENTED")): 1}},
		{opentelemetry.ClientAttemptRcvdCompressedTotalMessageSizeMetricName, "By", "Compressed message bytes received per call attempt.",
			map[string]int64{join(unary, tgt, st("OK")): okCalls, join(unary, tgt, st("NOT_FOUND")): 1, join(duplex, tgt, st("OK")): 1, join(other, tgt, st("OK")): 1, join(other, tgt, st("UNIMPLEMENTED")): 1}},
		{opentelemetry.ClientCallDurationMetricName, "s", "Time taken by gRPC to complete an RPC from application's perspective.",
			map[string]int64{join(unary, tgt, st("OK")): okCalls, join(unary, tgt, st("NOT_FOUND")): 1, join(duplex, tgt, st("OK")): 1, join(other, tgt, st("OK")): 1, join(other, tgt, st("UNIMPLEMENTED")): 1}},
		{opentelemetry.ServerCallStartedMetricName, "{call}", "Number of server calls started.",
			map[string]int64{unary: okCalls + 2, duplex: 1}},
		{opentelemetry.ServerCallDurationMetricName, "s", "End-to-end time taken to complete a call from server transport's perspective.",
			map[string]int64{join(unary, st("OK")): okCalls + 1, join(unary, st("NOT_FOUND")): 1, join(duplex, st("OK")): 1}},
		{opentelemetry.ServerCallSentCompressedTotalMessageSizeMetricName, "By", "Compressed message bytes sent per server call.",
			map[string]int64{join(unary, st("OK")): okCalls + 1, join(unary, st("NOT_FOUND")): 1, join(duplex, st("OK")): 1}},
		{opentelemetry.ServerCallRcvdCompressedTotalMessageSizeMetricName, "By", "Compressed message bytes received per server call.",
			map[string]int64{join(unary, st("OK")): okCalls + 1, join(unary, st("NOT_FOUND")): 1, join(duplex, st("OK")): 1}},
	} {
		m, ok := got[tc.name]
		if !ok {
			t.Errorf("metric %s not recorded", tc.name)
			continue
		}
		if m.Unit != tc.unit || m.Description != tc.desc {
			t.Errorf("%s: unit %q description %q, want %q %q", tc.name, m.Unit, m.Description, tc.unit, tc.desc)
		}
		sameCounts(t, tc.name, counts(t, m), tc.want)
	}

	// Sizes: a 50-byte body encodes to 52 bytes, a 100-byte one to 102.
	sizes := func(name, attrs string) (sum int64, bounds []float64) {
		for _, p := range got[name].Data.(metricdata.Histogram[int64]).DataPoints {
			if attrKey(p.Attributes) == attrs {
				return p.Sum, p.Bounds
			}
		}
		t.Fatalf("%s: no point %s", name, attrs)
		return 0, nil
	}
	if sum, bounds := sizes(opentelemetry.ClientAttemptSentCompressedTotalMessageSizeMetricName, join(unary, tgt, st("OK"))); sum != okCalls*(52+4) || len(bounds) != len(opentelemetry.DefaultSizeBounds) {
		t.Errorf("client sent bytes = %d (bounds %v), want %d", sum, bounds, okCalls*(52+4))
	}
	if sum, _ := sizes(opentelemetry.ClientAttemptRcvdCompressedTotalMessageSizeMetricName, join(unary, tgt, st("OK"))); sum != okCalls*104 {
		t.Errorf("client received bytes = %d, want %d", sum, okCalls*104)
	}
	if sum, _ := sizes(opentelemetry.ServerCallRcvdCompressedTotalMessageSizeMetricName, join(duplex, st("OK"))); sum != 2*2 {
		t.Errorf("server received bytes on the stream = %d, want 4", sum)
	}
	if sum, _ := sizes(opentelemetry.ServerCallSentCompressedTotalMessageSizeMetricName, join(duplex, st("OK"))); sum != 2*14 {
		t.Errorf("server sent bytes on the stream = %d, want 28", sum)
	}
	// Durations are positive and below the test's timeout; the buckets are
	// the latency bounds.
	for _, name := range []string{opentelemetry.ClientAttemptDurationMetricName, opentelemetry.ClientCallDurationMetricName, opentelemetry.ServerCallDurationMetricName} {
		for _, p := range got[name].Data.(metricdata.Histogram[float64]).DataPoints {
			if p.Sum <= 0 || p.Sum > 10*float64(p.Count) {
				t.Errorf("%s %s: sum %v for %d calls", name, attrKey(p.Attributes), p.Sum, p.Count)
			}
			if len(p.Bounds) != len(opentelemetry.DefaultLatencyBounds) {
				t.Errorf("%s: %d bounds, want %d", name, len(p.Bounds), len(opentelemetry.DefaultLatencyBounds))
			}
		}
	}
}

func TestMethodAttributeFilterAndMetricSelection(t *testing.T) {
	defer leakcheck.Check(t)
	e := setup(t, opentelemetry.MetricsOptions{
		Metrics: opentelemetry.DefaultMetrics().Remove(opentelemetry.ClientAttemptDurationMetricName),
		MethodAttributeFilter: func(m string) bool {
			return m != testpb.TestService_Unary_FullMethodName
		},
	})
	defer e.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatal(err)
	}
	var got map[string]metricdata.Metrics
	for deadline := time.Now().Add(5 * time.Second); ; {
		got = e.collect(t)
		if _, ok := got[opentelemetry.ServerCallDurationMetricName]; ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := got[opentelemetry.ClientAttemptDurationMetricName]; ok {
		t.Errorf("%s recorded although removed from the metric set", opentelemetry.ClientAttemptDurationMetricName)
	}
	sameCounts(t, "server started", counts(t, got[opentelemetry.ServerCallStartedMetricName]), map[string]int64{"grpc.method=other": 1})
	sameCounts(t, "server duration", counts(t, got[opentelemetry.ServerCallDurationMetricName]), map[string]int64{"grpc.method=other,grpc.status=OK": 1})
	// The filter is for the server only.
	sameCounts(t, "client started", counts(t, got[opentelemetry.ClientAttemptStartedMetricName]), map[string]int64{"grpc.method=grpc.e2e.TestService/Unary,grpc.target=" + e.target: 1})
}

// TestRetries checks that attempts and calls are told apart: a call retried
// twice is three attempts but one call.
func TestRetries(t *testing.T) {
	defer leakcheck.Check(t)
	failures := new(atomic.Int32)
	failures.Store(2)
	e := setupWith(t, opentelemetry.MetricsOptions{}, testServer{failures: failures},
		grpc.WithDefaultServiceConfig(`{"methodConfig": [{
			"name": [{"service": "grpc.e2e.TestService"}],
			"retryPolicy": {
				"maxAttempts": 3,
				"initialBackoff": "0.01s",
				"maxBackoff": "0.01s",
				"backoffMultiplier": 1,
				"retryableStatusCodes": ["UNAVAILABLE"]
			}
		}]}`))
	defer e.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary: %v", err)
	}
	got := e.collect(t)
	m := "grpc.method=grpc.e2e.TestService/Unary"
	tgt := "grpc.target=" + e.target
	sameCounts(t, "attempts started", counts(t, got[opentelemetry.ClientAttemptStartedMetricName]), map[string]int64{m + "," + tgt: 3})
	sameCounts(t, "attempt durations", counts(t, got[opentelemetry.ClientAttemptDurationMetricName]), map[string]int64{
		m + ",grpc.status=UNAVAILABLE," + tgt: 2,
		m + ",grpc.status=OK," + tgt:          1,
	})
	sameCounts(t, "call durations", counts(t, got[opentelemetry.ClientCallDurationMetricName]), map[string]int64{m + ",grpc.status=OK," + tgt: 1})
	// The call lasted at least as long as its attempts together.
	var attempts, call float64
	for _, p := range got[opentelemetry.ClientAttemptDurationMetricName].Data.(metricdata.Histogram[float64]).DataPoints {
		attempts += p.Sum
	}
	call = got[opentelemetry.ClientCallDurationMetricName].Data.(metricdata.Histogram[float64]).DataPoints[0].Sum
	if call < attempts {
		t.Errorf("call duration %v < sum of attempt durations %v", call, attempts)
	}
}

func TestNoMeterProvider(t *testing.T) {
	defer leakcheck.Check(t)
	// Without a MeterProvider the options change nothing.
	if _, ok := opentelemetry.DialOption(opentelemetry.Options{}).(grpc.EmptyDialOption); !ok {
		t.Error("DialOption without MeterProvider is not empty")
	}
	if _, ok := opentelemetry.ServerOption(opentelemetry.Options{}).(grpc.EmptyServerOption); !ok {
		t.Error("ServerOption without MeterProvider is not empty")
	}
}

// pointCount returns how many values the histogram metric name recorded.
func pointCount[N int64 | float64](got map[string]metricdata.Metrics, name string) uint64 {
	m, ok := got[name]
	if !ok {
		return 0
	}
	h, ok := m.Data.(metricdata.Histogram[N])
	if !ok {
		return 0
	}
	var n uint64
	for _, p := range h.DataPoints {
		n += p.Count
	}
	return n
}
