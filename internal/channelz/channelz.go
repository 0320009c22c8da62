// Package channelz is the process-wide registry behind the channelz
// introspection service (gRFC A14). Channels, subchannels, servers and
// sockets register here when they are created and leave when they are
// closed; each keeps its own counters, which the grpc package updates with
// plain atomic operations on the RPC path.
//
// Entities always receive an id. They are only recorded in the registry
// once collection is switched on with TurnOn, which the channelz service
// package does when it is linked in; until then registration and trace
// events cost next to nothing.
package channelz

import (
	"fmt"
	"sync/atomic"
)

var on atomic.Bool

// TurnOn starts recording entities in the registry. Entities created
// before the call stay unrecorded.
func TurnOn() { on.Store(true) }

// IsOn reports whether entities are being recorded.
func IsOn() bool { return on.Load() }

// TurnOffForTesting stops recording; it exists for tests only.
func TurnOffForTesting() { on.Store(false) }

// IDGenerator hands out entity ids: 1, 2, 3, ... in creation order,
// shared by every kind of entity.
type IDGenerator struct {
	last atomic.Int64
}

func (g *IDGenerator) next() int64 { return g.last.Add(1) }

// Reset makes the next id 1 again. Only tests that depend on exact ids may
// call it, and only while no entity is being created.
func (g *IDGenerator) Reset() { g.last.Store(0) }

// IDGen is the id source of every entity.
var IDGen IDGenerator

// EntityKind tells the entity types apart, also in trace references.
type EntityKind int

// The entity kinds.
const (
	KindUnknown EntityKind = iota
	KindChannel
	KindSubChannel
	KindServer
	KindListenSocket
	KindNormalSocket
)

func (k EntityKind) String() string {
	switch k {
	case KindChannel:
		return "Channel"
	case KindSubChannel:
		return "SubChannel"
	case KindServer:
		return "Server"
	case KindListenSocket:
		return "ListenSocket"
	case KindNormalSocket:
		return "NormalSocket"
	}
	return "Unknown"
}

// Entity is any registered object: a *Channel, *SubChannel, *Server or
// *Socket.
type Entity interface {
	fmt.Stringer
	// EntityID is the registry id, unique within the process.
	EntityID() int64
	kind() EntityKind
}

// Identifier is the part of a channel that packages outside grpc may hold
// on to, for instance to create nested channels with
// grpc.WithChannelzParentID. Only *Channel implements it.
type Identifier interface {
	Entity
	channelzIdentifier()
}

func describe(e Entity) string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s #%d", e.kind(), e.EntityID())
}
