package base

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/resolver"
)

var logger = grpclog.Component("balancer")

type builder struct {
	name   string
	pb     PickerBuilder
	config Config
}

func (b *builder) Name() string { return b.name }

func (b *builder) Build(cc balancer.ClientConn, _ balancer.BuildOptions) balancer.Balancer {
	return &baseBalancer{
		cc:       cc,
		pb:       b.pb,
		config:   b.config,
		byAddr:   resolver.NewAddressMapV2[balancer.SubConn](),
		states:   make(map[balancer.SubConn]connectivity.State),
		state:    connectivity.Connecting,
		picker:   NewErrPicker(balancer.ErrNoSubConnAvailable),
		evaluate: &balancer.ConnectivityStateEvaluator{},
	}
}

// baseBalancer is driven only from the channel's serialised callbacks
// (UpdateClientConnState, ResolverError and the StateListeners), so it needs
// no lock.
type baseBalancer struct {
	cc     balancer.ClientConn
	pb     PickerBuilder
	config Config

	byAddr *resolver.AddressMapV2[balancer.SubConn]
	// states keeps SubConns removed from byAddr until their SHUTDOWN update
	// arrives, so that the evaluator's counts stay balanced.
	states   map[balancer.SubConn]connectivity.State
	evaluate *balancer.ConnectivityStateEvaluator
	state    connectivity.State
	picker   balancer.Picker

	// The most recent errors, quoted by the failing picker. resolverErr is
	// cleared by a good resolver update.
	resolverErr error
	connErr     error
}

func (b *baseBalancer) UpdateClientConnState(s balancer.ClientConnState) error {
	b.resolverErr = nil
	wanted := resolver.NewAddressMapV2[bool]()
	for _, addr := range s.ResolverState.Addresses {
		wanted.Set(addr, true)
		if _, ok := b.byAddr.Get(addr); ok {
			continue
		}
		var sc balancer.SubConn
		//lint:ignore SA1019 one address per SubConn is exactly the supported use.
		sc, err := b.cc.NewSubConn([]resolver.Address{addr}, balancer.NewSubConnOptions{
			HealthCheckEnabled: b.config.HealthCheck,
			StateListener:      func(st balancer.SubConnState) { b.subConnStateChanged(sc, st) },
		})
		if err != nil {
			logger.Warningf("base: cannot create SubConn for %v: %v", addr, err)
			continue
		}
		b.byAddr.Set(addr, sc)
		b.states[sc] = connectivity.Idle
		b.evaluate.RecordTransition(connectivity.Shutdown, connectivity.Idle)
		sc.Connect()
	}
	for addr, sc := range b.byAddr.All() {
		if _, ok := wanted.Get(addr); !ok {
			// The SubConn stays in b.states until its SHUTDOWN arrives.
			sc.Shutdown()
			b.byAddr.Delete(addr)
		}
	}
	if len(s.ResolverState.Addresses) == 0 {
		b.ResolverError(errors.New("produced zero addresses"))
		return balancer.ErrBadResolverState
	}
	b.rebuildPicker()
	b.cc.UpdateState(balancer.State{ConnectivityState: b.state, Picker: b.picker})
	return nil
}

func (b *baseBalancer) ResolverError(err error) {
	b.resolverErr = err
	if b.byAddr.Len() == 0 {
		b.state = connectivity.TransientFailure
	}
	// With working SubConns the resolver failure is not worth reporting;
	// RPCs keep using them.
	if b.state != connectivity.TransientFailure {
		return
	}
	b.rebuildPicker()
	b.cc.UpdateState(balancer.State{ConnectivityState: b.state, Picker: b.picker})
}

// failure describes why the balancer is in TRANSIENT_FAILURE.
func (b *baseBalancer) failure() error {
	switch {
	case b.connErr == nil:
		return fmt.Errorf("last resolver error: %v", b.resolverErr)
	case b.resolverErr == nil:
		return fmt.Errorf("last connection error: %v", b.connErr)
	}
	return fmt.Errorf("last connection error: %v; last resolver error: %v", b.connErr, b.resolverErr)
}

func (b *baseBalancer) rebuildPicker() {
	if b.state == connectivity.TransientFailure {
		b.picker = NewErrPicker(b.failure())
		return
	}
	ready := make(map[balancer.SubConn]SubConnInfo)
	for addr, sc := range b.byAddr.All() {
		if b.states[sc] == connectivity.Ready {
			ready[sc] = SubConnInfo{Address: addr}
		}
	}
	b.picker = b.pb.Build(PickerBuildInfo{ReadySCs: ready})
}

func (b *baseBalancer) subConnStateChanged(sc balancer.SubConn, st balancer.SubConnState) {
	newState := st.ConnectivityState
	oldState, ok := b.states[sc]
	if !ok {
		return
	}
	// A SubConn that failed is counted as failed until it connects again;
	// the IDLE and CONNECTING of its retries would otherwise lift the channel
	// out of TRANSIENT_FAILURE on every attempt (gRFC A62 "sticky" failure).
	if oldState == connectivity.TransientFailure &&
		(newState == connectivity.Connecting || newState == connectivity.Idle) {
		if newState == connectivity.Idle {
			sc.Connect()
		}
		return
	}
	b.states[sc] = newState
	switch newState {
	case connectivity.Idle:
		// Every address is kept connected, so a dropped connection is redialled.
		sc.Connect()
	case connectivity.Shutdown:
		delete(b.states, sc)
	case connectivity.TransientFailure:
		b.connErr = st.ConnectionError
	}
	b.state = b.evaluate.RecordTransition(oldState, newState)

	// The picker only depends on the READY set, except in TRANSIENT_FAILURE
	// where it quotes the latest error.
	if (newState == connectivity.Ready) != (oldState == connectivity.Ready) ||
		b.state == connectivity.TransientFailure {
		b.rebuildPicker()
	}
	b.cc.UpdateState(balancer.State{ConnectivityState: b.state, Picker: b.picker})
}

func (b *baseBalancer) UpdateSubConnState(sc balancer.SubConn, st balancer.SubConnState) {
	logger.Errorf("base: UpdateSubConnState(%p, %+v) called although every SubConn has a StateListener", sc, st)
}

// Close leaves SubConns to the channel, which shuts them down with the
// balancer.
func (b *baseBalancer) Close() {}

// ExitIdle has nothing to do: every SubConn is reconnected as soon as it
// goes IDLE.
func (b *baseBalancer) ExitIdle() {}
