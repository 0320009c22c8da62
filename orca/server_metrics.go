package orca

import (
	"maps"
	"sync"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
)

// unset marks a scalar metric of ServerMetrics that has no value.
const unset = -1

// ServerMetrics is a snapshot of the load metrics of a server, or, when
// reported per call, of the cost of one RPC. A scalar field set to -1 has no
// value and is not reported.
type ServerMetrics struct {
	CPUUtilization float64 // CPU use, 0 or more (may exceed 1); -1 if unset
	MemUtilization float64 // memory use, between 0 and 1; -1 if unset
	AppUtilization float64 // application-defined use, 0 or more; -1 if unset
	QPS            float64 // queries per second, 0 or more; -1 if unset
	EPS            float64 // errors per second, 0 or more; -1 if unset

	// The maps below are never nil in values produced by this package.

	Utilization  map[string]float64 // named utilizations, each in [0, 1]
	RequestCost  map[string]float64 // named request costs; per-call only
	NamedMetrics map[string]float64 // other named metrics; per-call only
}

// newServerMetrics returns metrics with nothing set.
func newServerMetrics() *ServerMetrics {
	return &ServerMetrics{
		CPUUtilization: unset,
		MemUtilization: unset,
		AppUtilization: unset,
		QPS:            unset,
		EPS:            unset,
		Utilization:    map[string]float64{},
		RequestCost:    map[string]float64{},
		NamedMetrics:   map[string]float64{},
	}
}

// clone returns a deep copy of sm whose maps are never nil.
func (sm *ServerMetrics) clone() *ServerMetrics {
	c := *sm
	c.Utilization = cloneMap(sm.Utilization)
	c.RequestCost = cloneMap(sm.RequestCost)
	c.NamedMetrics = cloneMap(sm.NamedMetrics)
	return &c
}

func cloneMap(m map[string]float64) map[string]float64 {
	c := make(map[string]float64, len(m))
	maps.Copy(c, m)
	return c
}

// overlay copies into sm every value that is set in o; values present in
// both take o's.
func (sm *ServerMetrics) overlay(o *ServerMetrics) {
	for _, f := range []struct{ dst, src *float64 }{
		{&sm.CPUUtilization, &o.CPUUtilization},
		{&sm.MemUtilization, &o.MemUtilization},
		{&sm.AppUtilization, &o.AppUtilization},
		{&sm.QPS, &o.QPS},
		{&sm.EPS, &o.EPS},
	} {
		if *f.src != unset {
			*f.dst = *f.src
		}
	}
	maps.Copy(sm.Utilization, o.Utilization)
	maps.Copy(sm.RequestCost, o.RequestCost)
	maps.Copy(sm.NamedMetrics, o.NamedMetrics)
}

// toProto converts sm to the wire form. Unset scalars are left at zero,
// which proto3 does not transmit.
func (sm *ServerMetrics) toProto() *v3orcapb.OrcaLoadReport {
	pos := func(v float64) float64 {
		if v == unset {
			return 0
		}
		return v
	}
	return &v3orcapb.OrcaLoadReport{
		CpuUtilization:         pos(sm.CPUUtilization),
		MemUtilization:         pos(sm.MemUtilization),
		ApplicationUtilization: pos(sm.AppUtilization),
		RpsFractional:          pos(sm.QPS),
		Eps:                    pos(sm.EPS),
		Utilization:            sm.Utilization,
		RequestCost:            sm.RequestCost,
		NamedMetrics:           sm.NamedMetrics,
	}
}

// A ServerMetricsProvider supplies the current ServerMetrics of a server,
// for example to the out-of-band reporting service.
type ServerMetricsProvider interface {
	// ServerMetrics returns a snapshot of the metrics as they are now. The
	// caller may not modify it, and the provider may not modify it after
	// returning it.
	ServerMetrics() *ServerMetrics
}

// ServerMetricsRecorder stores server metrics set by the application and
// provides them (as a ServerMetricsProvider) to whatever reports them. It is
// safe for concurrent use. Setters ignore values out of their range.
type ServerMetricsRecorder interface {
	ServerMetricsProvider

	// SetCPUUtilization records the CPU utilization, which may not be
	// negative.
	SetCPUUtilization(float64)
	// DeleteCPUUtilization clears the CPU utilization so that it is no
	// longer reported.
	DeleteCPUUtilization()

	// SetMemoryUtilization records the memory utilization, which must lie
	// in [0, 1].
	SetMemoryUtilization(float64)
	// DeleteMemoryUtilization clears the memory utilization so that it is
	// no longer reported.
	DeleteMemoryUtilization()

	// SetApplicationUtilization records the application-defined
	// utilization, which may not be negative.
	SetApplicationUtilization(float64)
	// DeleteApplicationUtilization clears the application utilization so
	// that it is no longer reported.
	DeleteApplicationUtilization()

	// SetQPS records the rate of queries per second, which may not be
	// negative.
	SetQPS(float64)
	// DeleteQPS clears the query rate so that it is no longer reported.
	DeleteQPS()

	// SetEPS records the rate of errors per second, which may not be
	// negative.
	SetEPS(float64)
	// DeleteEPS clears the error rate so that it is no longer reported.
	DeleteEPS()

	// SetNamedUtilization records the utilization called name, which must
	// lie in [0, 1].
	SetNamedUtilization(name string, val float64)
	// DeleteNamedUtilization clears the utilization called name so that it
	// is no longer reported.
	DeleteNamedUtilization(name string)
}

// serverMetricsRecorder is the recorder behind both ServerMetricsRecorder
// and the per-call CallMetricsRecorder.
type serverMetricsRecorder struct {
	mu sync.Mutex
	sm *ServerMetrics
}

// NewServerMetricsRecorder returns an empty, concurrency-safe, in-memory
// ServerMetricsRecorder. Its ServerMetrics method returns a copy of what
// was recorded, so it can serve as the ServerMetricsProvider of
// ServiceOptions or CallMetricsServerOption.
func NewServerMetricsRecorder() ServerMetricsRecorder {
	return newServerMetricsRecorder()
}

func newServerMetricsRecorder() *serverMetricsRecorder {
	return &serverMetricsRecorder{sm: newServerMetrics()}
}

// ServerMetrics returns a copy of the recorded metrics.
func (r *serverMetricsRecorder) ServerMetrics() *ServerMetrics {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sm.clone()
}

// update runs f on the stored metrics under the lock.
func (r *serverMetricsRecorder) update(f func(*ServerMetrics)) {
	r.mu.Lock()
	f(r.sm)
	r.mu.Unlock()
}

// setScalar stores val in the field chosen by field if it lies in
// [0, max] (max < 0: no upper bound), and logs and ignores it otherwise.
func (r *serverMetricsRecorder) setScalar(what string, val, max float64, field func(*ServerMetrics) *float64) {
	if val < 0 || (max >= 0 && val > max) {
		if logger.V(2) {
			logger.Infof("Ignoring %s value out of range: %v", what, val)
		}
		return
	}
	r.update(func(sm *ServerMetrics) { *field(sm) = val })
}

func (r *serverMetricsRecorder) clearScalar(field func(*ServerMetrics) *float64) {
	r.update(func(sm *ServerMetrics) { *field(sm) = unset })
}

func cpu(sm *ServerMetrics) *float64 { return &sm.CPUUtilization }
func mem(sm *ServerMetrics) *float64 { return &sm.MemUtilization }
func app(sm *ServerMetrics) *float64 { return &sm.AppUtilization }
func qps(sm *ServerMetrics) *float64 { return &sm.QPS }
func eps(sm *ServerMetrics) *float64 { return &sm.EPS }

// SetCPUUtilization records the CPU utilization; negative values are
// ignored.
func (r *serverMetricsRecorder) SetCPUUtilization(v float64) {
	r.setScalar("CPU utilization", v, -1, cpu)
}

// DeleteCPUUtilization clears the CPU utilization.
func (r *serverMetricsRecorder) DeleteCPUUtilization() { r.clearScalar(cpu) }

// SetMemoryUtilization records the memory utilization; values outside
// [0, 1] are ignored.
func (r *serverMetricsRecorder) SetMemoryUtilization(v float64) {
	r.setScalar("memory utilization", v, 1, mem)
}

// DeleteMemoryUtilization clears the memory utilization.
func (r *serverMetricsRecorder) DeleteMemoryUtilization() { r.clearScalar(mem) }

// SetApplicationUtilization records the application utilization; negative
// values are ignored.
func (r *serverMetricsRecorder) SetApplicationUtilization(v float64) {
	r.setScalar("application utilization", v, -1, app)
}

// DeleteApplicationUtilization clears the application utilization.
func (r *serverMetricsRecorder) DeleteApplicationUtilization() { r.clearScalar(app) }

// SetQPS records the query rate; negative values are ignored.
func (r *serverMetricsRecorder) SetQPS(v float64) { r.setScalar("QPS", v, -1, qps) }

// DeleteQPS clears the query rate.
func (r *serverMetricsRecorder) DeleteQPS() { r.clearScalar(qps) }

// SetEPS records the error rate; negative values are ignored.
func (r *serverMetricsRecorder) SetEPS(v float64) { r.setScalar("EPS", v, -1, eps) }

// DeleteEPS clears the error rate.
func (r *serverMetricsRecorder) DeleteEPS() { r.clearScalar(eps) }

// SetNamedUtilization records the utilization called name; values outside
// [0, 1] are ignored.
func (r *serverMetricsRecorder) SetNamedUtilization(name string, v float64) {
	if v < 0 || v > 1 {
		if logger.V(2) {
			logger.Infof("Ignoring utilization %q value out of range: %v", name, v)
		}
		return
	}
	r.update(func(sm *ServerMetrics) { sm.Utilization[name] = v })
}

// DeleteNamedUtilization clears the utilization called name.
func (r *serverMetricsRecorder) DeleteNamedUtilization(name string) {
	r.update(func(sm *ServerMetrics) { delete(sm.Utilization, name) })
}

// SetRequestCost records the request cost called name.
func (r *serverMetricsRecorder) SetRequestCost(name string, v float64) {
	r.update(func(sm *ServerMetrics) { sm.RequestCost[name] = v })
}

// DeleteRequestCost clears the request cost called name.
func (r *serverMetricsRecorder) DeleteRequestCost(name string) {
	r.update(func(sm *ServerMetrics) { delete(sm.RequestCost, name) })
}

// SetNamedMetric records the metric called name.
func (r *serverMetricsRecorder) SetNamedMetric(name string, v float64) {
	r.update(func(sm *ServerMetrics) { sm.NamedMetrics[name] = v })
}

// DeleteNamedMetric clears the metric called name.
func (r *serverMetricsRecorder) DeleteNamedMetric(name string) {
	r.update(func(sm *ServerMetrics) { delete(sm.NamedMetrics, name) })
}
