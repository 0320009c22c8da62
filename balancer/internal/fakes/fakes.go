// Package fakes provides in-memory balancer.ClientConn and balancer.SubConn
// implementations for testing load balancing policies without a channel.
//
// The fakes are synchronous: a test changes a SubConn's state with
// SubConn.SetState, which calls the policy's StateListener on the test's
// goroutine, and the policy's UpdateState calls are recorded for inspection.
package fakes

import (
	"fmt"
	"sync"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/resolver"
)

// ClientConn records what a policy does with its channel.
type ClientConn struct {
	balancer.ClientConn // nil; satisfies the embedding requirement only

	mu          sync.Mutex
	subConns    []*SubConn
	states      []balancer.State
	resolveNows int

	// Connects receives every SubConn whose Connect is called. It is
	// buffered generously so that policies never block on it.
	Connects chan *SubConn
	// StateUpdates receives a copy of every state the policy reports.
	StateUpdates chan balancer.State
}

// NewClientConn returns an empty ClientConn.
func NewClientConn() *ClientConn {
	return &ClientConn{
		Connects:     make(chan *SubConn, 10000),
		StateUpdates: make(chan balancer.State, 10000),
	}
}

// NewSubConn creates a fake SubConn.
func (cc *ClientConn) NewSubConn(addrs []resolver.Address, opts balancer.NewSubConnOptions) (balancer.SubConn, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("fakes: NewSubConn without address")
	}
	sc := &SubConn{cc: cc, Addrs: addrs, listener: opts.StateListener, state: connectivity.Idle}
	cc.mu.Lock()
	cc.subConns = append(cc.subConns, sc)
	cc.mu.Unlock()
	return sc, nil
}

// RemoveSubConn shuts sc down.
func (cc *ClientConn) RemoveSubConn(sc balancer.SubConn) { sc.Shutdown() }

// UpdateAddresses is not supported by the fake.
func (cc *ClientConn) UpdateAddresses(balancer.SubConn, []resolver.Address) {
	panic("fakes: UpdateAddresses is not supported")
}

// UpdateState records s.
func (cc *ClientConn) UpdateState(s balancer.State) {
	cc.mu.Lock()
	cc.states = append(cc.states, s)
	cc.mu.Unlock()
	cc.StateUpdates <- s
}

// ResolveNow counts re-resolution requests.
func (cc *ClientConn) ResolveNow(resolver.ResolveNowOptions) {
	cc.mu.Lock()
	cc.resolveNows++
	cc.mu.Unlock()
}

// Target returns a fixed target.
func (cc *ClientConn) Target() string { return "fake:///target" }

// MetricsRecorder returns a recorder that drops everything.
func (cc *ClientConn) MetricsRecorder() estats.MetricsRecorder {
	return estats.UnimplementedMetricsRecorder{}
}

// States returns all states reported so far.
func (cc *ClientConn) States() []balancer.State {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return append([]balancer.State(nil), cc.states...)
}

// LastState returns the most recent state, or a zero State if none.
func (cc *ClientConn) LastState() balancer.State {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.states) == 0 {
		return balancer.State{}
	}
	return cc.states[len(cc.states)-1]
}

// SubConns returns every SubConn created so far, in creation order.
func (cc *ClientConn) SubConns() []*SubConn {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return append([]*SubConn(nil), cc.subConns...)
}

// SubConn returns the most recently created SubConn for addr, or nil.
func (cc *ClientConn) SubConn(addr string) *SubConn {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for i := len(cc.subConns) - 1; i >= 0; i-- {
		if cc.subConns[i].Addrs[0].Addr == addr {
			return cc.subConns[i]
		}
	}
	return nil
}

// SubConn is a fake connection whose state the test drives.
type SubConn struct {
	balancer.SubConn // nil; satisfies the embedding requirement only

	cc       *ClientConn
	listener func(balancer.SubConnState)
	// Addrs are the addresses the SubConn was created with.
	Addrs []resolver.Address

	mu       sync.Mutex
	state    connectivity.State
	connects int
	shutdown bool
	health   func(balancer.SubConnState)
}

func (sc *SubConn) String() string { return "SubConn(" + sc.Addrs[0].Addr + ")" }

// Connect counts the call and publishes sc on ClientConn.Connects.
func (sc *SubConn) Connect() {
	sc.mu.Lock()
	sc.connects++
	sc.mu.Unlock()
	sc.cc.Connects <- sc
}

// Shutdown marks sc as shut down. Like the real channel it then delivers a
// SHUTDOWN update, but only when the test calls DeliverShutdown, because the
// real channel does it asynchronously.
func (sc *SubConn) Shutdown() {
	sc.mu.Lock()
	sc.shutdown = true
	sc.mu.Unlock()
}

// GetOrBuildProducer is not supported by the fake.
func (sc *SubConn) GetOrBuildProducer(balancer.ProducerBuilder) (balancer.Producer, func()) {
	panic("fakes: GetOrBuildProducer is not supported")
}

// RegisterHealthListener stores f for SetHealth.
func (sc *SubConn) RegisterHealthListener(f func(balancer.SubConnState)) {
	sc.mu.Lock()
	sc.health = f
	sc.mu.Unlock()
}

// Connects returns how often Connect was called.
func (sc *SubConn) Connects() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.connects
}

// IsShutdown reports whether Shutdown was called.
func (sc *SubConn) IsShutdown() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.shutdown
}

// State returns the state last set by the test.
func (sc *SubConn) State() connectivity.State {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.state
}

// SetState delivers a state change to the policy's listener.
func (sc *SubConn) SetState(s connectivity.State) {
	sc.setState(balancer.SubConnState{ConnectivityState: s})
}

// Fail delivers TRANSIENT_FAILURE with err to the policy's listener.
func (sc *SubConn) Fail(err error) {
	sc.setState(balancer.SubConnState{ConnectivityState: connectivity.TransientFailure, ConnectionError: err})
}

// DeliverShutdown delivers the final SHUTDOWN update.
func (sc *SubConn) DeliverShutdown() {
	sc.setState(balancer.SubConnState{ConnectivityState: connectivity.Shutdown})
}

func (sc *SubConn) setState(st balancer.SubConnState) {
	sc.mu.Lock()
	sc.state = st.ConnectivityState
	l := sc.listener
	sc.mu.Unlock()
	if l != nil {
		l(st)
	}
}

// SetHealth delivers a health update to the registered health listener and
// reports whether there was one.
func (sc *SubConn) SetHealth(st balancer.SubConnState) bool {
	sc.mu.Lock()
	h := sc.health
	sc.mu.Unlock()
	if h == nil {
		return false
	}
	h(st)
	return true
}
