package grpc

import (
	"context"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"sync"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/resolver"
)

// errConnDrain closes the transports of a SubConn the policy shut down; its
// running streams were allowed to finish first.
var errConnDrain = connectionError{desc: "grpc: the connection is drained", temp: true}

// acBalancerWrapper is the balancer.SubConn handed to LB policies; behind it
// is an addrConn. State changes reach the policy through the serializer, in
// the order they happened.
type acBalancerWrapper struct {
	internal.EnforceSubConnEmbedding
	ac       *addrConn
	child    *lbChild
	listener func(balancer.SubConnState)

	mu             sync.Mutex
	producers      map[balancer.ProducerBuilder]*refCountedProducer
	healthListener func(balancer.SubConnState)
	healthGen      uint64             // counts registrations, so a stale one is known
	healthStop     context.CancelFunc // ends the running health check, if any
	state          connectivity.State
}

type refCountedProducer struct {
	producer balancer.Producer
	refs     int
	close    func()
}

// newSubConn makes the SubConn and its addrConn, or returns nil if the
// channel is closed. child.mu is held.
func newSubConn(child *lbChild, addrs []resolver.Address, opts balancer.NewSubConnOptions) *acBalancerWrapper {
	cc := child.w.cc
	sc := &acBalancerWrapper{child: child, listener: opts.StateListener}
	serializer := child.w.serializer
	sc.ac = newAddrConn(cc, addrs, func(s connectivity.State, err error) {
		cc.noteConnectionError(s, err)
		serializer.schedule(func() { sc.deliver(s, err) })
	})
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.closed {
		return nil
	}
	cc.conns[sc.ac] = struct{}{}
	return sc
}

// deliver reports a state change to the policy; it runs on the serializer.
func (sc *acBalancerWrapper) deliver(s connectivity.State, err error) {
	sc.mu.Lock()
	sc.state = s
	if s != connectivity.Ready {
		// A health listener only lives for one READY period.
		sc.healthListener = nil
		sc.stopHealthLocked()
	}
	if s == connectivity.Ready || s == connectivity.Shutdown {
		// Producers built on the old connection cannot outlive it.
		sc.closeProducersLocked()
	}
	sc.mu.Unlock()
	st := balancer.SubConnState{ConnectivityState: s, ConnectionError: err}
	if sc.listener != nil {
		sc.listener(st)
		return
	}
	sc.child.mu.Lock()
	closed := sc.child.closed
	sc.child.mu.Unlock()
	if !closed {
		//lint:ignore SA1019 policies that predate StateListener still get updates this way
		sc.child.bal.UpdateSubConnState(sc, st)
	}
}

// UpdateAddresses changes the addresses; a connection to an address that
// is no longer listed is drained.
//
// Deprecated: create a new SubConn instead.
func (sc *acBalancerWrapper) UpdateAddresses(addrs []resolver.Address) {
	sc.ac.updateAddrs(addrs)
}

// Connect starts connecting if the SubConn is IDLE.
func (sc *acBalancerWrapper) Connect() {
	// Connecting may block on dial setup; never do it on the caller's
	// goroutine, which is usually the serializer.
	go sc.ac.connect()
}

// Shutdown removes the SubConn: its running RPCs finish, then its
// connection closes. The policy receives a final SHUTDOWN state.
func (sc *acBalancerWrapper) Shutdown() {
	sc.child.forget(sc)
	cc := sc.ac.cc
	cc.mu.Lock()
	delete(cc.conns, sc.ac)
	cc.mu.Unlock()
	sc.ac.tearDown(errConnDrain, true)
}

// GetOrBuildProducer returns the SubConn's producer of pb's kind, building
// it on first use. The returned close releases this caller's reference.
func (sc *acBalancerWrapper) GetOrBuildProducer(pb balancer.ProducerBuilder) (balancer.Producer, func()) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.producers == nil {
		sc.producers = make(map[balancer.ProducerBuilder]*refCountedProducer)
	}
	p := sc.producers[pb]
	if p == nil {
		prod, closeFn := pb.Build(sc)
		p = &refCountedProducer{producer: prod, close: closeFn}
		sc.producers[pb] = p
	}
	p.refs++
	var once sync.Once
	return p.producer, func() {
		once.Do(func() {
			sc.mu.Lock()
			defer sc.mu.Unlock()
			p.refs--
			if p.refs == 0 && sc.producers[pb] == p {
				delete(sc.producers, pb)
				go p.close()
			}
		})
	}
}

func (sc *acBalancerWrapper) closeProducersLocked() {
	for pb, p := range sc.producers {
		delete(sc.producers, pb)
		go p.close()
	}
}

// RegisterHealthListener registers f for the health of the current READY
// connection, replacing any earlier listener. With client-side health
// checking on (a healthCheckConfig in the service config, the health
// package imported, and no WithDisableHealthCheck) a Watch stream on the
// connection drives f; otherwise a READY connection is healthy and f hears
// READY at once.
func (sc *acBalancerWrapper) RegisterHealthListener(f func(balancer.SubConnState)) {
	sc.mu.Lock()
	sc.stopHealthLocked()
	sc.healthListener = f
	sc.healthGen++
	gen := sc.healthGen
	ready := sc.state == connectivity.Ready
	sc.mu.Unlock()
	if !ready || f == nil {
		return
	}
	serializer := sc.child.w.serializer
	deliver := func(st balancer.SubConnState) {
		serializer.schedule(func() {
			sc.mu.Lock()
			current := sc.healthGen == gen && sc.healthListener != nil
			sc.mu.Unlock()
			if current {
				f(st)
			}
		})
	}
	service, check := sc.healthCheck()
	t := sc.ac.readyTransport()
	if check == nil || t == nil {
		deliver(balancer.SubConnState{ConnectivityState: connectivity.Ready})
		return
	}
	ctx, cancel := context.WithCancel(sc.ac.ctx)
	sc.mu.Lock()
	if sc.healthGen != gen {
		sc.mu.Unlock()
		cancel()
		return
	}
	sc.healthStop = cancel
	sc.mu.Unlock()
	cc := sc.ac.cc
	newStream := func(method string) (any, error) {
		return newSubConnStream(ctx, &StreamDesc{ServerStreams: true}, cc, method, t)
	}
	setState := func(s connectivity.State, err error) {
		deliver(balancer.SubConnState{ConnectivityState: s, ConnectionError: err})
	}
	go check(ctx, newStream, setState, service)
}

// healthCheck returns the health service to watch and the checker, or a nil
// checker when client-side health checking is off.
func (sc *acBalancerWrapper) healthCheck() (string, internal.HealthChecker) {
	cc := sc.ac.cc
	if cc.dopts.disableHealthCheck || internal.HealthCheckFunc == nil {
		return "", nil
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.sc == nil || cc.sc.healthCheckConfig == nil {
		return "", nil
	}
	service := ""
	if n := cc.sc.healthCheckConfig.ServiceName; n != nil {
		service = *n
	}
	return service, internal.HealthCheckFunc
}

func (sc *acBalancerWrapper) stopHealthLocked() {
	if sc.healthStop != nil {
		sc.healthStop()
		sc.healthStop = nil
	}
}

// NewStream opens a stream on the SubConn's connection, bypassing the
// picker: producers (load reports, health) run their RPCs this way. It
// fails with Unavailable unless the SubConn is READY.
func (sc *acBalancerWrapper) NewStream(ctx context.Context, desc *StreamDesc, method string, opts ...CallOption) (ClientStream, error) {
	t := sc.ac.readyTransport()
	if t == nil {
		return nil, status.Error(codes.Unavailable, "SubConn state is not Ready")
	}
	return newSubConnStream(ctx, desc, sc.ac.cc, method, t, opts...)
}

// Invoke runs a unary RPC on the SubConn's connection, as NewStream does.
func (sc *acBalancerWrapper) Invoke(ctx context.Context, method string, args, reply any, opts ...CallOption) error {
	cs, err := sc.NewStream(ctx, unaryStreamDesc, method, opts...)
	if err != nil {
		return err
	}
	if err := cs.SendMsg(args); err != nil {
		return err
	}
	return cs.RecvMsg(reply)
}
