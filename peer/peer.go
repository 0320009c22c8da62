// Package peer describes the other end of an RPC's connection.
package peer

import (
	"context"
	"net"
	"strings"

	"google.golang.org/grpc/credentials"
)

// Peer is the other end of an RPC's connection.
type Peer struct {
	// Addr is the remote address.
	Addr net.Addr
	// LocalAddr is this side's address.
	LocalAddr net.Addr
	// AuthInfo is what the transport credentials' handshake established.
	AuthInfo credentials.AuthInfo
}

// String formats p for logs, e.g. when a context holding it is printed.
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

// NewContext returns a child of ctx carrying p.
func NewContext(ctx context.Context, p *Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

// FromContext returns the Peer in ctx, if any.
func FromContext(ctx context.Context) (p *Peer, ok bool) {
	p, ok = ctx.Value(peerKey{}).(*Peer)
	return p, ok
}
