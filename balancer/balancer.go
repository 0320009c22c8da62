// Package balancer defines the interfaces through which gRPC hands resolved
// addresses to a load balancing policy and asks it, for every RPC, which
// connection to use. Every API in this package is experimental.
package balancer

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strings"

	"google.golang.org/grpc/channelz"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

var (
	logger = grpclog.Component("balancer")

	// registry maps a policy name to its builder. Registration happens from
	// init functions only, so the map needs no lock.
	registry = make(map[string]Builder)

	// caseInsensitiveNames restores the old behaviour of folding policy names
	// to lower case; like grpc-go it is opted into through the environment.
	caseInsensitiveNames = strings.EqualFold(os.Getenv("GRPC_GO_EXPERIMENTAL_CASE_SENSITIVE_BALANCER_REGISTRIES"), "false")
)

// Register makes the builder b available under the name b.Name() returns.
// When b also implements ConfigParser, gRPC uses it to parse the policy's
// part of every service config it receives and passes the parsed value to
// the balancer through UpdateClientConnState.
//
// Register is meant for init functions: it does no locking. Registering a
// second builder under a name already taken replaces the first.
func Register(b Builder) {
	name := b.Name()
	if caseInsensitiveNames {
		if lower := strings.ToLower(name); lower != name {
			logger.Warningf("balancer: policy %q registered with upper-case letters while case-insensitive names are enabled; storing it as %q", name, lower)
			name = lower
		}
	}
	registry[name] = b
}

// Get returns the builder registered under name, or nil if there is none.
// Names are compared exactly, case included.
func Get(name string) Builder {
	if caseInsensitiveNames {
		name = strings.ToLower(name)
	}
	return registry[name]
}

// Builder constructs a Balancer for one channel.
type Builder interface {
	// Build returns a new Balancer that reports to cc.
	Build(cc ClientConn, opts BuildOptions) Balancer
	// Name is the policy name, as written in a service config's
	// loadBalancingConfig.
	Name() string
}

// ConfigParser is implemented by builders whose policy accepts a JSON
// configuration.
type ConfigParser interface {
	// ParseConfig validates the JSON form of the policy's configuration and
	// returns it in the form the balancer wants. Fields it does not know
	// should be ignored so that newer configs keep working.
	ParseConfig(LoadBalancingConfigJSON json.RawMessage) (serviceconfig.LoadBalancingConfig, error)
}

// BuildOptions carries channel-wide settings to Builder.Build. Most of them
// only matter to policies that open their own connections, for instance to
// a look-aside load balancer.
type BuildOptions struct {
	// DialCreds are the channel's transport credentials.
	DialCreds credentials.TransportCredentials
	// CredsBundle is the channel's credentials bundle, if one was set.
	CredsBundle credentials.Bundle
	// Dialer is the channel's custom dialer, if one was set.
	Dialer func(context.Context, string) (net.Conn, error)
	// Authority is the name to authenticate a remote balancer server as.
	Authority string
	// ChannelzParent is the channel's channelz entry: a policy that creates
	// its own ClientConn may nest it there with grpc.WithChannelzParentID.
	ChannelzParent channelz.Identifier
	// CustomUserAgent is the channel's custom user agent; a policy that dials
	// its own connections should send the same one.
	CustomUserAgent string
	// Target is the parsed dial target, identical to the one the resolver was
	// built with.
	Target resolver.Target
}

// State is what a Balancer reports to the channel: the channel's new
// connectivity state and the picker to use from now on.
type State struct {
	// ConnectivityState becomes the channel's connectivity state.
	ConnectivityState connectivity.State
	// Picker chooses a SubConn for each RPC until the next update.
	Picker Picker
}

// ClientConnState is the input the channel gives a Balancer.
type ClientConnState struct {
	// ResolverState is the latest result of name resolution.
	ResolverState resolver.State
	// BalancerConfig is this policy's configuration, as returned by its
	// builder's ParseConfig, or nil if the builder parses no config.
	BalancerConfig serviceconfig.LoadBalancingConfig
}

// ErrBadResolverState is returned from UpdateClientConnState when the
// resolver's output cannot be used, for instance because it holds no
// address. The channel then asks the resolver to try again, with backoff,
// until an update is accepted.
var ErrBadResolverState = errors.New("bad resolver state")

// ClientConn is the channel as a Balancer sees it.
//
// gRPC provides the implementation. Policies that wrap the ClientConn given
// to them (parents intercepting their children's calls, tests) must embed
// that ClientConn, which the unexported method of
// internal.EnforceClientConnEmbedding enforces; methods gRPC adds later are
// then forwarded automatically. The embedded value must not be nil.
type ClientConn interface {
	// NewSubConn creates a SubConn for addrs. It returns at once; nothing is
	// dialled until SubConn.Connect is called.
	//
	// Deprecated: pass a single address. Support for several addresses per
	// SubConn is going away.
	NewSubConn([]resolver.Address, NewSubConnOptions) (SubConn, error)
	// RemoveSubConn shuts sc down.
	//
	// Deprecated: call SubConn.Shutdown.
	RemoveSubConn(SubConn)
	// UpdateAddresses replaces the addresses of sc. An established connection
	// survives if its address is still listed; otherwise it is drained and a
	// new connection is made.
	//
	// Deprecated: create a new SubConn for the new address instead.
	UpdateAddresses(SubConn, []resolver.Address)
	// UpdateState publishes a new connectivity state and picker. RPCs waiting
	// for a usable picker are retried with the new one.
	UpdateState(State)
	// ResolveNow asks the resolver to resolve the target again.
	ResolveNow(resolver.ResolveNowOptions)
	// Target returns the target string the channel was created with.
	//
	// Deprecated: use BuildOptions.Target.
	Target() string
	// MetricsRecorder returns the recorder through which policies that
	// register metrics record them. It is never nil.
	MetricsRecorder() estats.MetricsRecorder

	internal.EnforceClientConnEmbedding
}

// Balancer is a load balancing policy instance. gRPC feeds it resolver
// output, and it manages SubConns and publishes pickers through
// ClientConn.UpdateState.
//
// gRPC never runs two of these methods at the same time, and always from
// the same goroutine. Pickers, on the other hand, are used concurrently from
// the goroutines of RPCs.
type Balancer interface {
	// UpdateClientConnState delivers new resolver output and configuration.
	// Returning ErrBadResolverState makes the channel re-resolve with
	// backoff until an update succeeds; other errors are ignored.
	UpdateClientConnState(ClientConnState) error
	// ResolverError reports that the resolver failed.
	ResolverError(error)
	// UpdateSubConnState reports a state change of a SubConn created without
	// a StateListener.
	//
	// Deprecated: set NewSubConnOptions.StateListener instead.
	UpdateSubConnState(SubConn, SubConnState)
	// Close stops the balancer. Shutting down its SubConns is not yet
	// mandatory, but it will be, so implementations should do it.
	Close()
	// ExitIdle asks the balancer to start connecting again if it is idle.
	// SubConns that went IDLE stay idle until their Connect is called.
	ExitIdle()
}

// ExitIdler is the optional interface that once held ExitIdle, before it
// became part of Balancer.
//
// Deprecated: Balancer now requires ExitIdle; this interface will be removed.
type ExitIdler interface {
	// ExitIdle asks the balancer to start connecting again if it is idle.
	ExitIdle()
}
