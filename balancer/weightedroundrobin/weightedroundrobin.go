// Package weightedroundrobin implements weighted_round_robin, the client-side
// weighted round robin policy of [gRFC A58]. Each endpoint gets one
// connection, as with round_robin, but RPCs are spread in proportion to
// weights computed from the ORCA load reports the backends attach to their
// responses (queries per second divided by utilization).
//
// Only per-call load reports are used. Out-of-band reporting
// (enableOobLoadReport) is accepted in the configuration but not
// implemented: with it enabled no weight is ever learned and the policy
// degrades to plain round robin.
//
// # Experimental
//
// Notice: experimental. Any later release may change or drop this
// package.
//
// [gRFC A58]: https://github.com/grpc/proposal/blob/master/A58-client-side-weighted-round-robin-lb-policy.md
package weightedroundrobin

import (
	"encoding/json"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/endpointsharding"
	"google.golang.org/grpc/balancer/pickfirst"
	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"

	// Installs the decoder that fills balancer.DoneInfo.ServerLoad.
	_ "google.golang.org/grpc/internal/balancerload/orcaload"
)

// Name is the name weighted_round_robin is registered under.
const Name = "weighted_round_robin"

var logger = grpclog.Component("weighted-round-robin")

var metricLabels = estats.MetricDescriptor{
	Labels:         []string{"grpc.target"},
	OptionalLabels: []string{"grpc.lb.locality", "grpc.lb.backend_service"},
}

func describe(name, unit, desc string) estats.MetricDescriptor {
	d := metricLabels
	d.Name, d.Unit, d.Description = name, unit, desc
	return d
}

var (
	rrFallbackMetric = estats.RegisterInt64Count(describe("grpc.lb.wrr.rr_fallback", "{update}",
		"EXPERIMENTAL. Scheduler updates that fell back to plain round robin because fewer than two endpoints had a usable weight."))
	notYetUsableMetric = estats.RegisterInt64Count(describe("grpc.lb.wrr.endpoint_weight_not_yet_usable", "{endpoint}",
		"EXPERIMENTAL. Endpoints, per scheduler update, whose weight cannot be used yet: no load report so far, or still in the blackout period."))
	staleMetric = estats.RegisterInt64Count(describe("grpc.lb.wrr.endpoint_weight_stale", "{endpoint}",
		"EXPERIMENTAL. Endpoints, per scheduler update, whose latest load report is older than the weight expiration period."))
	weightsMetric = estats.RegisterFloat64Histo(describe("grpc.lb.wrr.endpoint_weights", "{endpoint}",
		"EXPERIMENTAL. The weight of every endpoint at each scheduler update; endpoints without a usable weight count as 0."))
)

func init() {
	balancer.Register(builder{})
}

type builder struct{}

func (builder) Name() string { return Name }

func (builder) ParseConfig(js json.RawMessage) (serviceconfig.LoadBalancingConfig, error) {
	return parseConfig(js)
}

func (builder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	b := &wrrBalancer{
		ClientConn: cc,
		target:     opts.Target.String(),
		metrics:    cc.MetricsRecorder(),
		weights:    resolver.NewEndpointMap[*endpointWeight](),
	}
	b.child = endpointsharding.NewBalancer(b, opts, balancer.Get(pickfirst.Name).Build, endpointsharding.Options{})
	return b
}

type backendServiceKey struct{}

// SetBackendService returns state annotated with backendService, which the
// policy then uses as the grpc.lb.backend_service label of its metrics.
func SetBackendService(state resolver.State, backendService string) resolver.State {
	state.Attributes = state.Attributes.WithValue(backendServiceKey{}, backendService)
	return state
}

func backendService(state resolver.State) string {
	s, _ := state.Attributes.Value(backendServiceKey{}).(string)
	return s
}
