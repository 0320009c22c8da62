// Package pickfirst implements pick_first, the default load balancing policy
// and the leaf policy that other policies delegate single endpoints to.
//
// The policy keeps one SubConn per address and tries the addresses in order
// until one connects; all RPCs then go to that connection. It follows gRFC
// A61/A62: endpoints are flattened into one address list, failures are
// "sticky" (once every address has failed the policy stays in
// TRANSIENT_FAILURE until a connection succeeds, while it keeps retrying all
// of them), and a lost connection puts the policy in IDLE until the next RPC
// or ExitIdle. Addresses of different IP families are interleaved and a new
// attempt starts every 250ms while earlier ones are still pending (Happy
// Eyeballs, RFC 8305).
package pickfirst

import (
	"encoding/json"
	"fmt"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

// Name is the name pick_first is registered under.
const Name = "pick_first"

var logger = grpclog.Component("pick-first-lb")

func init() {
	balancer.Register(builder{})
}

type builder struct{}

func (builder) Name() string { return Name }

func (builder) Build(cc balancer.ClientConn, _ balancer.BuildOptions) balancer.Balancer {
	return &pickFirst{
		cc:        cc,
		subConns:  resolver.NewAddressMapV2[*subConnEntry](),
		state:     connectivity.Connecting,
		stopTimer: func() {},
	}
}

// config is pick_first's parsed load balancing config.
type config struct {
	serviceconfig.LoadBalancingConfig `json:"-"`

	// ShuffleAddressList randomises the order of the endpoints (not of the
	// addresses inside one endpoint) before connecting, which spreads
	// clients that all resolve the same list over the backends.
	ShuffleAddressList bool `json:"shuffleAddressList"`
}

func (builder) ParseConfig(js json.RawMessage) (serviceconfig.LoadBalancingConfig, error) {
	var cfg config
	if err := json.Unmarshal(js, &cfg); err != nil {
		return nil, fmt.Errorf("pickfirst: unable to unmarshal LB policy config: %s, error: %v", string(js), err)
	}
	return &cfg, nil
}

// healthListenerKey marks, in resolver.State.Attributes, that the policy
// should follow the READY SubConn's health updates.
type healthListenerKey struct{}

// EnableHealthListener returns state marked so that pick_first registers a
// health listener on the SubConn it connects to and reports that SubConn's
// health, not only its connectivity. Parent policies that rely on health
// checking or outlier detection of their pick_first children use it.
//
// # Experimental
//
// Notice: experimental. Any later release may change or drop this
// function.
func EnableHealthListener(state resolver.State) resolver.State {
	state.Attributes = state.Attributes.WithValue(healthListenerKey{}, true)
	return state
}
