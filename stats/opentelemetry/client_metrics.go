package opentelemetry

import (
	"context"
	"sync/atomic"
	"time"

	otelattribute "go.opentelemetry.io/otel/attribute"
	otelmetric "go.opentelemetry.io/otel/metric"

	"google.golang.org/grpc"
	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// clientMetricsHandler records the client metrics. Its interceptors see
// whole calls; as a stats.Handler it sees every attempt of them.
type clientMetricsHandler struct {
	*registryRecorder
	opts Options

	attemptStarted  otelmetric.Int64Counter
	attemptDuration otelmetric.Float64Histogram
	attemptSent     otelmetric.Int64Histogram
	attemptRcvd     otelmetric.Int64Histogram
	callDuration    otelmetric.Float64Histogram
}

func newClientMetricsHandler(o Options) *clientMetricsHandler {
	meter, enabled := meterFor(o)
	return &clientMetricsHandler{
		registryRecorder: newRegistryRecorder(meter, enabled, o.MetricsOptions.OptionalLabels),
		opts:             o,
		attemptStarted:   int64Counter(enabled, meter, ClientAttemptStartedMetricName, "{attempt}", "Number of client call attempts started."),
		attemptDuration:  float64Histogram(enabled, meter, ClientAttemptDurationMetricName, "s", "End-to-end time taken to complete a client call attempt.", DefaultLatencyBounds),
		attemptSent:      int64Histogram(enabled, meter, ClientAttemptSentCompressedTotalMessageSizeMetricName, "By", "Compressed message bytes sent per client call attempt.", DefaultSizeBounds),
		attemptRcvd:      int64Histogram(enabled, meter, ClientAttemptRcvdCompressedTotalMessageSizeMetricName, "By", "Compressed message bytes received per call attempt.", DefaultSizeBounds),
		callDuration:     float64Histogram(enabled, meter, ClientCallDurationMetricName, "s", "Time taken by gRPC to complete an RPC from application's perspective.", DefaultLatencyBounds),
	}
}

// clientCall is what the interceptors learn about a call, shared by all its
// attempts through the call's context.
type clientCall struct {
	target string
	method string
}

type clientCallKey struct{}

// clientAttempt is the state of one attempt, kept in the context TagRPC
// returns.
type clientAttempt struct {
	call  *clientCall
	start time.Time
	sent  atomic.Int64 // compressed message bytes sent
	rcvd  atomic.Int64 // compressed message bytes received
}

type clientAttemptKey struct{}

// callMethod is the grpc.method attribute of a call: the method name for
// calls marked with grpc.StaticMethod(), "other" for the rest.
func callMethod(method string, opts []grpc.CallOption) string {
	for _, o := range opts {
		if _, ok := o.(grpc.StaticMethodCallOption); ok {
			return trimMethod(method)
		}
	}
	return "other"
}

func (h *clientMetricsHandler) startCall(ctx context.Context, cc *grpc.ClientConn, method string, opts []grpc.CallOption) (context.Context, *clientCall) {
	if c, ok := ctx.Value(clientCallKey{}).(*clientCall); ok {
		return ctx, c // an outer instance already set it up
	}
	c := &clientCall{target: cc.CanonicalTarget(), method: callMethod(method, opts)}
	return context.WithValue(ctx, clientCallKey{}, c), c
}

func (h *clientMetricsHandler) unaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	ctx, c := h.startCall(ctx, cc, method, opts)
	start := time.Now()
	err := invoker(ctx, method, req, reply, cc, opts...)
	h.callDone(ctx, c, start, err)
	return err
}

func (h *clientMetricsHandler) streamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	ctx, c := h.startCall(ctx, cc, method, opts)
	start := time.Now()
	done := grpc.OnFinish(func(err error) { h.callDone(ctx, c, start, err) })
	return streamer(ctx, desc, cc, method, append([]grpc.CallOption{done}, opts...)...)
}

// callDone records grpc.client.call.duration.
func (h *clientMetricsHandler) callDone(ctx context.Context, c *clientCall, start time.Time, err error) {
	kvs := []otelattribute.KeyValue{
		otelattribute.String("grpc.method", c.method),
		otelattribute.String("grpc.target", c.target),
		otelattribute.String("grpc.status", statusName(status.Code(err))),
	}
	kvs = customLabel(ctx, h.opts.MetricsOptions.OptionalLabels, kvs)
	h.callDuration.Record(ctx, time.Since(start).Seconds(), attrs(kvs...))
}

// TagConn returns ctx unchanged.
func (h *clientMetricsHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn ignores connection events.
func (h *clientMetricsHandler) HandleConn(context.Context, stats.ConnStats) {}

// TagRPC starts the state of a new attempt.
func (h *clientMetricsHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	c, ok := ctx.Value(clientCallKey{}).(*clientCall)
	if !ok {
		// Not seen by the interceptors (they were bypassed somehow):
		// record without the call's details.
		c = &clientCall{method: "other"}
	}
	return context.WithValue(ctx, clientAttemptKey{}, &clientAttempt{call: c, start: time.Now()})
}

// HandleRPC updates the attempt's state and records its metrics.
func (h *clientMetricsHandler) HandleRPC(ctx context.Context, s stats.RPCStats) {
	a, ok := ctx.Value(clientAttemptKey{}).(*clientAttempt)
	if !ok {
		logger.Error("client stats event without attempt state in its context")
		return
	}
	switch e := s.(type) {
	case *stats.Begin:
		kvs := []otelattribute.KeyValue{
			otelattribute.String("grpc.method", a.call.method),
			otelattribute.String("grpc.target", a.call.target),
		}
		kvs = customLabel(ctx, h.opts.MetricsOptions.OptionalLabels, kvs)
		h.attemptStarted.Add(ctx, 1, attrs(kvs...))
	case *stats.OutPayload:
		a.sent.Add(int64(e.CompressedLength))
	case *stats.InPayload:
		a.rcvd.Add(int64(e.CompressedLength))
	case *stats.End:
		h.attemptDone(ctx, a, e)
	}
}

func (h *clientMetricsHandler) attemptDone(ctx context.Context, a *clientAttempt, e *stats.End) {
	kvs := []otelattribute.KeyValue{
		otelattribute.String("grpc.method", a.call.method),
		otelattribute.String("grpc.target", a.call.target),
		otelattribute.String("grpc.status", statusName(status.Code(e.Error))),
	}
	for _, o := range h.opts.MetricsOptions.OptionalLabels {
		switch o {
		case "grpc.lb.locality", "grpc.lb.backend_service":
			// No load balancing policy reports these yet.
			kvs = append(kvs, otelattribute.String(o, ""))
		case customLabelKey:
			kvs = append(kvs, otelattribute.String(o, estats.CustomLabelFromContext(ctx)))
		}
	}
	opt := attrs(kvs...)
	h.attemptSent.Record(ctx, a.sent.Load(), opt)
	h.attemptRcvd.Record(ctx, a.rcvd.Load(), opt)
	h.attemptDuration.Record(ctx, time.Since(a.start).Seconds(), opt)
}
