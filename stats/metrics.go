package stats

import "maps"

// MetricSet is an immutable set of metric names to record. Add, Join and
// Remove return modified copies.
//
// Create it with NewMetricSet, not as a literal.
type MetricSet struct {
	metrics map[string]bool
}

// NewMetricSet returns the set of metricNames.
func NewMetricSet(metricNames ...string) *MetricSet {
	m := make(map[string]bool, len(metricNames))
	for _, n := range metricNames {
		m[n] = true
	}
	return &MetricSet{metrics: m}
}

// Metrics returns the names in the set as a map to true. The caller must not
// modify it.
func (m *MetricSet) Metrics() map[string]bool {
	return m.metrics
}

// Add returns a copy of m that also holds metricNames.
func (m *MetricSet) Add(metricNames ...string) *MetricSet {
	out := make(map[string]bool, len(m.metrics)+len(metricNames))
	maps.Copy(out, m.metrics)
	for _, n := range metricNames {
		out[n] = true
	}
	return &MetricSet{metrics: out}
}

// Join returns the union of m and metrics, as a new set.
func (m *MetricSet) Join(metrics *MetricSet) *MetricSet {
	out := make(map[string]bool, len(m.metrics)+len(metrics.metrics))
	maps.Copy(out, m.metrics)
	maps.Copy(out, metrics.metrics)
	return &MetricSet{metrics: out}
}

// Remove returns a copy of m without metricNames.
func (m *MetricSet) Remove(metricNames ...string) *MetricSet {
	out := maps.Clone(m.metrics)
	if out == nil {
		out = map[string]bool{}
	}
	for _, n := range metricNames {
		delete(out, n)
	}
	return &MetricSet{metrics: out}
}
