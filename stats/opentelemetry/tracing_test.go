package opentelemetry_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	experimental "google.golang.org/grpc/experimental/opentelemetry"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/stats/opentelemetry"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const (
	unaryMethod  = "grpc.e2e.TestService.Unary"
	duplexMethod = "grpc.e2e.TestService.FullDuplex"
)

// traceEnv is a server and a client both tracing into one in-memory
// exporter.
type traceEnv struct {
	exp    *tracetest.InMemoryExporter
	cc     *grpc.ClientConn
	client testpb.TestServiceClient
	stop   func()
}

func setupTracing(t *testing.T, prop propagation.TextMapPropagator) *traceEnv {
	t.Helper()
	return setupTracingWith(t, opentelemetry.Options{}, prop, testServer{})
}

// setupTracingWith is setupTracing with the caller's server, extra dial
// options, and Options to add the tracing ones to.
func setupTracingWith(t *testing.T, o opentelemetry.Options, prop propagation.TextMapPropagator, ts testServer, dopts ...grpc.DialOption) *traceEnv {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	o.TraceOptions = experimental.TraceOptions{TracerProvider: tp, TextMapPropagator: prop}

	lis, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opentelemetry.ServerOption(o))
	testpb.RegisterTestServiceServer(srv, ts)
	go srv.Serve(lis)
	dopts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), opentelemetry.DialOption(o)}, dopts...)
	cc, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), dopts...)
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	return &traceEnv{
		exp:    exp,
		cc:     cc,
		client: testpb.NewTestServiceClient(cc),
		stop: func() {
			cc.Close()
			srv.Stop()
			tp.Shutdown(context.Background())
		},
	}
}

// waitSpans waits for n ended spans (the server span may end after the
// client saw the call's status) and returns them by name.
func (e *traceEnv) waitSpans(t *testing.T, n int) map[string]tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans := e.exp.GetSpans()
		if len(spans) >= n {
			if len(spans) > n {
				t.Errorf("got %d spans, want %d", len(spans), n)
			}
			out := map[string]tracetest.SpanStub{}
			for _, s := range spans {
				out[s.Name] = s
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d spans, want %d: %v", len(spans), n, spans)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func getSpan(t *testing.T, spans map[string]tracetest.SpanStub, name string) tracetest.SpanStub {
	t.Helper()
	s, ok := spans[name]
	if !ok {
		t.Fatalf("no span %q among %d spans", name, len(spans))
	}
	return s
}

// checkTree checks the names, kinds and parent links of the three spans of
// a call and returns them.
func checkTree(t *testing.T, spans map[string]tracetest.SpanStub, method string) (call, attempt, server tracetest.SpanStub) {
	t.Helper()
	call = getSpan(t, spans, "Sent."+method)
	attempt = getSpan(t, spans, "Attempt."+method)
	server = getSpan(t, spans, "Recv."+method)
	if call.SpanKind != oteltrace.SpanKindClient {
		t.Errorf("call span kind = %v, want client", call.SpanKind)
	}
	if attempt.SpanKind != oteltrace.SpanKindInternal {
		t.Errorf("attempt span kind = %v, want internal", attempt.SpanKind)
	}
	if server.SpanKind != oteltrace.SpanKindServer {
		t.Errorf("server span kind = %v, want server", server.SpanKind)
	}
	if call.Parent.IsValid() {
		t.Errorf("call span has parent %v, want none", call.Parent)
	}
	if attempt.Parent.SpanID() != call.SpanContext.SpanID() {
		t.Errorf("attempt span parent = %v, want the call span %v", attempt.Parent.SpanID(), call.SpanContext.SpanID())
	}
	if server.Parent.SpanID() != attempt.SpanContext.SpanID() || !server.Parent.IsRemote() {
		t.Errorf("server span parent = %v (remote %v), want the remote attempt span %v", server.Parent.SpanID(), server.Parent.IsRemote(), attempt.SpanContext.SpanID())
	}
	tid := call.SpanContext.TraceID()
	if attempt.SpanContext.TraceID() != tid || server.SpanContext.TraceID() != tid {
		t.Errorf("trace ids differ: call %v, attempt %v, server %v", tid, attempt.SpanContext.TraceID(), server.SpanContext.TraceID())
	}
	for _, s := range []tracetest.SpanStub{call, attempt, server} {
		if s.InstrumentationScope.Name != "grpc-go" {
			t.Errorf("span %q scope = %q, want grpc-go", s.Name, s.InstrumentationScope.Name)
		}
	}
	return call, attempt, server
}

// checkMessages checks that span s has exactly the message events of
// name with sequence numbers 0..len(sizes)-1 and the given sizes.
func checkMessages(t *testing.T, s tracetest.SpanStub, name string, sizes []int64) {
	t.Helper()
	var seq int64
	for _, ev := range s.Events {
		if ev.Name != name {
			continue
		}
		got := map[attribute.Key]attribute.Value{}
		for _, kv := range ev.Attributes {
			got[kv.Key] = kv.Value
		}
		if seq >= int64(len(sizes)) {
			t.Errorf("span %q: extra %q event %v", s.Name, name, ev.Attributes)
			continue
		}
		if v := got["sequence-number"]; v.AsInt64() != seq {
			t.Errorf("span %q: %q event sequence-number = %v, want %d", s.Name, name, v.String(), seq)
		}
		if v := got["message-size"]; v.AsInt64() != sizes[seq] {
			t.Errorf("span %q: %q event %d message-size = %v, want %d", s.Name, name, seq, v.String(), sizes[seq])
		}
		if _, ok := got["message-size-compressed"]; ok {
			t.Errorf("span %q: uncompressed message has message-size-compressed", s.Name)
		}
		seq++
	}
	if seq != int64(len(sizes)) {
		t.Errorf("span %q: %d %q events, want %d", s.Name, seq, name, len(sizes))
	}
}

func checkStatus(t *testing.T, s tracetest.SpanStub, code otelcodes.Code, desc string) {
	t.Helper()
	if s.Status.Code != code {
		t.Errorf("span %q status = %v, want %v", s.Name, s.Status.Code, code)
	}
	if code == otelcodes.Error && s.Status.Description != desc {
		t.Errorf("span %q status description = %q, want %q", s.Name, s.Status.Description, desc)
	}
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestTracingUnary(t *testing.T) {
	defer leakcheck.Check(t)
	for _, tc := range []struct {
		name string
		prop propagation.TextMapPropagator
	}{
		{"grpc-trace-bin", opentelemetry.GRPCTraceBinPropagator{}},
		{"w3c", propagation.TraceContext{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setupTracing(t, tc.prop)
			defer e.stop()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req := &testpb.Request{Payload: &testpb.Payload{Body: make([]byte, 10)}, ResponseSize: 20}
			if _, err := e.client.Unary(ctx, req); err != nil {
				t.Fatalf("Unary: %v", err)
			}
			call, attempt, server := checkTree(t, e.waitSpans(t, 3), unaryMethod)
			for _, s := range []tracetest.SpanStub{call, attempt, server} {
				checkStatus(t, s, otelcodes.Ok, "")
			}
			reqSize := int64(len(mustMarshal(t, req)))
			respSize := int64(len(mustMarshal(t, &testpb.Response{Payload: &testpb.Payload{Body: make([]byte, 20)}})))
			checkMessages(t, attempt, "Outbound message", []int64{reqSize})
			checkMessages(t, attempt, "Inbound message", []int64{respSize})
			checkMessages(t, server, "Inbound message", []int64{reqSize})
			checkMessages(t, server, "Outbound message", []int64{respSize})
			if len(call.Events) != 0 {
				t.Errorf("call span events = %v, want none", call.Events)
			}
			a := attrMap(attempt.Attributes)
			if v, ok := a["previous-rpc-attempts"]; !ok || v.AsInt64() != 0 {
				t.Errorf("attempt previous-rpc-attempts = %v, want 0", v.String())
			}
			if v, ok := a["transparent-retry"]; !ok || v.AsBool() {
				t.Errorf("attempt transparent-retry = %v, want false", v.String())
			}
		})
	}
}

func TestTracingUnaryError(t *testing.T) {
	defer leakcheck.Check(t)
	e := setupTracing(t, opentelemetry.GRPCTraceBinPropagator{})
	defer e.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := &testpb.Request{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "no such thing"}}
	if _, err := e.client.Unary(ctx, req); status.Code(err) != codes.NotFound {
		t.Fatalf("Unary: %v, want NotFound", err)
	}
	call, attempt, server := checkTree(t, e.waitSpans(t, 3), unaryMethod)
	for _, s := range []tracetest.SpanStub{call, attempt, server} {
		checkStatus(t, s, otelcodes.Error, "no such thing")
	}
	checkMessages(t, attempt, "Inbound message", nil)
	checkMessages(t, server, "Outbound message", nil)
}

func TestTracingStreaming(t *testing.T) {
	defer leakcheck.Check(t)
	e := setupTracing(t, propagation.TraceContext{})
	defer e.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var reqSizes, respSizes []int64
	for i := range 3 {
		req := &testpb.Request{Payload: &testpb.Payload{Body: make([]byte, i+1)}, ResponseSize: int32(10 * (i + 1))}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		reqSizes = append(reqSizes, int64(len(mustMarshal(t, req))))
		respSizes = append(respSizes, int64(len(mustMarshal(t, &testpb.Response{Payload: &testpb.Payload{Body: make([]byte, 10*(i+1))}}))))
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err == nil {
		t.Fatal("Recv after CloseSend succeeded, want io.EOF")
	}
	call, attempt, server := checkTree(t, e.waitSpans(t, 3), duplexMethod)
	for _, s := range []tracetest.SpanStub{call, attempt, server} {
		checkStatus(t, s, otelcodes.Ok, "")
	}
	checkMessages(t, attempt, "Outbound message", reqSizes)
	checkMessages(t, attempt, "Inbound message", respSizes)
	checkMessages(t, server, "Inbound message", reqSizes)
	checkMessages(t, server, "Outbound message", respSizes)
}

// TestTracingParentFromApplication checks that the call span is a child of
// the span in the caller's context.
func TestTracingParentFromApplication(t *testing.T) {
	defer leakcheck.Check(t)
	e := setupTracing(t, opentelemetry.GRPCTraceBinPropagator{})
	defer e.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	ctx, parent := tp.Tracer("app").Start(ctx, "parent")
	defer parent.End()
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary: %v", err)
	}
	spans := e.waitSpans(t, 3)
	call := getSpan(t, spans, "Sent."+unaryMethod)
	if call.Parent.SpanID() != parent.SpanContext().SpanID() || call.SpanContext.TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("call span parent = %v, want the application's span %v", call.Parent, parent.SpanContext())
	}
	server := getSpan(t, spans, "Recv."+unaryMethod)
	if server.SpanContext.TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("server span trace = %v, want %v", server.SpanContext.TraceID(), parent.SpanContext().TraceID())
	}
}

// TestTracingUnknownMethod checks the spans of a call to a method the
// server does not serve: the client records its spans with the error; the
// server, as grpc-go's, reports no End for such calls, so its span is never
// ended (and never exported).
func TestTracingUnknownMethod(t *testing.T) {
	defer leakcheck.Check(t)
	e := setupTracing(t, opentelemetry.GRPCTraceBinPropagator{})
	defer e.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.cc.Invoke(ctx, "/grpc.e2e.TestService/Nope", &testpb.Request{}, &testpb.Response{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("Invoke: %v, want Unimplemented", err)
	}
	spans := e.waitSpans(t, 2)
	const desc = "unknown method Nope for service grpc.e2e.TestService"
	call := getSpan(t, spans, "Sent.grpc.e2e.TestService.Nope")
	attempt := getSpan(t, spans, "Attempt.grpc.e2e.TestService.Nope")
	checkStatus(t, call, otelcodes.Error, desc)
	checkStatus(t, attempt, otelcodes.Error, desc)
	if attempt.Parent.SpanID() != call.SpanContext.SpanID() {
		t.Errorf("attempt span parent = %v, want the call span %v", attempt.Parent.SpanID(), call.SpanContext.SpanID())
	}
}

// TestTracingRetries checks a call retried twice, with metrics recorded
// too: one call span with three attempt spans below it, numbered by
// previous-rpc-attempts, each the parent of one server span.
func TestTracingRetries(t *testing.T) {
	defer leakcheck.Check(t)
	failures := new(atomic.Int32)
	failures.Store(2)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	o := opentelemetry.Options{MetricsOptions: opentelemetry.MetricsOptions{MeterProvider: mp}}
	e := setupTracingWith(t, o, opentelemetry.GRPCTraceBinPropagator{}, testServer{failures: failures},
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
	defer e.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary: %v", err)
	}
	e.waitSpans(t, 7)
	var call tracetest.SpanStub
	attempts := map[int64]tracetest.SpanStub{}
	servers := map[oteltrace.SpanID]tracetest.SpanStub{}
	for _, s := range e.exp.GetSpans() {
		switch s.Name {
		case "Sent." + unaryMethod:
			call = s
		case "Attempt." + unaryMethod:
			attempts[attrMap(s.Attributes)["previous-rpc-attempts"].AsInt64()] = s
		case "Recv." + unaryMethod:
			servers[s.Parent.SpanID()] = s
		default:
			t.Errorf("unexpected span %q", s.Name)
		}
	}
	checkStatus(t, call, otelcodes.Ok, "")
	for i := range int64(3) {
		a, ok := attempts[i]
		if !ok {
			t.Errorf("no attempt span with previous-rpc-attempts %d", i)
			continue
		}
		if a.Parent.SpanID() != call.SpanContext.SpanID() {
			t.Errorf("attempt %d parent = %v, want the call span", i, a.Parent.SpanID())
		}
		srv, ok := servers[a.SpanContext.SpanID()]
		if !ok {
			t.Errorf("no server span below attempt %d", i)
			continue
		}
		if i < 2 {
			checkStatus(t, a, otelcodes.Error, "try again")
			checkStatus(t, srv, otelcodes.Error, "try again")
		} else {
			checkStatus(t, a, otelcodes.Ok, "")
			checkStatus(t, srv, otelcodes.Ok, "")
		}
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
