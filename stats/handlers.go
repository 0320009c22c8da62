package stats

import (
	"context"
	"net"
)

// ConnTagInfo is what a Handler learns about a connection when asked to tag
// it.
type ConnTagInfo struct {
	// RemoteAddr is the address of the peer of the connection.
	RemoteAddr net.Addr
	// LocalAddr is the address of this end of the connection.
	LocalAddr net.Addr
}

// RPCTagInfo is what a Handler learns about an RPC (on the client, about one
// attempt of it) when asked to tag it.
type RPCTagInfo struct {
	// FullMethodName is the method called, as "/package.service/method".
	FullMethodName string
	// FailFast is true when the RPC does not wait for a ready connection.
	// Only the client sets it; on the server it is always false.
	FailFast bool
	// NameResolutionDelay is true when the RPC had to wait for the name
	// resolver's first result (the channel was idle when it started). Every
	// attempt of such an RPC has it set. Client only; always false on the
	// server.
	NameResolutionDelay bool
}

// Handler receives the stats events of connections and RPCs.
//
// The Tag methods let the handler attach values to a context that gRPC then
// passes to the Handle methods. On the server, the context of every RPC
// event of a connection derives from the context TagConn returned for it;
// on the client RPC contexts do not.
type Handler interface {
	// TagRPC may attach values to ctx; the context gRPC uses for the rest
	// of the RPC (or attempt) derives from the one it returns.
	TagRPC(context.Context, *RPCTagInfo) context.Context
	// HandleRPC is called for every RPC event.
	HandleRPC(context.Context, RPCStats)

	// TagConn may attach values to ctx; HandleConn of the same connection
	// gets a context derived from the one it returns, and so do the RPC
	// events of the connection on the server side.
	TagConn(context.Context, *ConnTagInfo) context.Context
	// HandleConn is called for every connection event.
	HandleConn(context.Context, ConnStats)
}
