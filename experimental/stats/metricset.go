package stats

import "google.golang.org/grpc/stats"

// Metrics is the old, experimental name of stats.MetricSet, kept for
// compatibility; it will be removed.
type Metrics = stats.MetricSet

// NewMetrics is the old, experimental name of stats.NewMetricSet, kept for
// compatibility; it will be removed.
func NewMetrics(metrics ...Metric) *Metrics {
	return stats.NewMetricSet(metrics...)
}

// DefaultMetrics holds the metrics registered with Default set. It is
// written while packages initialize and only read afterwards.
var DefaultMetrics = stats.NewMetricSet()
