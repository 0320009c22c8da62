package opentelemetry

import (
	"context"

	otelattribute "go.opentelemetry.io/otel/attribute"
	otelmetric "go.opentelemetry.io/otel/metric"

	estats "google.golang.org/grpc/experimental/stats"
)

// registryRecorder is the estats.MetricsRecorder of both handlers: it maps
// the handles of metrics registered in experimental/stats to OpenTelemetry
// instruments, created up front for every enabled registered metric.
type registryRecorder struct {
	estats.UnimplementedMetricsRecorder

	meter    otelmetric.Meter
	optional []string

	intCounts   map[*estats.MetricDescriptor]otelmetric.Int64Counter
	floatCounts map[*estats.MetricDescriptor]otelmetric.Float64Counter
	intHistos   map[*estats.MetricDescriptor]otelmetric.Int64Histogram
	floatHistos map[*estats.MetricDescriptor]otelmetric.Float64Histogram
	intGauges   map[*estats.MetricDescriptor]otelmetric.Int64Gauge
	upDowns     map[*estats.MetricDescriptor]otelmetric.Int64UpDownCounter
	asyncGauges map[*estats.MetricDescriptor]otelmetric.Int64ObservableGauge
}

func newRegistryRecorder(meter otelmetric.Meter, enabled map[string]bool, optional []string) *registryRecorder {
	r := &registryRecorder{
		meter:       meter,
		optional:    optional,
		intCounts:   map[*estats.MetricDescriptor]otelmetric.Int64Counter{},
		floatCounts: map[*estats.MetricDescriptor]otelmetric.Float64Counter{},
		intHistos:   map[*estats.MetricDescriptor]otelmetric.Int64Histogram{},
		floatHistos: map[*estats.MetricDescriptor]otelmetric.Float64Histogram{},
		intGauges:   map[*estats.MetricDescriptor]otelmetric.Int64Gauge{},
		upDowns:     map[*estats.MetricDescriptor]otelmetric.Int64UpDownCounter{},
		asyncGauges: map[*estats.MetricDescriptor]otelmetric.Int64ObservableGauge{},
	}
	for name := range enabled {
		d := estats.DescriptorForMetric(name)
		if d == nil {
			continue // a per-call metric, or an unknown name
		}
		switch d.Type {
		case estats.MetricTypeIntCount:
			r.intCounts[d] = int64Counter(enabled, meter, d.Name, d.Unit, d.Description)
		case estats.MetricTypeFloatCount:
			r.floatCounts[d] = float64Counter(enabled, meter, d.Name, d.Unit, d.Description)
		case estats.MetricTypeIntHisto:
			r.intHistos[d] = int64Histogram(enabled, meter, d.Name, d.Unit, d.Description, d.Bounds)
		case estats.MetricTypeFloatHisto:
			r.floatHistos[d] = float64Histogram(enabled, meter, d.Name, d.Unit, d.Description, d.Bounds)
		case estats.MetricTypeIntGauge:
			r.intGauges[d] = int64Gauge(enabled, meter, d.Name, d.Unit, d.Description)
		case estats.MetricTypeIntUpDownCount:
			r.upDowns[d] = int64UpDownCounter(enabled, meter, d.Name, d.Unit, d.Description)
		case estats.MetricTypeIntAsyncGauge:
			g, err := meter.Int64ObservableGauge(d.Name, otelmetric.WithUnit(d.Unit), otelmetric.WithDescription(d.Description))
			if err != nil {
				logger.Errorf("metric %q not recorded: %v", d.Name, err)
				continue
			}
			r.asyncGauges[d] = g
		}
	}
	return r
}

// labelAttrs pairs the label values of a recording with the descriptor's
// label keys, keeping the optional labels that are enabled.
func labelAttrs(d *estats.MetricDescriptor, enabled []string, vals []string) otelmetric.MeasurementOption {
	kvs := make([]otelattribute.KeyValue, 0, len(d.Labels)+len(d.OptionalLabels))
	for i, k := range d.Labels {
		if i < len(vals) {
			kvs = append(kvs, otelattribute.String(k, vals[i]))
		}
	}
	for i, k := range d.OptionalLabels {
		j := len(d.Labels) + i
		if j >= len(vals) {
			break
		}
		for _, e := range enabled {
			if e == k {
				kvs = append(kvs, otelattribute.String(k, vals[j]))
				break
			}
		}
	}
	return attrs(kvs...)
}

// RecordInt64Count adds incr to the counter of handle.
func (r *registryRecorder) RecordInt64Count(handle *estats.Int64CountHandle, incr int64, labels ...string) {
	d := handle.Descriptor()
	if c, ok := r.intCounts[d]; ok {
		c.Add(context.Background(), incr, labelAttrs(d, r.optional, labels))
	}
}

// RecordFloat64Count adds incr to the counter of handle.
func (r *registryRecorder) RecordFloat64Count(handle *estats.Float64CountHandle, incr float64, labels ...string) {
	d := handle.Descriptor()
	if c, ok := r.floatCounts[d]; ok {
		c.Add(context.Background(), incr, labelAttrs(d, r.optional, labels))
	}
}

// RecordInt64Histo records incr in the histogram of handle.
func (r *registryRecorder) RecordInt64Histo(handle *estats.Int64HistoHandle, incr int64, labels ...string) {
	d := handle.Descriptor()
	if h, ok := r.intHistos[d]; ok {
		h.Record(context.Background(), incr, labelAttrs(d, r.optional, labels))
	}
}

// RecordFloat64Histo records incr in the histogram of handle.
func (r *registryRecorder) RecordFloat64Histo(handle *estats.Float64HistoHandle, incr float64, labels ...string) {
	d := handle.Descriptor()
	if h, ok := r.floatHistos[d]; ok {
		h.Record(context.Background(), incr, labelAttrs(d, r.optional, labels))
	}
}

// RecordInt64Gauge sets the gauge of handle to incr.
func (r *registryRecorder) RecordInt64Gauge(handle *estats.Int64GaugeHandle, incr int64, labels ...string) {
	d := handle.Descriptor()
	if g, ok := r.intGauges[d]; ok {
		g.Record(context.Background(), incr, labelAttrs(d, r.optional, labels))
	}
}

// RecordInt64UpDownCount adds incr (which may be negative) to the
// up-down counter of handle.
func (r *registryRecorder) RecordInt64UpDownCount(handle *estats.Int64UpDownCountHandle, incr int64, labels ...string) {
	d := handle.Descriptor()
	if c, ok := r.upDowns[d]; ok {
		c.Add(context.Background(), incr, labelAttrs(d, r.optional, labels))
	}
}

// RegisterAsyncReporter has reporter called at every collection of the
// enabled asynchronous metrics among metrics. The returned function
// unregisters it.
func (r *registryRecorder) RegisterAsyncReporter(reporter estats.AsyncMetricReporter, metrics ...estats.AsyncMetric) func() {
	gauges := map[*estats.MetricDescriptor]otelmetric.Int64ObservableGauge{}
	var observables []otelmetric.Observable
	for _, m := range metrics {
		d := m.Descriptor()
		if g, ok := r.asyncGauges[d]; ok {
			gauges[d] = g
			observables = append(observables, g)
		}
	}
	if len(observables) == 0 {
		return func() {}
	}
	reg, err := r.meter.RegisterCallback(func(_ context.Context, o otelmetric.Observer) error {
		return reporter.Report(&asyncRecorder{gauges: gauges, optional: r.optional, obs: o})
	}, observables...)
	if err != nil {
		logger.Warningf("async metrics reporter not registered: %v", err)
		return func() {}
	}
	return func() {
		if err := reg.Unregister(); err != nil {
			logger.Warningf("async metrics reporter not unregistered: %v", err)
		}
	}
}

// asyncRecorder passes the values an AsyncMetricReporter reports to the
// OpenTelemetry observer of the current collection.
type asyncRecorder struct {
	gauges   map[*estats.MetricDescriptor]otelmetric.Int64ObservableGauge
	optional []string
	obs      otelmetric.Observer
}

func (a *asyncRecorder) RecordInt64AsyncGauge(handle *estats.Int64AsyncGaugeHandle, v int64, labels ...string) {
	d := handle.Descriptor()
	if g, ok := a.gauges[d]; ok {
		a.obs.ObserveInt64(g, v, labelAttrs(d, a.optional, labels))
	}
}
