// Package peer defines various peer information associated with RPCs and
// corresponding utils.
package peer

import (
	"context"
	"net"
	"strings"

	"google.golang.org/grpc/credentials"
)

// Peer contains the information of the peer for an RPC, such as the address
// and authentication information.
type Peer struct {
	// Addr is the peer address.
	Addr net.Addr
	// LocalAddr is the local address.
	LocalAddr net.Addr
	// AuthInfo is the authentication information of the transport.
	// It is nil if there is no transport security being used.
	AuthInfo credentials.AuthInfo
}

// String ensures the Peer types implements the Stringer interface in order to
// allow to print a context with a peerKey value effectively.
func (p *Peer) String() string {
	if p == nil {
		return "Peer<nil>"
	}
	var b strings.Builder
	b.WriteString("Peer{Addr: ")
	writeAddr(&b, p.Addr)
	b.WriteString(", LocalAddr: ")
	writeAddr(&b, p.LocalAddr)
	b.WriteString(", AuthInfo: ")
	if p.AuthInfo != nil {
		b.WriteString("'" + p.AuthInfo.AuthType() + "'")
	} else {
		b.WriteString("<nil>")
	}
	b.WriteString("}")
	return b.String()
}

func writeAddr(b *strings.Builder, a net.Addr) {
	if a == nil {
		b.WriteString("<nil>")
		return
	}
	b.WriteString("'" + a.String() + "'")
}

type peerKey struct{}

// NewContext creates a new context with peer information attached.
func NewContext(ctx context.Context, p *Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

// FromContext returns the peer information in ctx if it exists.
func FromContext(ctx context.Context) (p *Peer, ok bool) {
	p, ok = ctx.Value(peerKey{}).(*Peer)
	return p, ok
}
