package opentelemetry

import (
	"context"
	"sync/atomic"
	"time"

	otelattribute "go.opentelemetry.io/otel/attribute"
	otelmetric "go.opentelemetry.io/otel/metric"

	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// serverMetricsHandler records the server metrics as a stats.Handler.
type serverMetricsHandler struct {
	*registryRecorder
	opts Options

	callStarted  otelmetric.Int64Counter
	callSent     otelmetric.Int64Histogram
	callRcvd     otelmetric.Int64Histogram
	callDuration otelmetric.Float64Histogram
}

func newServerMetricsHandler(o Options) *serverMetricsHandler {
	meter, enabled := meterFor(o)
	return &serverMetricsHandler{
		registryRecorder: newRegistryRecorder(meter, enabled, o.MetricsOptions.OptionalLabels),
		opts:             o,
		callStarted:      int64Counter(enabled, meter, ServerCallStartedMetricName, "{call}", "Number of server calls started."),
		callSent:         int64Histogram(enabled, meter, ServerCallSentCompressedTotalMessageSizeMetricName, "By", "Compressed message bytes sent per server call.", DefaultSizeBounds),
		callRcvd:         int64Histogram(enabled, meter, ServerCallRcvdCompressedTotalMessageSizeMetricName, "By", "Compressed message bytes received per server call.", DefaultSizeBounds),
		callDuration:     float64Histogram(enabled, meter, ServerCallDurationMetricName, "s", "End-to-end time taken to complete a call from server transport's perspective.", DefaultLatencyBounds),
	}
}

// serverCall is the state of one server call, kept in the context TagRPC
// returns.
type serverCall struct {
	method string
	start  time.Time
	sent   atomic.Int64
	rcvd   atomic.Int64
}

type serverCallKey struct{}

// TagConn returns ctx unchanged.
func (h *serverMetricsHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn ignores connection events.
func (h *serverMetricsHandler) HandleConn(context.Context, stats.ConnStats) {}

// TagRPC starts the state of a new call.
func (h *serverMetricsHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	method := trimMethod(info.FullMethodName)
	if f := h.opts.MetricsOptions.MethodAttributeFilter; f != nil && !f(info.FullMethodName) {
		method = "other"
	}
	return context.WithValue(ctx, serverCallKey{}, &serverCall{method: method, start: time.Now()})
}

// HandleRPC updates the call's state and records its metrics.
func (h *serverMetricsHandler) HandleRPC(ctx context.Context, s stats.RPCStats) {
	c, ok := ctx.Value(serverCallKey{}).(*serverCall)
	if !ok {
		logger.Error("server stats event without call state in its context")
		return
	}
	switch e := s.(type) {
	case *stats.Begin:
		// Counted at Begin rather than at the request headers: the server
		// reports Begin only for calls it routed to a handler, so names of
		// methods it does not serve never become attribute values.
		h.callStarted.Add(ctx, 1, attrs(otelattribute.String("grpc.method", c.method)))
	case *stats.OutPayload:
		c.sent.Add(int64(e.CompressedLength))
	case *stats.InPayload:
		c.rcvd.Add(int64(e.CompressedLength))
	case *stats.End:
		opt := attrs(
			otelattribute.String("grpc.method", c.method),
			otelattribute.String("grpc.status", statusName(status.Code(e.Error))),
		)
		h.callSent.Record(ctx, c.sent.Load(), opt)
		h.callRcvd.Record(ctx, c.rcvd.Load(), opt)
		h.callDuration.Record(ctx, time.Since(c.start).Seconds(), opt)
	}
}
