// Package roundrobin implements the round_robin load balancing policy: one
// connection per endpoint, RPCs spread over the READY ones in turn. It is
// registered by importing the package, and the grpc package imports it, so
// applications can name it in a service config without importing it.
package roundrobin

import (
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/endpointsharding"
	"google.golang.org/grpc/balancer/pickfirst"
)

// Name is the name round_robin is registered under.
const Name = "round_robin"

func init() {
	balancer.Register(builder{})
}

type builder struct{}

func (builder) Name() string { return Name }

// Build returns endpointsharding with a pick_first child per endpoint.
// pick_first keeps the endpoint connected (trying its addresses in order),
// endpointsharding reconnects children that go IDLE and its picker already
// rotates over the READY children from a random start, which is all
// round_robin needs.
func (builder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	pf := balancer.Get(pickfirst.Name)
	return &rrBalancer{
		Balancer: endpointsharding.NewBalancer(cc, opts, pf.Build, endpointsharding.Options{}),
	}
}

type rrBalancer struct {
	balancer.Balancer
}

// UpdateClientConnState drops round_robin's (empty) config, which is not
// meant for the pick_first children, and has them follow the health of
// their connection so that health checking can take endpoints out of the
// rotation.
func (b *rrBalancer) UpdateClientConnState(ccs balancer.ClientConnState) error {
	return b.Balancer.UpdateClientConnState(balancer.ClientConnState{
		ResolverState: pickfirst.EnableHealthListener(ccs.ResolverState),
	})
}
