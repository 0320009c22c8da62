// Package endpointsharding splits the resolver's output by endpoint and
// runs one child policy per endpoint, all built by the same function; RPCs
// are spread over the children in the best connectivity state.
//
// # Experimental
//
// Notice: experimental. Any later release may change or drop this
// package.
package endpointsharding

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/base"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/resolver"
)

// randIntN is replaced by tests for predictable ordering.
var randIntN = rand.IntN

// ChildBuilderFunc builds the child policy for one endpoint. Its signature is
// that of balancer.Builder.Build, so a registered builder's Build method can
// be passed directly.
type ChildBuilderFunc func(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer

// Options tunes the balancer returned by NewBalancer.
type Options struct {
	// DisableAutoReconnect leaves children that report IDLE alone instead of
	// calling their ExitIdle right away. Callers then wake children up
	// themselves through ChildState.ExitIdle, found with
	// ChildStatesFromPicker.
	DisableAutoReconnect bool
}

// ChildState describes one child of an endpointsharding balancer.
type ChildState struct {
	Endpoint resolver.Endpoint // Endpoint is the endpoint the child serves.
	State    balancer.State    // State is the child's last reported state.
	ExitIdle func()            // ExitIdle asks the child, asynchronously, to leave IDLE.
}

// NewBalancer returns a balancer that creates one child per distinct endpoint
// with childBuilder, passes each child a resolver state holding only its
// endpoint (plus the update's attributes and load balancing config), and
// reports an aggregate of the children's states. Its pickers go round robin
// over the children in the aggregate state; ChildStatesFromPicker exposes
// every child to parent policies that want to pick differently.
func NewBalancer(cc balancer.ClientConn, opts balancer.BuildOptions, childBuilder ChildBuilderFunc, esOpts Options) balancer.Balancer {
	return &shardingBalancer{
		cc:       cc,
		opts:     opts,
		build:    childBuilder,
		esOpts:   esOpts,
		children: resolver.NewEndpointMap[*child](),
	}
}

// shardingBalancer owns the children.
//
// Locking: each child has its own mutex serialising calls into the child
// policy, and children call back into UpdateState holding it, so the order
// is child.mu before shardingBalancer.mu. To respect it, calls into
// children are never made while holding mu. Top-down operations instead set
// holdUpdates, call the children, then clear it and publish one aggregate
// state: updates children send meanwhile are only recorded.
type shardingBalancer struct {
	cc     balancer.ClientConn
	opts   balancer.BuildOptions
	build  ChildBuilderFunc
	esOpts Options

	mu          sync.Mutex
	children    *resolver.EndpointMap[*child]
	order       []*child // children in the order of the last update
	holdUpdates bool
}

// rotate returns a copy of eps starting at a random position, so that
// clients given the same list do not all favour its first entries.
func rotate(eps []resolver.Endpoint) []resolver.Endpoint {
	if len(eps) == 0 {
		return eps
	}
	r := randIntN(len(eps))
	return append(append(make([]resolver.Endpoint, 0, len(eps)), eps[r:]...), eps[:r]...)
}

// endpointsOf returns the update's endpoints. A state built with only the
// legacy address list (the channel normally fills in Endpoints itself) is
// read as one endpoint per address.
func endpointsOf(rs resolver.State) []resolver.Endpoint {
	if len(rs.Endpoints) > 0 || len(rs.Addresses) == 0 {
		return rs.Endpoints
	}
	eps := make([]resolver.Endpoint, len(rs.Addresses))
	for i, a := range rs.Addresses {
		eps[i] = resolver.Endpoint{Addresses: []resolver.Address{a}}
	}
	return eps
}

// UpdateClientConnState reconciles the children with the new endpoint list
// (building, updating, closing) and then publishes a single aggregate
// state. It returns the first error a child returned, or
// ErrBadResolverState when there is no endpoint.
func (b *shardingBalancer) UpdateClientConnState(ccs balancer.ClientConnState) error {
	b.hold()
	// b.children is only written by this method and Close, which the
	// channel never runs concurrently, so reading it without mu is safe.
	var firstErr error
	next := resolver.NewEndpointMap[*child]()
	var order []*child
	for _, ep := range rotate(endpointsOf(ccs.ResolverState)) {
		if _, dup := next.Get(ep); dup {
			continue
		}
		c, ok := b.children.Get(ep)
		if !ok {
			c = &child{ClientConn: b.cc, parent: b}
			c.lb = b.build(c, b.opts)
		}
		b.mu.Lock()
		c.endpoint = ep
		b.mu.Unlock()
		next.Set(ep, c)
		order = append(order, c)
		err := c.updateClientConnState(balancer.ClientConnState{
			ResolverState: resolver.State{
				Endpoints:  []resolver.Endpoint{ep},
				Attributes: ccs.ResolverState.Attributes,
			},
			BalancerConfig: ccs.BalancerConfig,
		})
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for ep, c := range b.children.All() {
		if _, keep := next.Get(ep); !keep {
			c.close()
		}
	}
	if next.Len() == 0 {
		firstErr = balancer.ErrBadResolverState
	}

	b.mu.Lock()
	b.children = next
	b.order = order
	b.holdUpdates = false
	b.publishLocked()
	b.mu.Unlock()
	return firstErr
}

// ResolverError passes err to every child and publishes one aggregate state
// afterwards.
func (b *shardingBalancer) ResolverError(err error) {
	b.hold()
	for _, c := range b.currentChildren() {
		c.resolverError(err)
	}
	b.release()
}

// UpdateSubConnState does nothing: children create their SubConns with
// state listeners.
func (b *shardingBalancer) UpdateSubConnState(balancer.SubConn, balancer.SubConnState) {}

// Close closes every child. No state is published afterwards.
func (b *shardingBalancer) Close() {
	b.hold()
	for _, c := range b.currentChildren() {
		c.close()
	}
}

// ExitIdle passes the call to every child.
func (b *shardingBalancer) ExitIdle() {
	b.hold()
	for _, c := range b.currentChildren() {
		c.exitIdle()
	}
	b.release()
}

func (b *shardingBalancer) currentChildren() []*child {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*child(nil), b.order...)
}

func (b *shardingBalancer) hold() {
	b.mu.Lock()
	b.holdUpdates = true
	b.mu.Unlock()
}

func (b *shardingBalancer) release() {
	b.mu.Lock()
	b.holdUpdates = false
	b.publishLocked()
	b.mu.Unlock()
}

// publishLocked reports the aggregate state: READY if any child is READY,
// else CONNECTING, else IDLE, else TRANSIENT_FAILURE. The picker rotates
// over the pickers of the children in that state.
func (b *shardingBalancer) publishLocked() {
	var byState [connectivity.Shutdown + 1][]balancer.Picker
	states := make([]ChildState, 0, len(b.order))
	for _, c := range b.order {
		states = append(states, ChildState{
			Endpoint: c.endpoint,
			State:    c.state,
			ExitIdle: func() { go c.exitIdle() },
		})
		if s := c.state.ConnectivityState; s < connectivity.Shutdown && c.state.Picker != nil {
			byState[s] = append(byState[s], c.state.Picker)
		}
	}
	agg := connectivity.TransientFailure
	pickers := byState[connectivity.TransientFailure]
	for _, s := range []connectivity.State{connectivity.Ready, connectivity.Connecting, connectivity.Idle} {
		if len(byState[s]) > 0 {
			agg, pickers = s, byState[s]
			break
		}
	}
	if len(pickers) == 0 {
		// Only possible before the first good resolver update.
		pickers = []balancer.Picker{base.NewErrPicker(errors.New("no children to pick from"))}
	}
	p := &shardPicker{pickers: pickers, children: states}
	p.next.Store(uint32(randIntN(len(pickers))))
	b.cc.UpdateState(balancer.State{ConnectivityState: agg, Picker: p})
}

// shardPicker hands RPCs to the children's pickers in turn.
type shardPicker struct {
	pickers  []balancer.Picker
	children []ChildState
	next     atomic.Uint32
}

func (p *shardPicker) Pick(info balancer.PickInfo) (balancer.PickResult, error) {
	i := p.next.Add(1) % uint32(len(p.pickers))
	return p.pickers[i].Pick(info)
}

// ChildStatesFromPicker lists every child behind picker, a picker published
// by an endpointsharding balancer. For any other picker it returns nil.
func ChildStatesFromPicker(picker balancer.Picker) []ChildState {
	if p, ok := picker.(*shardPicker); ok {
		return p.children
	}
	return nil
}
