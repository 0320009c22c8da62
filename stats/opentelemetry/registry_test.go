package opentelemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/stats"
)

var (
	testIntCount = estats.RegisterInt64Count(estats.MetricDescriptor{
		Name: "test.otel.int_count", Description: "ints", Unit: "{thing}",
		Labels: []string{"l1"}, OptionalLabels: []string{"o1", "o2"}, Default: true,
	})
	testFloatCount = estats.RegisterFloat64Count(estats.MetricDescriptor{Name: "test.otel.float_count", Labels: []string{"l1"}})
	testIntHisto   = estats.RegisterInt64Histo(estats.MetricDescriptor{Name: "test.otel.int_histo", Labels: []string{"l1"}, Bounds: []float64{1, 10}})
	testFloatHisto = estats.RegisterFloat64Histo(estats.MetricDescriptor{Name: "test.otel.float_histo", Labels: []string{"l1"}})
	testGauge      = estats.RegisterInt64Gauge(estats.MetricDescriptor{Name: "test.otel.gauge", Labels: []string{"l1"}})
	testUpDown     = estats.RegisterInt64UpDownCount(estats.MetricDescriptor{Name: "test.otel.updown", Labels: []string{"l1"}})
	testAsync      = estats.RegisterInt64AsyncGauge(estats.MetricDescriptor{Name: "test.otel.async", Labels: []string{"l1"}})
	testDisabled   = estats.RegisterInt64Count(estats.MetricDescriptor{Name: "test.otel.disabled", Labels: []string{"l1"}})
)

func TestRegistryRecorder(t *testing.T) {
	defer leakcheck.Check(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	metrics := stats.NewMetricSet("test.otel.float_count", "test.otel.int_histo", "test.otel.float_histo", "test.otel.gauge", "test.otel.updown", "test.otel.async")
	h := newClientMetricsHandler(Options{MetricsOptions: MetricsOptions{
		MeterProvider:  mp,
		Metrics:        DefaultMetrics().Join(metrics),
		OptionalLabels: []string{"o2"},
	}})
	var rec estats.MetricsRecorder = h // the handlers are MetricsRecorders

	testIntCount.Record(rec, 2, "v1", "ov1", "ov2")
	testIntCount.Record(rec, 3, "v1", "ov1", "ov2")
	testFloatCount.Record(rec, 1.5, "v1")
	testIntHisto.Record(rec, 5, "v1")
	testFloatHisto.Record(rec, 0.5, "v1")
	testGauge.Record(rec, 7, "v1")
	testGauge.Record(rec, 8, "v1")
	testUpDown.Record(rec, 4, "v1")
	testUpDown.Record(rec, -1, "v1")
	testDisabled.Record(rec, 1, "v1")
	unregister := rec.RegisterAsyncReporter(estats.AsyncMetricReporterFunc(func(r estats.AsyncMetricsRecorder) error {
		testAsync.Record(r, 42, "v1")
		return nil
	}), testAsync)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	unregister()
	got := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = m
		}
	}
	if _, ok := got["test.otel.disabled"]; ok {
		t.Error("a metric outside the metric set was recorded")
	}
	v1 := attribute.NewSet(attribute.String("l1", "v1"))
	check := func(name string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: unexpected data %#v", name, got[name].Data)
		}
	}
	ic := got["test.otel.int_count"]
	if ic.Unit != "{thing}" || ic.Description != "ints" {
		t.Errorf("int_count unit/description = %q %q", ic.Unit, ic.Description)
	}
	want := attribute.NewSet(attribute.String("l1", "v1"), attribute.String("o2", "ov2"))
	s, ok := ic.Data.(metricdata.Sum[int64])
	check("int_count", ok && len(s.DataPoints) == 1 && s.DataPoints[0].Value == 5 && s.DataPoints[0].Attributes.Equals(&want))
	fc, ok := got["test.otel.float_count"].Data.(metricdata.Sum[float64])
	check("float_count", ok && len(fc.DataPoints) == 1 && fc.DataPoints[0].Value == 1.5 && fc.DataPoints[0].Attributes.Equals(&v1))
	ih, ok := got["test.otel.int_histo"].Data.(metricdata.Histogram[int64])
	check("int_histo", ok && len(ih.DataPoints) == 1 && ih.DataPoints[0].Sum == 5 && len(ih.DataPoints[0].Bounds) == 2)
	fh, ok := got["test.otel.float_histo"].Data.(metricdata.Histogram[float64])
	check("float_histo", ok && len(fh.DataPoints) == 1 && fh.DataPoints[0].Sum == 0.5)
	g, ok := got["test.otel.gauge"].Data.(metricdata.Gauge[int64])
	check("gauge", ok && len(g.DataPoints) == 1 && g.DataPoints[0].Value == 8)
	ud, ok := got["test.otel.updown"].Data.(metricdata.Sum[int64])
	check("updown", ok && len(ud.DataPoints) == 1 && ud.DataPoints[0].Value == 3 && !ud.IsMonotonic)
	ag, ok := got["test.otel.async"].Data.(metricdata.Gauge[int64])
	check("async", ok && len(ag.DataPoints) == 1 && ag.DataPoints[0].Value == 42 && ag.DataPoints[0].Attributes.Equals(&v1))

	// Registered metrics marked Default are part of DefaultMetrics.
	if !DefaultMetrics().Metrics()["test.otel.int_count"] || DefaultMetrics().Metrics()["test.otel.disabled"] {
		t.Errorf("DefaultMetrics() = %v", DefaultMetrics().Metrics())
	}
}

type mapCarrier map[string]string

func (c mapCarrier) Get(k string) string { return c[k] }
func (c mapCarrier) Set(k, v string)     { c[k] = v }
func (c mapCarrier) Keys() []string {
	var ks []string
	for k := range c {
		ks = append(ks, k)
	}
	return ks
}

func TestGRPCTraceBinPropagator(t *testing.T) {
	defer leakcheck.Check(t)
	p := GRPCTraceBinPropagator{}
	if f := p.Fields(); len(f) != 1 || f[0] != "grpc-trace-bin" {
		t.Errorf("Fields() = %v", f)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
	})
	c := mapCarrier{}
	p.Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	v := c["grpc-trace-bin"]
	if len(v) != 29 || v[0] != 0 || v[1] != 0 || v[18] != 1 || v[27] != 2 || v[28] != 1 {
		t.Fatalf("injected %x", v)
	}
	got := trace.SpanContextFromContext(p.Extract(context.Background(), c))
	if !got.IsRemote() || got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() || got.TraceFlags() != sc.TraceFlags() {
		t.Errorf("extracted %v, want %v", got, sc)
	}

	// Nothing is injected without a valid span, and bad values are ignored.
	empty := mapCarrier{}
	p.Inject(context.Background(), empty)
	if len(empty) != 0 {
		t.Errorf("injected %v without a span", empty)
	}
	for _, bad := range []string{"", "short", v[:28] + "\x00" + "x", "\x01" + v[1:]} {
		ctx := p.Extract(context.Background(), mapCarrier{"grpc-trace-bin": bad})
		if trace.SpanContextFromContext(ctx).IsValid() {
			t.Errorf("Extract(%x) produced a span context", bad)
		}
	}
}
