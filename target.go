package grpc

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"google.golang.org/grpc/internal/resolver/networktype"
	"google.golang.org/grpc/resolver"
)

// resolverBuilder returns the resolver for scheme: WithResolvers first, then
// the global registry.
func (o *dialOptions) resolverBuilder(scheme string) resolver.Builder {
	for _, b := range o.resolvers {
		if b.Scheme() == scheme {
			return b
		}
	}
	return resolver.Get(scheme)
}

// parseTarget picks the resolver for target as grpc-go does: a scheme with a
// registered resolver is used as written; anything else (no scheme, an
// unknown one, or an unparsable URL) is an endpoint of defaultScheme.
func parseTarget(target, defaultScheme string, o *dialOptions) (resolver.Target, resolver.Builder, error) {
	if u, err := url.Parse(target); err == nil {
		if b := o.resolverBuilder(u.Scheme); b != nil {
			return resolver.Target{URL: *u}, b, nil
		}
	}
	u, err := url.Parse(defaultScheme + ":///" + target)
	if err != nil {
		return resolver.Target{}, nil, err
	}
	b := o.resolverBuilder(u.Scheme)
	if b == nil {
		return resolver.Target{}, nil, fmt.Errorf("could not get resolver for default scheme: %q", u.Scheme)
	}
	return resolver.Target{URL: *u}, b, nil
}

// targetAuthority is the default :authority for a target (before
// WithAuthority and credentials override it), following grpc-go.
func targetAuthority(t resolver.Target, b resolver.Builder) string {
	if o, ok := b.(resolver.AuthorityOverrider); ok {
		return o.OverrideAuthority(t)
	}
	ep := t.Endpoint()
	if strings.HasPrefix(ep, ":") {
		return "localhost" + encodeAuthority(ep)
	}
	return encodeAuthority(ep)
}

// encodeAuthority percent-encodes the bytes RFC 3986 does not allow in an
// authority.
func encodeAuthority(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if authorityByteOK(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func authorityByteOK(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.~!$&'()*+,;=:[]@", c) >= 0
}

// dialerAddress is what a custom dialer receives. Unix addresses keep their
// scheme, as grpc-go passes them, because custom dialers written before the
// unix resolver existed expect the original target.
func dialerAddress(network, resolved, addr string) string {
	if network != "unix" || resolved != addr {
		return resolved
	}
	if strings.HasPrefix(addr, "@") || strings.HasPrefix(addr, "\x00") {
		return addr
	}
	if filepath.IsAbs(addr) {
		return "unix://" + addr
	}
	return "unix:" + addr
}

// networkAndAddress returns what to dial for a: the network a resolver
// attached to it, else "unix" for a passthrough address written as
// "unix:path" or "unix://abs-path", else "tcp".
func networkAndAddress(a resolver.Address) (string, string) {
	if n, ok := networktype.Get(a); ok {
		return n, a.Addr
	}
	if rest, ok := strings.CutPrefix(a.Addr, "unix:"); ok {
		if p, ok := strings.CutPrefix(rest, "//"); ok {
			return "unix", p
		}
		return "unix", rest
	}
	return "tcp", a.Addr
}
