// Package leastrequest implements least_request_experimental (gRFC A48): for
// each RPC it samples a few READY endpoints at random and sends the RPC to
// the one with the fewest RPCs in flight.
package leastrequest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/endpointsharding"
	"google.golang.org/grpc/balancer/pickfirst"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

// Name is the name least_request_experimental is registered under.
const Name = "least_request_experimental"

var (
	logger = grpclog.Component("least-request")
	// randUint32 is replaced by tests to choose the sampled endpoints.
	randUint32 = rand.Uint32
)

const (
	defaultChoiceCount = 2
	maxChoiceCount     = 10
)

func init() {
	balancer.Register(builder{})
}

// LBConfig is the configuration of least_request_experimental.
type LBConfig struct {
	serviceconfig.LoadBalancingConfig `json:"-"`

	// ChoiceCount is how many endpoints are sampled per RPC. It defaults to
	// 2; configs with a smaller value are rejected and larger values than 10
	// are lowered to 10.
	ChoiceCount uint32 `json:"choiceCount,omitempty"`
}

type builder struct{}

func (builder) Name() string { return Name }

func (builder) ParseConfig(js json.RawMessage) (serviceconfig.LoadBalancingConfig, error) {
	cfg := &LBConfig{ChoiceCount: defaultChoiceCount}
	if err := json.Unmarshal(js, cfg); err != nil {
		return nil, fmt.Errorf("least-request: unable to unmarshal LBConfig: %v", err)
	}
	if cfg.ChoiceCount < 2 {
		return nil, fmt.Errorf("least-request: lbConfig.choiceCount: %v, must be >= 2", cfg.ChoiceCount)
	}
	cfg.ChoiceCount = min(cfg.ChoiceCount, maxChoiceCount)
	return cfg, nil
}

func (builder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	b := &lrBalancer{
		ClientConn:  cc,
		choiceCount: defaultChoiceCount,
		inFlight:    resolver.NewEndpointMap[*atomic.Int32](),
	}
	b.child = endpointsharding.NewBalancer(b, opts, balancer.Get(pickfirst.Name).Build, endpointsharding.Options{})
	return b
}

// lrBalancer sits between the channel and endpointsharding: it passes
// everything down, and replaces endpointsharding's pickers with its own.
type lrBalancer struct {
	balancer.ClientConn // the channel; UpdateState is intercepted
	child               balancer.Balancer

	mu          sync.Mutex
	choiceCount uint32
	// inFlight holds the RPC counter of every READY endpoint. Counters
	// outlive pickers so that RPCs started under an old picker are still
	// counted by the next one.
	inFlight *resolver.EndpointMap[*atomic.Int32]
}

func (b *lrBalancer) UpdateClientConnState(ccs balancer.ClientConnState) error {
	count := uint32(defaultChoiceCount)
	switch cfg := ccs.BalancerConfig.(type) {
	case nil:
	case *LBConfig:
		count = cfg.ChoiceCount
	default:
		logger.Errorf("least-request: received config of unexpected type %T: %v", cfg, cfg)
		return balancer.ErrBadResolverState
	}
	b.mu.Lock()
	b.choiceCount = count
	b.mu.Unlock()
	// The children are pick_first; health listeners let client-side health
	// checking take endpoints out of the sample.
	return b.child.UpdateClientConnState(balancer.ClientConnState{
		ResolverState: pickfirst.EnableHealthListener(ccs.ResolverState),
	})
}

func (b *lrBalancer) ResolverError(err error) { b.child.ResolverError(err) }
func (b *lrBalancer) ExitIdle()               { b.child.ExitIdle() }
func (b *lrBalancer) Close()                  { b.child.Close() }

func (b *lrBalancer) UpdateSubConnState(sc balancer.SubConn, st balancer.SubConnState) {
	logger.Errorf("least-request: UpdateSubConnState(%p, %+v) called although every SubConn has a StateListener", sc, st)
}

// UpdateState receives endpointsharding's aggregate state. With READY
// endpoints it publishes a least-request picker over them; otherwise
// endpointsharding's own picker, which rotates over the children in the
// best available state, is good enough.
func (b *lrBalancer) UpdateState(s balancer.State) {
	var ready []endpointsharding.ChildState
	for _, c := range endpointsharding.ChildStatesFromPicker(s.Picker) {
		if c.State.ConnectivityState == connectivity.Ready {
			ready = append(ready, c)
		}
	}
	if len(ready) == 0 {
		b.ClientConn.UpdateState(s)
		return
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	live := resolver.NewEndpointMap[*atomic.Int32]()
	choices := make([]choice, 0, len(ready))
	for _, c := range ready {
		n, ok := b.inFlight.Get(c.Endpoint)
		if !ok {
			n = new(atomic.Int32)
		}
		live.Set(c.Endpoint, n)
		choices = append(choices, choice{picker: c.State.Picker, inFlight: n})
	}
	// Endpoints that are no longer READY start from zero if they return.
	b.inFlight = live
	b.ClientConn.UpdateState(balancer.State{
		ConnectivityState: connectivity.Ready,
		Picker:            &picker{choiceCount: b.choiceCount, choices: choices},
	})
}

type choice struct {
	picker   balancer.Picker
	inFlight *atomic.Int32
}

type picker struct {
	choiceCount uint32
	choices     []choice
}

// Pick samples choiceCount endpoints with replacement, keeps the first one
// with the lowest count, and counts the RPC against it until it is done.
func (p *picker) Pick(info balancer.PickInfo) (balancer.PickResult, error) {
	var best *choice
	var bestN int32
	for range p.choiceCount {
		c := &p.choices[randUint32()%uint32(len(p.choices))]
		if n := c.inFlight.Load(); best == nil || n < bestN {
			best, bestN = c, n
		}
	}
	res, err := best.picker.Pick(info)
	if err != nil {
		return res, err
	}
	best.inFlight.Add(1)
	childDone := res.Done
	res.Done = func(di balancer.DoneInfo) {
		best.inFlight.Add(-1)
		if childDone != nil {
			childDone(di)
		}
	}
	return res, nil
}
