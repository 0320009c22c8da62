// Package serviceconfig holds the opaque types through which parsed service
// configs pass between resolvers, balancers and the channel.
//
// This package is experimental.
package serviceconfig

// Config is a parsed service config; only the grpc package creates one.
type Config interface {
	isServiceConfig()
}

// LoadBalancingConfig is a parsed configuration for one load balancing
// policy.
type LoadBalancingConfig interface {
	isLoadBalancingConfig()
}

// ParseResult is the outcome of parsing a service config: exactly one of
// Config and Err is set.
type ParseResult struct {
	Config Config
	Err    error
}
