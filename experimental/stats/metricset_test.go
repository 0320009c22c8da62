package stats

import "testing"

func TestDefaultMetricsTracksDefaultRegistrations(t *testing.T) {
	RegisterInt64Count(MetricDescriptor{Name: "test.metricset.default", Default: true})
	RegisterInt64Count(MetricDescriptor{Name: "test.metricset.optional"})
	m := DefaultMetrics.Metrics()
	if !m["test.metricset.default"] {
		t.Errorf("DefaultMetrics lacks a metric registered with Default set")
	}
	if m["test.metricset.optional"] {
		t.Errorf("DefaultMetrics holds a metric registered without Default")
	}
	if got := NewMetrics("a", "b").Metrics(); len(got) != 2 || !got["a"] || !got["b"] {
		t.Errorf("NewMetrics(a, b).Metrics() = %v", got)
	}
}
