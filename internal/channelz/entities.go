package channelz

import (
	"fmt"
	"maps"
)

// Channel is a channel in the registry: a ClientConn (top level when it has
// no parent) or a channel nested inside another.
type Channel struct {
	// ID is the registry id.
	ID int64
	// RefName is the human-readable name; a top channel uses its target.
	RefName string
	// Parent is the owning channel, nil for a top channel.
	Parent *Channel
	// ChannelMetrics are the channel's state and call counters.
	ChannelMetrics ChannelMetrics

	trace *ChannelTrace // nil when not recorded

	// Guarded by db.mu.
	nested  map[int64]string
	subs    map[int64]string
	removed bool
}

// EntityID returns c.ID.
func (c *Channel) EntityID() int64 { return c.ID }

func (c *Channel) kind() EntityKind { return KindChannel }

func (c *Channel) channelzIdentifier() {}

// String names c and its ancestors, for log prefixes.
func (c *Channel) String() string {
	if c.Parent == nil {
		return describe(c)
	}
	return c.Parent.String() + " " + describe(c)
}

// NestedChans copies the ids and names of the channels nested in c.
func (c *Channel) NestedChans() map[int64]string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return maps.Clone(c.nested)
}

// SubChans copies the ids and names of c's subchannels.
func (c *Channel) SubChans() map[int64]string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return maps.Clone(c.subs)
}

// Trace copies c's trace.
func (c *Channel) Trace() TraceSnapshot { return snapshot(c.trace) }

// SubChannel is a subchannel in the registry: one addrConn of a channel.
type SubChannel struct {
	// ID is the registry id.
	ID int64
	// RefName is the human-readable name, usually empty.
	RefName string
	// Parent is the owning channel.
	Parent *Channel
	// ChannelMetrics are the subchannel's state and call counters.
	ChannelMetrics ChannelMetrics

	trace *ChannelTrace

	// Guarded by db.mu.
	sockets map[int64]string
	removed bool
}

// EntityID returns sc.ID.
func (sc *SubChannel) EntityID() int64 { return sc.ID }

func (sc *SubChannel) kind() EntityKind { return KindSubChannel }

// String names sc and its ancestors.
func (sc *SubChannel) String() string {
	if sc.Parent == nil {
		return describe(sc)
	}
	return sc.Parent.String() + " " + describe(sc)
}

// Sockets copies the ids and names of sc's transport sockets.
func (sc *SubChannel) Sockets() map[int64]string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return maps.Clone(sc.sockets)
}

// Trace copies sc's trace.
func (sc *SubChannel) Trace() TraceSnapshot { return snapshot(sc.trace) }

// Server is a grpc.Server in the registry.
type Server struct {
	// ID is the registry id.
	ID int64
	// RefName is the human-readable name, usually empty.
	RefName string
	// ServerMetrics are the server's call counters.
	ServerMetrics ServerMetrics

	trace *ChannelTrace

	// Guarded by db.mu.
	listeners map[int64]string
	conns     map[int64]string
	removed   bool
}

// EntityID returns s.ID.
func (s *Server) EntityID() int64 { return s.ID }

func (s *Server) kind() EntityKind { return KindServer }

// String names s.
func (s *Server) String() string { return describe(s) }

// ListenSockets copies the ids and names of s's listeners.
func (s *Server) ListenSockets() map[int64]string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return maps.Clone(s.listeners)
}

// Trace copies s's trace.
func (s *Server) Trace() TraceSnapshot { return snapshot(s.trace) }

// Socket is a transport connection (of a subchannel or a server) or a
// server's listener.
type Socket struct {
	// ID is the registry id.
	ID int64
	// SocketType tells connections from listeners.
	SocketType SocketKind
	// Parent is the owning *SubChannel or *Server.
	Parent Entity
	// SocketMetrics are the connection's counters, updated by the
	// transport.
	SocketMetrics SocketMetrics
	// SocketInfo is the fixed description given at registration.
	SocketInfo
}

// EntityID returns s.ID.
func (s *Socket) EntityID() int64 { return s.ID }

func (s *Socket) kind() EntityKind {
	if s.SocketType == SocketTypeListen {
		return KindListenSocket
	}
	return KindNormalSocket
}

// String names s and its ancestors.
func (s *Socket) String() string {
	if s.Parent == nil {
		return describe(s)
	}
	return fmt.Sprintf("%v %s", s.Parent, describe(s))
}

// Ephemeral returns the flow-control windows, if the socket can report
// them.
func (s *Socket) Ephemeral() (EphemeralSocketMetrics, bool) {
	if s.SocketInfo.Ephemeral == nil {
		return EphemeralSocketMetrics{}, false
	}
	return s.SocketInfo.Ephemeral(), true
}

func snapshot(t *ChannelTrace) TraceSnapshot {
	if t == nil {
		return TraceSnapshot{}
	}
	return t.Snapshot()
}
