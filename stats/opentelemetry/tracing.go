package opentelemetry

import (
	"context"
	"strings"
	"sync/atomic"

	otelattribute "go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	oteltrace "go.opentelemetry.io/otel/trace"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// The tracing side follows gRFC A72: a client span per call ("Sent.*"), a
// span per attempt below it ("Attempt.*") whose context goes to the server
// in the request metadata, and a server span per call ("Recv.*"), child of
// the attempt span when the propagated context could be read.

// instrumentationName names the tracer the spans come from.
const instrumentationName = "grpc-go"

// The names of the span events.
const (
	eventNameResolutionDelayed = "Delayed name resolution complete"
	eventPickDelayed           = "Delayed LB pick complete"
	eventInboundMessage        = "Inbound message"
	eventOutboundMessage       = "Outbound message"
)

func (o *Options) tracingEnabled() bool {
	return o.TraceOptions.TracerProvider != nil
}

func tracerFor(o Options) oteltrace.Tracer {
	return o.TraceOptions.TracerProvider.Tracer(instrumentationName, oteltrace.WithInstrumentationVersion(grpc.Version))
}

// spanName turns "/pkg.Service/Method" into prefix + "pkg.Service.Method".
func spanName(prefix, method string) string {
	return prefix + strings.ReplaceAll(trimMethod(method), "/", ".")
}

// spanState is the per-span data the message events need: one sequence
// counter per direction, both starting at zero.
type spanState struct {
	span oteltrace.Span
	sent atomic.Int64
	rcvd atomic.Int64
}

// record turns the stats events common to client attempts and server calls
// into span events, and ends the span on End.
func (s *spanState) record(rs stats.RPCStats) {
	switch e := rs.(type) {
	case *stats.DelayedPickComplete:
		s.span.AddEvent(eventPickDelayed)
	case *stats.InPayload:
		s.span.AddEvent(eventInboundMessage, oteltrace.WithAttributes(messageAttrs(s.rcvd.Add(1)-1, e.Length, e.CompressedLength)...))
	case *stats.OutPayload:
		s.span.AddEvent(eventOutboundMessage, oteltrace.WithAttributes(messageAttrs(s.sent.Add(1)-1, e.Length, e.CompressedLength)...))
	case *stats.End:
		if e.Error != nil {
			s.span.SetStatus(otelcodes.Error, status.Convert(e.Error).Message())
		} else {
			s.span.SetStatus(otelcodes.Ok, "Ok")
		}
		s.span.End()
	}
}

// messageAttrs are the attributes of a message event; the compressed size
// appears only when compression changed it.
func messageAttrs(seq int64, size, compressed int) []otelattribute.KeyValue {
	kvs := []otelattribute.KeyValue{
		otelattribute.Int64("sequence-number", seq),
		otelattribute.Int64("message-size", int64(size)),
	}
	if compressed != size {
		kvs = append(kvs, otelattribute.Int64("message-size-compressed", int64(compressed)))
	}
	return kvs
}

// mdCarrier adapts metadata to the OpenTelemetry TextMapCarrier. Reads take
// the last value of a key.
type mdCarrier metadata.MD

func (c mdCarrier) Get(key string) string {
	v := metadata.MD(c).Get(key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func (c mdCarrier) Set(key, value string) {
	metadata.MD(c).Append(key, value)
}

func (c mdCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// clientTracingHandler records the client spans: its interceptors the call
// spans, its stats.Handler side the attempt spans.
type clientTracingHandler struct {
	opts   Options
	tracer oteltrace.Tracer
}

func newClientTracingHandler(o Options) *clientTracingHandler {
	return &clientTracingHandler{opts: o, tracer: tracerFor(o)}
}

// traceCall is the tracing state of a call, shared by its attempts through
// the context.
type traceCall struct {
	attempts          atomic.Int64 // attempts begun so far
	resolutionEventOn atomic.Bool  // the name resolution event was added
}

type traceCallKey struct{}

type traceAttemptKey struct{}

func (h *clientTracingHandler) startCall(ctx context.Context, method string) (context.Context, oteltrace.Span) {
	ctx = context.WithValue(ctx, traceCallKey{}, &traceCall{})
	return h.tracer.Start(ctx, spanName("Sent.", method), oteltrace.WithSpanKind(oteltrace.SpanKindClient))
}

// endCall sets the call span's status from the call's error and ends it.
func endCall(span oteltrace.Span, err error) {
	s := status.Convert(err)
	if s.Code() == codes.OK {
		span.SetStatus(otelcodes.Ok, s.Message())
	} else {
		span.SetStatus(otelcodes.Error, s.Message())
	}
	span.End()
}

func (h *clientTracingHandler) unaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	ctx, span := h.startCall(ctx, method)
	err := invoker(ctx, method, req, reply, cc, opts...)
	endCall(span, err)
	return err
}

func (h *clientTracingHandler) streamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	ctx, span := h.startCall(ctx, method)
	done := grpc.OnFinish(func(err error) { endCall(span, err) })
	return streamer(ctx, desc, cc, method, append([]grpc.CallOption{done}, opts...)...)
}

// TagConn returns ctx unchanged.
func (h *clientTracingHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn ignores connection events.
func (h *clientTracingHandler) HandleConn(context.Context, stats.ConnStats) {}

// TagRPC starts the span of a new attempt, as a child of the call span, and
// puts its context in the attempt's outgoing metadata.
func (h *clientTracingHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	c, ok := ctx.Value(traceCallKey{}).(*traceCall)
	if !ok {
		logger.Error("client tracing: attempt without call state in its context")
		return ctx
	}
	if info.NameResolutionDelay && !c.resolutionEventOn.Swap(true) {
		if cs := oteltrace.SpanFromContext(ctx); cs.SpanContext().IsValid() {
			cs.AddEvent(eventNameResolutionDelayed)
		}
	}
	ctx, span := h.tracer.Start(ctx, spanName("Attempt.", info.FullMethodName))
	if p := h.opts.TraceOptions.TextMapPropagator; p != nil {
		md, _ := metadata.FromOutgoingContext(ctx)
		md = md.Copy()
		if md == nil {
			md = metadata.MD{}
		}
		p.Inject(ctx, mdCarrier(md))
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	return context.WithValue(ctx, traceAttemptKey{}, &spanState{span: span})
}

// HandleRPC records the events of an attempt on its span.
func (h *clientTracingHandler) HandleRPC(ctx context.Context, rs stats.RPCStats) {
	s, ok := ctx.Value(traceAttemptKey{}).(*spanState)
	if !ok {
		return // TagRPC already complained
	}
	if b, ok := rs.(*stats.Begin); ok {
		if c, ok := ctx.Value(traceCallKey{}).(*traceCall); ok {
			s.span.SetAttributes(
				otelattribute.Int64("previous-rpc-attempts", c.attempts.Add(1)-1),
				otelattribute.Bool("transparent-retry", b.IsTransparentRetryAttempt),
			)
		}
	}
	s.record(rs)
}

// serverTracingHandler records the server spans.
type serverTracingHandler struct {
	opts   Options
	tracer oteltrace.Tracer
}

func newServerTracingHandler(o Options) *serverTracingHandler {
	return &serverTracingHandler{opts: o, tracer: tracerFor(o)}
}

type traceServerKey struct{}

// TagConn returns ctx unchanged.
func (h *serverTracingHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn ignores connection events.
func (h *serverTracingHandler) HandleConn(context.Context, stats.ConnStats) {}

// TagRPC starts the server span of a call, as a child of the client's
// attempt span when its context arrived in the request metadata.
func (h *serverTracingHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	method := info.FullMethodName
	if f := h.opts.MetricsOptions.MethodAttributeFilter; f != nil && !f(method) {
		method = "other"
	}
	if p := h.opts.TraceOptions.TextMapPropagator; p != nil {
		md, _ := metadata.FromIncomingContext(ctx)
		ctx = p.Extract(ctx, mdCarrier(md))
	}
	ctx, span := h.tracer.Start(ctx, spanName("Recv.", method), oteltrace.WithSpanKind(oteltrace.SpanKindServer))
	return context.WithValue(ctx, traceServerKey{}, &spanState{span: span})
}

// HandleRPC records the events of a server call on its span.
func (h *serverTracingHandler) HandleRPC(ctx context.Context, rs stats.RPCStats) {
	s, ok := ctx.Value(traceServerKey{}).(*spanState)
	if !ok {
		logger.Error("server tracing: stats event without span in its context")
		return
	}
	s.record(rs)
}
