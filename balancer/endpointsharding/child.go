package endpointsharding

import (
	"sync"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/resolver"
)

// child wraps one child policy. It is the balancer.ClientConn the child
// sees: everything goes straight to the channel except UpdateState, which
// is recorded for the aggregate.
type child struct {
	balancer.ClientConn
	parent *shardingBalancer

	// endpoint and state are guarded by parent.mu.
	endpoint resolver.Endpoint
	state    balancer.State

	// mu serialises calls into lb; closed stops calls after Close.
	mu     sync.Mutex
	lb     balancer.Balancer
	closed bool
}

// UpdateState records the child's state and, unless the parent is in the
// middle of a top-down operation, publishes a new aggregate.
func (c *child) UpdateState(s balancer.State) {
	p := c.parent
	p.mu.Lock()
	c.state = s
	if !p.holdUpdates {
		p.publishLocked()
	}
	p.mu.Unlock()

	// The caller may hold its own lock, and exitIdle calls back into it,
	// hence the goroutine.
	if s.ConnectivityState == connectivity.Idle && !p.esOpts.DisableAutoReconnect {
		go c.exitIdle()
	}
}

func (c *child) updateClientConnState(s balancer.ClientConnState) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lb.UpdateClientConnState(s)
}

func (c *child) resolverError(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lb.ResolverError(err)
}

func (c *child) exitIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.lb.ExitIdle()
	}
}

func (c *child) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.lb.Close()
	}
}
