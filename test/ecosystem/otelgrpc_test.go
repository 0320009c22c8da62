package ecosystem

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/stats/opentelemetry"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// TestOtelgrpc runs otelgrpc's client and server stats handlers over this
// module, in its "rpc/dup" mode (both the old and the current semantic
// conventions). The trace context travels in grpc-trace-bin, through
// stats/opentelemetry's GRPCTraceBinPropagator.
func TestOtelgrpc(t *testing.T) {
	defer leakcheck.Check(t)
	t.Setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "rpc/dup")

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	opts := []otelgrpc.Option{
		otelgrpc.WithTracerProvider(tp),
		otelgrpc.WithMeterProvider(mp),
		otelgrpc.WithPropagators(opentelemetry.GRPCTraceBinPropagator{}),
		// otelgrpc v0.72 accepts this option but, by design, no longer
		// adds rpc.message span events; the test checks there are none.
		otelgrpc.WithMessageEvents(otelgrpc.ReceivedEvents, otelgrpc.SentEvents),
	}
	srv := echo{fn: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		if in.GetValue() == "fail" {
			return nil, status.Error(grpccodes.NotFound, "no such thing")
		}
		return in, nil
	}}
	cc, stop := start(t, srv,
		[]grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(opts...))},
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(opts...)))
	defer stop()
	ctx := testCtx(t)

	// A parent span of the application's, which the client span must be a
	// child of.
	ctx, parent := tp.Tracer("test").Start(ctx, "parent")
	if v, err := callEcho(ctx, cc, "hi"); err != nil || v != "hi" {
		t.Fatalf("Echo = %q, %v", v, err)
	}
	if _, err := callEcho(ctx, cc, "fail"); status.Code(err) != grpccodes.NotFound {
		t.Fatalf("Echo(fail) = %v", err)
	}
	stream, err := cc.NewStream(ctx, &echoDesc.Streams[0], echoBidiMethod)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"a", "b"} {
		if err := stream.SendMsg(wrapperspb.String(v)); err != nil {
			t.Fatal(err)
		}
		if err := stream.RecvMsg(new(wrapperspb.StringValue)); err != nil {
			t.Fatal(err)
		}
	}
	stream.CloseSend()
	if err := stream.RecvMsg(new(wrapperspb.StringValue)); err == nil {
		t.Fatal("stream did not end")
	}
	parent.End()

	// A server span ends when the server reports the call's end, which
	// may come just after the client saw the status.
	var byKind map[trace.SpanKind][]tracetest.SpanStub
	for deadline := time.Now().Add(5 * time.Second); ; {
		byKind = map[trace.SpanKind][]tracetest.SpanStub{}
		for _, s := range spans.GetSpans() {
			if s.SpanKind != trace.SpanKindInternal { // the application's span
				byKind[s.SpanKind] = append(byKind[s.SpanKind], s)
			}
		}
		if len(byKind[trace.SpanKindServer]) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(byKind[trace.SpanKindClient]) != 3 || len(byKind[trace.SpanKindServer]) != 3 {
		t.Fatalf("got %d client and %d server spans, want 3 and 3: %v", len(byKind[trace.SpanKindClient]), len(byKind[trace.SpanKindServer]), spans.GetSpans())
	}
	type key struct {
		kind trace.SpanKind
		name string
		code string
	}
	found := map[key]tracetest.SpanStub{}
	for kind, ss := range byKind {
		for _, s := range ss {
			a := attrMap(s.Attributes)
			found[key{kind, s.Name, a["rpc.response.status_code"]}] = s
			if a["rpc.system"] != "grpc" || a["rpc.system.name"] != "grpc" || a["rpc.service"] != echoService {
				t.Errorf("%v span %s: attributes %v", kind, s.Name, a)
			}
			if want := s.Name; a["rpc.method"] != want { // the current convention wins in dup mode
				t.Errorf("%v span %s: rpc.method = %q, want %q", kind, s.Name, a["rpc.method"], want)
			}
			if len(s.Events) != 0 {
				t.Errorf("%v span %s: unexpected events %v", kind, s.Name, s.Events)
			}
			if s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
				t.Errorf("%v span %s is not in the application's trace", kind, s.Name)
			}
		}
	}
	for _, k := range []key{
		{trace.SpanKindClient, "ecosystem.Echo/Echo", "OK"},
		{trace.SpanKindClient, "ecosystem.Echo/Echo", "NOT_FOUND"},
		{trace.SpanKindClient, "ecosystem.Echo/Chat", "OK"},
		{trace.SpanKindServer, "ecosystem.Echo/Echo", "OK"},
		{trace.SpanKindServer, "ecosystem.Echo/Echo", "NOT_FOUND"},
		{trace.SpanKindServer, "ecosystem.Echo/Chat", "OK"},
	} {
		s, ok := found[k]
		if !ok {
			t.Errorf("no %v span %s with status %s; spans: %v", k.kind, k.name, k.code, found)
			continue
		}
		// Clients mark every failed call as an error; servers do not
		// count NOT_FOUND as one of theirs.
		wantStatus := codes.Unset
		if k.code == "NOT_FOUND" && k.kind == trace.SpanKindClient {
			wantStatus = codes.Error
		}
		if s.Status.Code != wantStatus {
			t.Errorf("%v span %s %s has status %+v, want %v", k.kind, k.name, k.code, s.Status, wantStatus)
		}
		// Server spans are children of the client spans: the span context
		// crossed the wire in grpc-trace-bin.
		if k.kind == trace.SpanKindServer {
			c := found[key{trace.SpanKindClient, k.name, k.code}]
			if s.Parent.SpanID() != c.SpanContext.SpanID() || !s.Parent.IsRemote() {
				t.Errorf("server span %s %s: parent %v, want the client span %v", k.name, k.code, s.Parent.SpanID(), c.SpanContext.SpanID())
			}
		} else if s.Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("client span %s %s: parent %v, want the application's span", k.name, k.code, s.Parent.SpanID())
		}
	}

	// Metrics: one duration point per call, in both conventions. The
	// server records them right after ending its span.
	var calls map[string]uint64
	for deadline := time.Now().Add(5 * time.Second); ; {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		calls = map[string]uint64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
					for _, p := range h.DataPoints {
						calls[m.Name] += p.Count
					}
				}
			}
		}
		if calls["rpc.server.call.duration"] >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, name := range []string{"rpc.client.call.duration", "rpc.server.call.duration", "rpc.client.duration", "rpc.server.duration"} {
		if calls[name] != 3 {
			t.Errorf("%s counts %d calls, want 3 (all: %v)", name, calls[name], calls)
		}
	}
}
