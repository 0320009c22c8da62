// Package stats is the experimental metrics API that LB policies, resolvers
// and the channel record through, and that a metrics plugin (such as
// stats/opentelemetry) implements as a MetricsRecorder.
package stats

import (
	"fmt"

	"google.golang.org/grpc/internal"
)

// Metric is the name of a metric, such as "grpc.lb.wrr.rr_fallback".
type Metric = string

// MetricType says what kind of instrument a registered metric is.
type MetricType int

// The instrument kinds a metric can be registered as.
const (
	MetricTypeIntCount MetricType = iota
	MetricTypeFloatCount
	MetricTypeIntHisto
	MetricTypeFloatHisto
	MetricTypeIntGauge
	MetricTypeIntUpDownCount
	MetricTypeIntAsyncGauge
)

// MetricDescriptor describes one registered metric: its name, help text,
// unit, the labels every recording carries, the optional labels a recorder
// may keep, whether it is recorded by default, its kind and, for
// histograms, the bucket bounds.
type MetricDescriptor struct {
	Name           string
	Description    string
	Unit           string
	Labels         []string
	OptionalLabels []string
	Default        bool
	Type           MetricType
	Bounds         []float64
}

// registry holds every metric registered at init time, by name.
var registry = map[Metric]*MetricDescriptor{}

// DescriptorForMetric returns the registered descriptor of metricName, or
// nil if no such metric was registered.
func DescriptorForMetric(metricName string) *MetricDescriptor {
	return registry[metricName]
}

func register(d MetricDescriptor, t MetricType) *MetricDescriptor {
	if _, dup := registry[d.Name]; dup {
		panic(fmt.Sprintf("metric %q registered twice", d.Name))
	}
	d.Type = t
	registry[d.Name] = &d
	if d.Default {
		DefaultMetrics = DefaultMetrics.Add(d.Name)
	}
	return &d
}

// MetricsRecorder receives the recordings of metrics registered here.
// Implementations must embed UnimplementedMetricsRecorder so that methods
// added later have a default.
type MetricsRecorder interface {
	RecordInt64Count(handle *Int64CountHandle, incr int64, labels ...string)
	RecordFloat64Count(handle *Float64CountHandle, incr float64, labels ...string)
	RecordInt64Histo(handle *Int64HistoHandle, incr int64, labels ...string)
	RecordFloat64Histo(handle *Float64HistoHandle, incr float64, labels ...string)
	RecordInt64Gauge(handle *Int64GaugeHandle, incr int64, labels ...string)
	RecordInt64UpDownCount(handle *Int64UpDownCountHandle, incr int64, labels ...string)
	RegisterAsyncReporter(reporter AsyncMetricReporter, descriptors ...AsyncMetric) func()

	internal.EnforceMetricsRecorderEmbedding
}

// AsyncMetric marks the handles of metrics that are reported on demand
// (gauges read at collection time) rather than recorded as they happen.
type AsyncMetric interface {
	Descriptor() *MetricDescriptor
}

// AsyncMetricsRecorder is what an AsyncMetricReporter writes its current
// values to when the metrics plugin collects.
type AsyncMetricsRecorder interface {
	RecordInt64AsyncGauge(handle *Int64AsyncGaugeHandle, incr int64, labels ...string)
}

// AsyncMetricReporter reports the current values of the asynchronous
// metrics it was registered for. It must be safe for concurrent use and
// must not report a value another reporter reports with the same labels.
type AsyncMetricReporter interface {
	Report(AsyncMetricsRecorder) error
}

// AsyncMetricReporterFunc lets a plain function be an AsyncMetricReporter.
type AsyncMetricReporterFunc func(AsyncMetricsRecorder) error

// Report calls f(r).
func (f AsyncMetricReporterFunc) Report(r AsyncMetricsRecorder) error { return f(r) }

// UnimplementedMetricsRecorder drops every recording. Embed it in a
// MetricsRecorder implementation.
type UnimplementedMetricsRecorder struct {
	internal.EnforceMetricsRecorderEmbedding
}

// RecordInt64Count drops the recording.
func (UnimplementedMetricsRecorder) RecordInt64Count(*Int64CountHandle, int64, ...string) {}

// RecordFloat64Count drops the recording.
func (UnimplementedMetricsRecorder) RecordFloat64Count(*Float64CountHandle, float64, ...string) {}

// RecordInt64Histo drops the recording.
func (UnimplementedMetricsRecorder) RecordInt64Histo(*Int64HistoHandle, int64, ...string) {}

// RecordFloat64Histo drops the recording.
func (UnimplementedMetricsRecorder) RecordFloat64Histo(*Float64HistoHandle, float64, ...string) {}

// RecordInt64Gauge drops the recording.
func (UnimplementedMetricsRecorder) RecordInt64Gauge(*Int64GaugeHandle, int64, ...string) {}

// RecordInt64UpDownCount drops the recording.
func (UnimplementedMetricsRecorder) RecordInt64UpDownCount(*Int64UpDownCountHandle, int64, ...string) {
}

// RegisterAsyncReporter ignores the reporter and returns a no-op
// unregister function.
func (UnimplementedMetricsRecorder) RegisterAsyncReporter(AsyncMetricReporter, ...AsyncMetric) func() {
	return func() {}
}
