package stats

// Each handle type is a MetricDescriptor under a type of its own, so that a
// recording call cannot pass a value of the wrong kind for the metric.

// Int64CountHandle is the handle of an integer counter.
type Int64CountHandle MetricDescriptor

// RegisterInt64Count registers an integer counter. Call it only from init;
// a second registration of the same name panics.
func RegisterInt64Count(descriptor MetricDescriptor) *Int64CountHandle {
	return (*Int64CountHandle)(register(descriptor, MetricTypeIntCount))
}

// Descriptor returns the metric's descriptor.
func (h *Int64CountHandle) Descriptor() *MetricDescriptor { return (*MetricDescriptor)(h) }

// Record adds incr to the counter in recorder.
func (h *Int64CountHandle) Record(recorder MetricsRecorder, incr int64, labels ...string) {
	recorder.RecordInt64Count(h, incr, labels...)
}

// Float64CountHandle is the handle of a floating-point counter.
type Float64CountHandle MetricDescriptor

// RegisterFloat64Count registers a floating-point counter. Call it only from
// init; a second registration of the same name panics.
func RegisterFloat64Count(descriptor MetricDescriptor) *Float64CountHandle {
	return (*Float64CountHandle)(register(descriptor, MetricTypeFloatCount))
}

// Descriptor returns the metric's descriptor.
func (h *Float64CountHandle) Descriptor() *MetricDescriptor { return (*MetricDescriptor)(h) }

// Record adds incr to the counter in recorder.
func (h *Float64CountHandle) Record(recorder MetricsRecorder, incr float64, labels ...string) {
	recorder.RecordFloat64Count(h, incr, labels...)
}

// Int64HistoHandle is the handle of an integer histogram.
type Int64HistoHandle MetricDescriptor

// RegisterInt64Histo registers an integer histogram. Call it only from init;
// a second registration of the same name panics.
func RegisterInt64Histo(descriptor MetricDescriptor) *Int64HistoHandle {
	return (*Int64HistoHandle)(register(descriptor, MetricTypeIntHisto))
}

// Descriptor returns the metric's descriptor.
func (h *Int64HistoHandle) Descriptor() *MetricDescriptor { return (*MetricDescriptor)(h) }

// Record adds the sample incr to the histogram in recorder.
func (h *Int64HistoHandle) Record(recorder MetricsRecorder, incr int64, labels ...string) {
	recorder.RecordInt64Histo(h, incr, labels...)
}

// Float64HistoHandle is the handle of a floating-point histogram.
type Float64HistoHandle MetricDescriptor

// RegisterFloat64Histo registers a floating-point histogram. Call it only
// from init; a second registration of the same name panics.
func RegisterFloat64Histo(descriptor MetricDescriptor) *Float64HistoHandle {
	return (*Float64HistoHandle)(register(descriptor, MetricTypeFloatHisto))
}

// Descriptor returns the metric's descriptor.
func (h *Float64HistoHandle) Descriptor() *MetricDescriptor { return (*MetricDescriptor)(h) }

// Record adds the sample incr to the histogram in recorder.
func (h *Float64HistoHandle) Record(recorder MetricsRecorder, incr float64, labels ...string) {
	recorder.RecordFloat64Histo(h, incr, labels...)
}

// Int64GaugeHandle is the handle of an integer gauge.
type Int64GaugeHandle MetricDescriptor

// RegisterInt64Gauge registers an integer gauge. Call it only from init; a
// second registration of the same name panics.
func RegisterInt64Gauge(descriptor MetricDescriptor) *Int64GaugeHandle {
	return (*Int64GaugeHandle)(register(descriptor, MetricTypeIntGauge))
}

// Descriptor returns the metric's descriptor.
func (h *Int64GaugeHandle) Descriptor() *MetricDescriptor { return (*MetricDescriptor)(h) }

// Record sets the gauge in recorder to incr.
func (h *Int64GaugeHandle) Record(recorder MetricsRecorder, incr int64, labels ...string) {
	recorder.RecordInt64Gauge(h, incr, labels...)
}

// Int64UpDownCountHandle is the handle of an integer counter that can also
// go down.
type Int64UpDownCountHandle MetricDescriptor

// RegisterInt64UpDownCount registers an up-down counter. Call it only from
// init; a second registration of the same name panics.
func RegisterInt64UpDownCount(descriptor MetricDescriptor) *Int64UpDownCountHandle {
	return (*Int64UpDownCountHandle)(register(descriptor, MetricTypeIntUpDownCount))
}

// Descriptor returns the metric's descriptor.
func (h *Int64UpDownCountHandle) Descriptor() *MetricDescriptor { return (*MetricDescriptor)(h) }

// Record adds v (which may be negative) to the counter in recorder.
func (h *Int64UpDownCountHandle) Record(recorder MetricsRecorder, v int64, labels ...string) {
	recorder.RecordInt64UpDownCount(h, v, labels...)
}

// Int64AsyncGaugeHandle is the handle of an integer gauge whose value an
// AsyncMetricReporter reports when the metrics are collected.
type Int64AsyncGaugeHandle MetricDescriptor

// RegisterInt64AsyncGauge registers an asynchronous integer gauge. Call it
// only from init; a second registration of the same name panics.
func RegisterInt64AsyncGauge(descriptor MetricDescriptor) *Int64AsyncGaugeHandle {
	return (*Int64AsyncGaugeHandle)(register(descriptor, MetricTypeIntAsyncGauge))
}

// Descriptor returns the metric's descriptor.
func (h *Int64AsyncGaugeHandle) Descriptor() *MetricDescriptor { return (*MetricDescriptor)(h) }

// Record reports value for the gauge to recorder.
func (h *Int64AsyncGaugeHandle) Record(recorder AsyncMetricsRecorder, value int64, labels ...string) {
	recorder.RecordInt64AsyncGauge(h, value, labels...)
}
