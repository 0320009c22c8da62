package grpc

import (
	estats "google.golang.org/grpc/experimental/stats"
)

// metricsRecorderList hands what LB policies and resolvers record to every
// stats handler that is also an estats.MetricsRecorder (the OpenTelemetry
// plugin's are).
type metricsRecorderList struct {
	estats.UnimplementedMetricsRecorder
	recorders []estats.MetricsRecorder
}

// metricsRecorder is the channel's recorder for policies and resolvers.
func (cc *ClientConn) metricsRecorder() estats.MetricsRecorder {
	var l metricsRecorderList
	for _, h := range cc.dopts.statsHandlers {
		if r, ok := h.(estats.MetricsRecorder); ok {
			l.recorders = append(l.recorders, r)
		}
	}
	if len(l.recorders) == 0 {
		return noopMetricsRecorder{}
	}
	return &l
}

func (l *metricsRecorderList) RecordInt64Count(h *estats.Int64CountHandle, v int64, labels ...string) {
	for _, r := range l.recorders {
		r.RecordInt64Count(h, v, labels...)
	}
}

func (l *metricsRecorderList) RecordFloat64Count(h *estats.Float64CountHandle, v float64, labels ...string) {
	for _, r := range l.recorders {
		r.RecordFloat64Count(h, v, labels...)
	}
}

func (l *metricsRecorderList) RecordInt64Histo(h *estats.Int64HistoHandle, v int64, labels ...string) {
	for _, r := range l.recorders {
		r.RecordInt64Histo(h, v, labels...)
	}
}

func (l *metricsRecorderList) RecordFloat64Histo(h *estats.Float64HistoHandle, v float64, labels ...string) {
	for _, r := range l.recorders {
		r.RecordFloat64Histo(h, v, labels...)
	}
}

func (l *metricsRecorderList) RecordInt64Gauge(h *estats.Int64GaugeHandle, v int64, labels ...string) {
	for _, r := range l.recorders {
		r.RecordInt64Gauge(h, v, labels...)
	}
}

func (l *metricsRecorderList) RecordInt64UpDownCount(h *estats.Int64UpDownCountHandle, v int64, labels ...string) {
	for _, r := range l.recorders {
		r.RecordInt64UpDownCount(h, v, labels...)
	}
}

// RegisterAsyncReporter registers reporter with every recorder; the
// returned function unregisters it from all of them.
func (l *metricsRecorderList) RegisterAsyncReporter(reporter estats.AsyncMetricReporter, metrics ...estats.AsyncMetric) func() {
	stops := make([]func(), 0, len(l.recorders))
	for _, r := range l.recorders {
		stops = append(stops, r.RegisterAsyncReporter(reporter, metrics...))
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}
