// Package opentelemetry records the per-call metrics of gRFC A66 (and the
// metrics of the experimental/stats registry) for gRPC clients and servers
// on the OpenTelemetry metrics API, and the spans of gRFC A72 on the
// OpenTelemetry tracing API.
//
// Install it with DialOption on a ClientConn and ServerOption on a Server.
// The metric names, units and attributes are described at
// https://grpc.io/docs/guides/opentelemetry-metrics/.
package opentelemetry

import (
	"context"
	"google.golang.org/grpc/internal"
	"strconv"
	"strings"

	otelattribute "go.opentelemetry.io/otel/attribute"
	otelmetric "go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	experimental "google.golang.org/grpc/experimental/opentelemetry"
	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/stats"
)

var logger = grpclog.Component("otel-plugin")

// Options configure the OpenTelemetry instrumentation.
type Options struct {
	// MetricsOptions configure the metrics side.
	MetricsOptions MetricsOptions
	// TraceOptions configure the tracing side (gRFC A72): spans are
	// recorded when its TracerProvider is set.
	TraceOptions experimental.TraceOptions
}

// MetricsOptions configure which metrics get recorded, and where.
type MetricsOptions struct {
	// MeterProvider creates the instruments. Nothing is recorded when it is
	// nil.
	MeterProvider otelmetric.MeterProvider

	// Metrics names the metrics to record, per-call ones and registered
	// ones alike. DefaultMetrics() is used when it is nil.
	Metrics *stats.MetricSet

	// MethodAttributeFilter, when set, decides on the server which method
	// names may appear in the grpc.method attribute; the others are
	// recorded as "other". Every distinct value is a new time series, so
	// keep the accepted set small.
	//
	// Clients record the method name only for calls made with the
	// grpc.StaticMethod() call option (generated stubs pass it), and
	// "other" for the rest.
	MethodAttributeFilter func(string) bool

	// OptionalLabels lists the optional labels to attach to the metrics
	// that support them, such as "grpc.client.call.custom" or
	// "grpc.lb.locality".
	OptionalLabels []string
}

func (o *Options) metricsEnabled() bool {
	return o.MetricsOptions.MeterProvider != nil
}

// DialOption returns the option that instruments a ClientConn: pass it to
// grpc.NewClient. It records the client metrics of Options.MetricsOptions
// (attempt and call metrics) with the configured MeterProvider, and the
// call and attempt spans of Options.TraceOptions with the configured
// TracerProvider; with neither it changes nothing.
func DialOption(o Options) grpc.DialOption {
	var opts []grpc.DialOption
	if o.metricsEnabled() {
		h := newClientMetricsHandler(o)
		opts = append(opts,
			grpc.WithChainUnaryInterceptor(h.unaryInterceptor),
			grpc.WithChainStreamInterceptor(h.streamInterceptor),
			grpc.WithStatsHandler(h),
		)
	}
	if o.tracingEnabled() {
		h := newClientTracingHandler(o)
		opts = append(opts,
			grpc.WithChainUnaryInterceptor(h.unaryInterceptor),
			grpc.WithChainStreamInterceptor(h.streamInterceptor),
			grpc.WithStatsHandler(h),
		)
	}
	if len(opts) == 0 {
		return grpc.EmptyDialOption{}
	}
	return joinDialOptions(opts...)
}

// ServerOption returns the option that instruments a Server: pass it to
// grpc.NewServer. It records the server call metrics of
// Options.MetricsOptions with the configured MeterProvider, and the server
// spans of Options.TraceOptions with the configured TracerProvider; with
// neither it changes nothing.
func ServerOption(o Options) grpc.ServerOption {
	var opts []grpc.ServerOption
	if o.metricsEnabled() {
		opts = append(opts, grpc.StatsHandler(newServerMetricsHandler(o)))
	}
	if o.tracingEnabled() {
		opts = append(opts, grpc.StatsHandler(newServerTracingHandler(o)))
	}
	switch len(opts) {
	case 0:
		return grpc.EmptyServerOption{}
	case 1:
		return opts[0]
	}
	return internal.JoinServerOptions.(func(...grpc.ServerOption) grpc.ServerOption)(opts...)
}

// joinDialOptions applies several dial options as one, through the joiner
// the grpc package installs.
func joinDialOptions(opts ...grpc.DialOption) grpc.DialOption {
	return internal.JoinDialOptions.(func(...grpc.DialOption) grpc.DialOption)(opts...)
}

// The metric names of gRFC A66, client side.
const (
	// ClientAttemptStartedMetricName counts the call attempts a client
	// started.
	ClientAttemptStartedMetricName string = "grpc.client.attempt.started"
	// ClientAttemptDurationMetricName is the time a client call attempt
	// took, from its start to its status.
	ClientAttemptDurationMetricName string = "grpc.client.attempt.duration"
	// ClientAttemptSentCompressedTotalMessageSizeMetricName is the total
	// size of the (compressed) messages a client attempt sent.
	ClientAttemptSentCompressedTotalMessageSizeMetricName string = "grpc.client.attempt.sent_total_compressed_message_size"
	// ClientAttemptRcvdCompressedTotalMessageSizeMetricName is the total
	// size of the (compressed) messages a client attempt received.
	ClientAttemptRcvdCompressedTotalMessageSizeMetricName string = "grpc.client.attempt.rcvd_total_compressed_message_size"
	// ClientCallDurationMetricName is the time a whole call took as the
	// application saw it, retries included.
	ClientCallDurationMetricName string = "grpc.client.call.duration"
)

// The metric names of gRFC A66, server side.
const (
	// ServerCallStartedMetricName counts the calls a server started.
	ServerCallStartedMetricName string = "grpc.server.call.started"
	// ServerCallSentCompressedTotalMessageSizeMetricName is the total size
	// of the (compressed) messages a server call sent.
	ServerCallSentCompressedTotalMessageSizeMetricName string = "grpc.server.call.sent_total_compressed_message_size"
	// ServerCallRcvdCompressedTotalMessageSizeMetricName is the total size
	// of the (compressed) messages a server call received.
	ServerCallRcvdCompressedTotalMessageSizeMetricName string = "grpc.server.call.rcvd_total_compressed_message_size"
	// ServerCallDurationMetricName is the time a call took on the server,
	// as its transport saw it.
	ServerCallDurationMetricName string = "grpc.server.call.duration"
)

// The bucket boundaries the histograms ask for. They are passed to the
// OpenTelemetry API as advice only; an SDK MeterProvider may ignore advice,
// so configuring the same boundaries in views of the SDK is the safe way to
// get them.
var (
	// DefaultLatencyBounds are the boundaries, in seconds, of the duration
	// histograms.
	DefaultLatencyBounds = []float64{0, 0.00001, 0.00005, 0.0001, 0.0003, 0.0006, 0.0008, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.013, 0.016, 0.02, 0.025, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65, 0.8, 1, 2, 5, 10, 20, 50, 100}
	// DefaultSizeBounds are the boundaries, in bytes, of the message size
	// histograms.
	DefaultSizeBounds = []float64{0, 1024, 2048, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296}

	perCallMetrics = stats.NewMetricSet(
		ClientAttemptStartedMetricName,
		ClientAttemptDurationMetricName,
		ClientAttemptSentCompressedTotalMessageSizeMetricName,
		ClientAttemptRcvdCompressedTotalMessageSizeMetricName,
		ClientCallDurationMetricName,
		ServerCallStartedMetricName,
		ServerCallSentCompressedTotalMessageSizeMetricName,
		ServerCallRcvdCompressedTotalMessageSizeMetricName,
		ServerCallDurationMetricName,
	)
)

// DefaultMetrics returns the metrics recorded when MetricsOptions.Metrics
// is nil: every per-call metric of this package plus the registered
// metrics marked as default. Call it after init, once every metric has
// been registered.
func DefaultMetrics() *stats.MetricSet {
	return perCallMetrics.Join(estats.DefaultMetrics)
}

// statusName is the name of c as gRPC's specification spells it
// ("DEADLINE_EXCEEDED"), the form the grpc.status attribute uses.
func statusName(c codes.Code) string {
	if int(c) < len(statusNames) {
		return statusNames[c]
	}
	return "CODE(" + strconv.FormatUint(uint64(c), 10) + ")"
}

var statusNames = [...]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

func trimMethod(m string) string {
	return strings.TrimPrefix(m, "/")
}

// meterFor returns the Meter of the instrumentation and the metrics to
// record.
func meterFor(o Options) (otelmetric.Meter, map[string]bool) {
	m := o.MetricsOptions.Metrics
	if m == nil {
		m = DefaultMetrics()
	}
	return o.MetricsOptions.MeterProvider.Meter("grpc-go", otelmetric.WithInstrumentationVersion(grpc.Version)), m.Metrics()
}

// The instrument constructors below return a no-op instrument for a metric
// that is not enabled, or that the Meter refuses.

func int64Counter(enabled map[string]bool, m otelmetric.Meter, name, unit, desc string) otelmetric.Int64Counter {
	if enabled[name] {
		c, err := m.Int64Counter(name, otelmetric.WithUnit(unit), otelmetric.WithDescription(desc))
		if err == nil {
			return c
		}
		logger.Errorf("metric %q not recorded: %v", name, err)
	}
	return noop.Int64Counter{}
}

func float64Counter(enabled map[string]bool, m otelmetric.Meter, name, unit, desc string) otelmetric.Float64Counter {
	if enabled[name] {
		c, err := m.Float64Counter(name, otelmetric.WithUnit(unit), otelmetric.WithDescription(desc))
		if err == nil {
			return c
		}
		logger.Errorf("metric %q not recorded: %v", name, err)
	}
	return noop.Float64Counter{}
}

func int64UpDownCounter(enabled map[string]bool, m otelmetric.Meter, name, unit, desc string) otelmetric.Int64UpDownCounter {
	if enabled[name] {
		c, err := m.Int64UpDownCounter(name, otelmetric.WithUnit(unit), otelmetric.WithDescription(desc))
		if err == nil {
			return c
		}
		logger.Errorf("metric %q not recorded: %v", name, err)
	}
	return noop.Int64UpDownCounter{}
}

func int64Histogram(enabled map[string]bool, m otelmetric.Meter, name, unit, desc string, bounds []float64) otelmetric.Int64Histogram {
	if enabled[name] {
		h, err := m.Int64Histogram(name, otelmetric.WithUnit(unit), otelmetric.WithDescription(desc), otelmetric.WithExplicitBucketBoundaries(bounds...))
		if err == nil {
			return h
		}
		logger.Errorf("metric %q not recorded: %v", name, err)
	}
	return noop.Int64Histogram{}
}

func float64Histogram(enabled map[string]bool, m otelmetric.Meter, name, unit, desc string, bounds []float64) otelmetric.Float64Histogram {
	if enabled[name] {
		h, err := m.Float64Histogram(name, otelmetric.WithUnit(unit), otelmetric.WithDescription(desc), otelmetric.WithExplicitBucketBoundaries(bounds...))
		if err == nil {
			return h
		}
		logger.Errorf("metric %q not recorded: %v", name, err)
	}
	return noop.Float64Histogram{}
}

func int64Gauge(enabled map[string]bool, m otelmetric.Meter, name, unit, desc string) otelmetric.Int64Gauge {
	if enabled[name] {
		g, err := m.Int64Gauge(name, otelmetric.WithUnit(unit), otelmetric.WithDescription(desc))
		if err == nil {
			return g
		}
		logger.Errorf("metric %q not recorded: %v", name, err)
	}
	return noop.Int64Gauge{}
}

// attrs turns key/value pairs into a measurement option.
func attrs(kvs ...otelattribute.KeyValue) otelmetric.MeasurementOption {
	return otelmetric.WithAttributeSet(otelattribute.NewSet(kvs...))
}

// customLabel appends the grpc.client.call.custom attribute to kvs when
// that optional label is enabled.
func customLabel(ctx context.Context, optional []string, kvs []otelattribute.KeyValue) []otelattribute.KeyValue {
	for _, o := range optional {
		if o == customLabelKey {
			kvs = append(kvs, otelattribute.String(customLabelKey, estats.CustomLabelFromContext(ctx)))
		}
	}
	return kvs
}

const customLabelKey = "grpc.client.call.custom"
