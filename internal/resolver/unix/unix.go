// Package unix registers the "unix" and "unix-abstract" resolvers, which turn
// a socket path into a single address to be dialed over a unix socket.
package unix

import (
	"fmt"

	"google.golang.org/grpc/internal/resolver/networktype"
	"google.golang.org/grpc/resolver"
)

const (
	unixScheme         = "unix"
	unixAbstractScheme = "unix-abstract"
)

type builder struct {
	scheme string
}

func (b *builder) Build(target resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	if target.URL.Host != "" {
		return nil, fmt.Errorf("invalid (non-empty) authority: %v", target.URL.Host)
	}
	// Target.Endpoint strips the leading "/", which would turn an absolute
	// socket path into a relative one, so the URL is read directly.
	path := target.URL.Path
	if path == "" {
		path = target.URL.Opaque
	}
	if b.scheme == unixAbstractScheme {
		// Go's net package maps a leading '@' to the NUL byte of the abstract
		// namespace (and, unlike a literal NUL, does not pad the name).
		path = "@" + path
	}
	addr := networktype.Set(resolver.Address{Addr: path}, "unix")
	cc.UpdateState(resolver.State{Addresses: []resolver.Address{addr}})
	return nopResolver{}, nil
}

func (b *builder) Scheme() string { return b.scheme }

// OverrideAuthority implements resolver.AuthorityOverrider: a socket path is
// not a meaningful :authority, so "localhost" is used instead.
func (b *builder) OverrideAuthority(resolver.Target) string { return "localhost" }

// nopResolver has nothing to watch: a socket path never re-resolves.
type nopResolver struct{}

func (nopResolver) ResolveNow(resolver.ResolveNowOptions) {}
func (nopResolver) Close()                                {}

func init() {
	resolver.Register(&builder{scheme: unixScheme})
	resolver.Register(&builder{scheme: unixAbstractScheme})
}
