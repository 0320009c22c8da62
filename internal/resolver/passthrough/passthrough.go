// Package passthrough registers the "passthrough" resolver, which hands the
// target's endpoint, unchanged, to gRPC as the only address and leaves name
// resolution to the dialer.
package passthrough

import (
	"errors"

	"google.golang.org/grpc/resolver"
)

const scheme = "passthrough"

type builder struct{}

func (builder) Build(target resolver.Target, cc resolver.ClientConn, opts resolver.BuildOptions) (resolver.Resolver, error) {
	ep := target.Endpoint()
	// A custom dialer may know what to do with an empty address, so only
	// reject an empty endpoint when the default dialer would be used.
	if ep == "" && opts.Dialer == nil {
		return nil, errors.New("passthrough: received empty target in Build()")
	}
	cc.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: ep}}})
	return nopResolver{}, nil
}

func (builder) Scheme() string { return scheme }

// nopResolver has nothing to watch: the single address never changes.
type nopResolver struct{}

func (nopResolver) ResolveNow(resolver.ResolveNowOptions) {}
func (nopResolver) Close()                                {}

func init() {
	resolver.Register(builder{})
}
