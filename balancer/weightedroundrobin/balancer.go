package weightedroundrobin

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/endpointsharding"
	"google.golang.org/grpc/balancer/pickfirst"
	"google.golang.org/grpc/connectivity"
	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/resolver"
)

// timeNow is replaced by tests to control weight ageing.
var timeNow = time.Now

// wrrBalancer sits between the channel and endpointsharding (which gives
// every endpoint a pick_first child) and replaces endpointsharding's round
// robin pickers by weighted ones.
type wrrBalancer struct {
	balancer.ClientConn // the channel; UpdateState is intercepted
	child               balancer.Balancer
	target              string
	metrics             estats.MetricsRecorder

	mu             sync.Mutex
	cfg            *lbConfig
	backendService string
	// weights tracks every endpoint of the last resolver update; weights
	// survive picker changes and are dropped with their endpoint.
	weights *resolver.EndpointMap[*endpointWeight]
	// stopPicker stops the weight refresh of the current picker.
	stopPicker func()
}

func (b *wrrBalancer) UpdateClientConnState(ccs balancer.ClientConnState) error {
	cfg, ok := ccs.BalancerConfig.(*lbConfig)
	if !ok {
		return fmt.Errorf("wrr: received nil or illegal BalancerConfig (type %T): %v", ccs.BalancerConfig, ccs.BalancerConfig)
	}
	rs := ccs.ResolverState
	if len(rs.Endpoints) == 0 {
		// The channel normally derives endpoints itself; do it here too so
		// that the weight map and the children agree.
		for _, a := range rs.Addresses {
			rs.Endpoints = append(rs.Endpoints, resolver.Endpoint{Addresses: []resolver.Address{a}})
		}
	}

	b.mu.Lock()
	b.cfg = cfg
	b.backendService = backendService(rs)
	next := resolver.NewEndpointMap[*endpointWeight]()
	for _, ep := range rs.Endpoints {
		w, ok := b.weights.Get(ep)
		if !ok {
			w = &endpointWeight{}
		}
		w.setConfig(cfg)
		next.Set(ep, w)
	}
	b.weights = next
	b.mu.Unlock()

	// endpointsharding publishes synchronously, which comes back through
	// UpdateState below.
	return b.child.UpdateClientConnState(balancer.ClientConnState{
		ResolverState: pickfirst.EnableHealthListener(rs),
	})
}

func (b *wrrBalancer) ResolverError(err error) { b.child.ResolverError(err) }
func (b *wrrBalancer) ExitIdle()               { b.child.ExitIdle() }

func (b *wrrBalancer) UpdateSubConnState(sc balancer.SubConn, st balancer.SubConnState) {
	logger.Errorf("wrr: UpdateSubConnState(%p, %+v) called although every SubConn has a StateListener", sc, st)
}

func (b *wrrBalancer) Close() {
	b.mu.Lock()
	if b.stopPicker != nil {
		b.stopPicker()
		b.stopPicker = nil
	}
	b.mu.Unlock()
	b.child.Close()
}

// UpdateState receives endpointsharding's aggregate state and, when some
// endpoints are READY, publishes a weighted picker over them instead.
func (b *wrrBalancer) UpdateState(s balancer.State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopPicker != nil {
		b.stopPicker()
		b.stopPicker = nil
	}

	var ready []weightedChild
	for _, c := range endpointsharding.ChildStatesFromPicker(s.Picker) {
		w, ok := b.weights.Get(c.Endpoint)
		if !ok {
			continue
		}
		isReady := c.State.ConnectivityState == connectivity.Ready
		w.setReady(isReady)
		if isReady {
			ready = append(ready, weightedChild{picker: c.State.Picker, weight: w})
		}
	}
	if len(ready) == 0 || b.cfg == nil {
		b.ClientConn.UpdateState(s)
		return
	}
	p := &picker{
		children: ready,
		cfg:      b.cfg,
		recorder: b.metrics,
		labels:   []string{b.target, "", b.backendService},
	}
	p.seq.Store(rand.Uint32())
	b.stopPicker = p.start()
	b.ClientConn.UpdateState(balancer.State{ConnectivityState: s.ConnectivityState, Picker: p})
}

// endpointWeight holds what the policy knows about one endpoint's load.
type endpointWeight struct {
	mu  sync.Mutex
	cfg *lbConfig
	// ready records whether the endpoint was READY in the last picker;
	// a new connection restarts the blackout period.
	ready bool
	// weight is the value computed from the latest usable report.
	weight float64
	// nonEmptySince is when the current run of reports began (zero if
	// none); lastUpdated is when the latest one arrived (zero if none).
	nonEmptySince, lastUpdated time.Time
}

func (w *endpointWeight) setConfig(cfg *lbConfig) {
	w.mu.Lock()
	w.cfg = cfg
	w.mu.Unlock()
}

func (w *endpointWeight) setReady(ready bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ready && !w.ready {
		w.nonEmptySince, w.lastUpdated = time.Time{}, time.Time{}
	}
	w.ready = ready
}

// onLoadReport turns an ORCA report into a weight: queries per second per
// unit of utilization, where errors count as extra utilization. Reports
// without utilization or without queries carry no information and are
// ignored.
func (w *endpointWeight) onLoadReport(r *v3orcapb.OrcaLoadReport) {
	util := r.GetApplicationUtilization()
	if util <= 0 {
		util = r.GetCpuUtilization()
	}
	qps := r.GetRpsFractional()
	if util <= 0 || qps <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	penalty := 1.0
	if w.cfg != nil {
		penalty = w.cfg.ErrorUtilizationPenalty
	}
	w.weight = qps / (util + r.GetEps()/qps*penalty)
	w.lastUpdated = timeNow()
	if w.nonEmptySince.IsZero() {
		w.nonEmptySince = w.lastUpdated
	}
}

// weightState says why an endpoint's weight is or is not usable.
type weightState int

const (
	weightUsable weightState = iota
	weightNotYetUsable
	weightStale
)

// current returns the weight to schedule with at now, or 0 when there is no
// recent report or reports have not been coming for a full blackout period.
func (w *endpointWeight) current(now time.Time, expiration, blackout time.Duration) (float64, weightState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastUpdated.IsZero() {
		return 0, weightNotYetUsable
	}
	if now.Sub(w.lastUpdated) >= expiration {
		// Once reports resume, the blackout period applies again.
		w.nonEmptySince = time.Time{}
		return 0, weightStale
	}
	if blackout > 0 && (w.nonEmptySince.IsZero() || now.Sub(w.nonEmptySince) < blackout) {
		return 0, weightNotYetUsable
	}
	return w.weight, weightUsable
}
