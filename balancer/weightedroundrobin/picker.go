package weightedroundrobin

import (
	"sync/atomic"
	"time"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	"google.golang.org/grpc/balancer"
	estats "google.golang.org/grpc/experimental/stats"
)

type weightedChild struct {
	picker balancer.Picker
	weight *endpointWeight
}

// picker spreads RPCs over the READY endpoints by weight. Weights change
// with every load report, but the schedule is only rebuilt every
// WeightUpdatePeriod, by a goroutine that lives as long as the picker is the
// current one.
type picker struct {
	children []weightedChild
	cfg      *lbConfig
	recorder estats.MetricsRecorder
	labels   []string // target, locality, backend service

	seq   atomic.Uint32 // shared sequence number of all schedules
	sched atomic.Pointer[scheduler]
}

func (p *picker) next() uint32 { return p.seq.Add(1) }

// rebuild computes a new schedule from the current weights.
func (p *picker) rebuild() {
	now := timeNow()
	weights := make([]float64, len(p.children))
	for i, c := range p.children {
		w, st := c.weight.current(now, time.Duration(p.cfg.WeightExpirationPeriod), time.Duration(p.cfg.BlackoutPeriod))
		weights[i] = w
		switch st {
		case weightNotYetUsable:
			notYetUsableMetric.Record(p.recorder, 1, p.labels...)
		case weightStale:
			staleMetric.Record(p.recorder, 1, p.labels...)
		}
		weightsMetric.Record(p.recorder, w, p.labels...)
	}
	s, fallback := newScheduler(weights, p.next)
	if fallback {
		rrFallbackMetric.Record(p.recorder, 1, p.labels...)
	}
	p.sched.Store(&s)
}

// start builds the first schedule and, with more than one endpoint, starts
// refreshing it. The returned function stops the refresh.
func (p *picker) start() (stop func()) {
	p.rebuild()
	if len(p.children) == 1 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Duration(p.cfg.WeightUpdatePeriod))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.rebuild()
			}
		}
	}()
	return func() { close(done) }
}

func (p *picker) Pick(info balancer.PickInfo) (balancer.PickResult, error) {
	c := p.children[(*p.sched.Load()).nextIndex()]
	res, err := c.picker.Pick(info)
	if err != nil {
		return balancer.PickResult{}, err
	}
	if p.cfg.EnableOOBLoadReport {
		return res, nil
	}
	childDone := res.Done
	res.Done = func(di balancer.DoneInfo) {
		if r, ok := di.ServerLoad.(*v3orcapb.OrcaLoadReport); ok && r != nil {
			c.weight.onLoadReport(r)
		}
		if childDone != nil {
			childDone(di)
		}
	}
	return res, nil
}
