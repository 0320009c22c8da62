package balancer

import (
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/resolver"
)

// SubConn is one logical connection to a backend.
//
// A new SubConn is IDLE and does nothing until Connect is called. A failed
// attempt moves it to TRANSIENT_FAILURE for a backoff period, after which it
// returns to IDLE; a successful one moves it to READY. When a READY
// connection is lost the SubConn goes back to IDLE, and again stays there
// until Connect is called.
//
// A SubConn created with several addresses tries them in order and keeps the
// first that connects; that mode is deprecated and new code should use one
// address per SubConn.
//
// gRPC provides the implementation. Wrappers must embed the SubConn they
// wrap (enforced by internal.EnforceSubConnEmbedding), and that embedded
// value must not be nil.
type SubConn interface {
	// UpdateAddresses replaces the SubConn's addresses, keeping the current
	// connection only if its address is still listed.
	//
	// Deprecated: create a new SubConn for new addresses instead.
	UpdateAddresses([]resolver.Address)
	// Connect starts a connection attempt if the SubConn is IDLE.
	Connect()
	// GetOrBuildProducer returns the SubConn's producer for pb, building it
	// on first use, together with a function releasing this reference.
	// Producers are closed when the last reference is released, when the
	// connection is lost, or when the SubConn shuts down. Call it only on a
	// READY SubConn, since producers usually open streams.
	GetOrBuildProducer(ProducerBuilder) (p Producer, close func())
	// Shutdown closes the SubConn, letting RPCs in flight finish. The state
	// listener then receives one last update with state SHUTDOWN, possibly
	// before those RPCs are done. The SubConn must not be used afterwards.
	Shutdown()
	// RegisterHealthListener replaces the SubConn's health listener. A
	// listener has to be registered again every time the SubConn becomes
	// READY, must only be registered while it is READY, and must not be
	// registered from inside a call to the previous listener.
	RegisterHealthListener(func(SubConnState))

	internal.EnforceSubConnEmbedding
}

// NewSubConnOptions tunes a SubConn created by ClientConn.NewSubConn.
type NewSubConnOptions struct {
	// CredsBundle replaces the channel's credentials for this SubConn when
	// not nil.
	//
	// Deprecated: put handshake information in resolver.Address.Attributes.
	CredsBundle credentials.Bundle
	// HealthCheckEnabled turns on client-side health checking for this
	// SubConn when the service config asks for it.
	HealthCheckEnabled bool
	// StateListener receives the SubConn's state changes. When nil, they go
	// to Balancer.UpdateSubConnState. It is never called before Connect.
	StateListener func(SubConnState)
}

// SubConnState is a SubConn's connectivity state.
type SubConnState struct {
	// ConnectivityState is the new state.
	ConnectivityState connectivity.State
	// ConnectionError says why the connection failed when the state is
	// TRANSIENT_FAILURE, and is nil otherwise.
	ConnectionError error
}

// Producer is a per-SubConn helper shared by everyone who asks for it with
// the same ProducerBuilder, such as a stream collecting load reports. Its
// methods are defined by whoever builds it.
type Producer any

// ProducerBuilder creates the Producer for a SubConn.
type ProducerBuilder interface {
	// Build makes a Producer. grpcClientConnInterface is a
	// grpc.ClientConnInterface bound to the SubConn, typed as any to avoid
	// an import cycle. The returned close function runs once the producer is
	// no longer referenced or the connection changes state, and must not
	// return before its cleanup is finished.
	Build(grpcClientConnInterface any) (p Producer, close func())
}
