package grpc

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// The schemes this package can resolve by itself. The resolver issue replaces
// this fixed set with the resolver registry.
const (
	schemeDNS          = "dns"
	schemePassthrough  = "passthrough"
	schemeUnix         = "unix"
	schemeUnixAbstract = "unix-abstract"
)

func knownScheme(s string) bool {
	switch s {
	case schemeDNS, schemePassthrough, schemeUnix, schemeUnixAbstract:
		return true
	}
	return false
}

// parsedTarget is a dial target split as RFC 3986 does:
// "scheme://authority/endpoint" or "scheme:endpoint".
type parsedTarget struct {
	url url.URL
}

// endpoint is the path without its leading "/" (grpc-go's Target.Endpoint).
func (t parsedTarget) endpoint() string {
	ep := t.url.Path
	if ep == "" {
		ep = t.url.Opaque
	}
	return strings.TrimPrefix(ep, "/")
}

// String returns the canonical form "scheme://authority/endpoint".
func (t parsedTarget) String() string {
	return t.url.Scheme + "://" + t.url.Host + "/" + t.endpoint()
}

// parseTarget picks the scheme for target like grpc-go: a known scheme is used
// as written; anything else (no scheme, an unknown one, or an unparsable
// URL) is treated as an endpoint of defaultScheme.
func parseTarget(target, defaultScheme string) (parsedTarget, error) {
	if u, err := url.Parse(target); err == nil && knownScheme(u.Scheme) {
		return parsedTarget{url: *u}, nil
	}
	u, err := url.Parse(defaultScheme + ":///" + target)
	if err != nil {
		return parsedTarget{}, err
	}
	if !knownScheme(u.Scheme) {
		return parsedTarget{}, fmt.Errorf("could not get resolver for default scheme: %q", u.Scheme)
	}
	return parsedTarget{url: *u}, nil
}

// dialAddress is one address a connection attempt can dial.
type dialAddress struct {
	network string // "tcp" or "unix"
	addr    string
}

// validate reports target errors that grpc-go's resolvers report when they
// are built; we report them from NewClient, which is earlier and clearer.
func (t parsedTarget) validate() error {
	switch t.url.Scheme {
	case schemeUnix, schemeUnixAbstract:
		if t.url.Host != "" {
			return fmt.Errorf("invalid (non-empty) authority: %v", t.url.Host)
		}
		if t.unixPath() == "" {
			return fmt.Errorf("grpc: empty unix socket path in target %q", t.String())
		}
	case schemeDNS:
		host, _, err := splitHostPort(t.endpoint())
		if err != nil {
			return fmt.Errorf("dns resolver: %v", err)
		}
		if host == "" {
			return fmt.Errorf("dns resolver: missing address")
		}
	}
	return nil
}

func (t parsedTarget) unixPath() string {
	// The leading "/" of the path is significant for unix sockets, so use the
	// URL's path rather than endpoint().
	p := t.url.Path
	if p == "" {
		p = t.url.Opaque
	}
	return p
}

// authority is the default :authority for the target (before WithAuthority
// and credentials override it), following grpc-go.
func (t parsedTarget) authority() string {
	switch t.url.Scheme {
	case schemeUnix, schemeUnixAbstract:
		return "localhost"
	}
	ep := t.endpoint()
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

const defaultDNSPort = "443"

// splitHostPort splits "host[:port]" where the port defaults to 443, as the
// dns resolver of grpc-go does.
func splitHostPort(hostport string) (host, port string, err error) {
	if hostport == "" {
		return "", "", fmt.Errorf("missing address")
	}
	if ip := net.ParseIP(hostport); ip != nil {
		return hostport, defaultDNSPort, nil
	}
	host, port, err = net.SplitHostPort(hostport)
	if err != nil {
		if ae, ok := err.(*net.AddrError); ok && ae.Err == "missing port in address" {
			return hostport, defaultDNSPort, nil
		}
		return "", "", err
	}
	if port == "" {
		return "", "", fmt.Errorf("missing port after port-separator colon")
	}
	if host == "" {
		// ":port" means this machine.
		host = "localhost"
	}
	return host, port, nil
}

// resolveAddrs returns the addresses a connection attempt tries, in order.
// For "dns" this looks the host up on every attempt; the real DNS resolver
// (watching, re-resolution, service config) comes with the resolver issue.
func (t parsedTarget) resolveAddrs(ctx context.Context) ([]dialAddress, error) {
	switch t.url.Scheme {
	case schemeUnix:
		return []dialAddress{{network: "unix", addr: t.unixPath()}}, nil
	case schemeUnixAbstract:
		// "@" asks the net package for an abstract socket without a trailing NUL.
		return []dialAddress{{network: "unix", addr: "@" + t.unixPath()}}, nil
	case schemePassthrough:
		return []dialAddress{{network: "", addr: t.endpoint()}}, nil
	}
	host, port, err := splitHostPort(t.endpoint())
	if err != nil {
		return nil, fmt.Errorf("dns resolver: %v", err)
	}
	if net.ParseIP(host) != nil {
		return []dialAddress{{network: "tcp", addr: net.JoinHostPort(host, port)}}, nil
	}
	r := net.DefaultResolver
	if t.url.Host != "" {
		r = customDNSResolver(t.url.Host)
	}
	ips, err := r.LookupHost(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("dns resolver: %v", err)
	}
	addrs := make([]dialAddress, 0, len(ips))
	for _, ip := range ips {
		addrs = append(addrs, dialAddress{network: "tcp", addr: net.JoinHostPort(ip, port)})
	}
	return addrs, nil
}

// customDNSResolver queries the DNS server named in "dns://server/host".
func customDNSResolver(server string) *net.Resolver {
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(strings.Trim(server, "[]"), "53")
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}
}

// dialerAddress is what a custom dialer receives for a. Unix addresses keep
// their scheme, as grpc-go passes them, because custom dialers written before
// the unix resolver existed expect the original target.
func dialerAddress(a dialAddress) string {
	if a.network == "unix" && !strings.HasPrefix(a.addr, "\x00") {
		if filepath.IsAbs(a.addr) {
			return "unix://" + a.addr
		}
		return "unix:" + a.addr
	}
	return a.addr
}

// networkAndAddress splits a passthrough address that names a unix socket
// ("unix:path", "unix://abs-path") from a TCP one.
func networkAndAddress(a dialAddress) (string, string) {
	if a.network != "" {
		return a.network, a.addr
	}
	if rest, ok := strings.CutPrefix(a.addr, "unix:"); ok {
		if p, ok := strings.CutPrefix(rest, "//"); ok {
			return "unix", p
		}
		return "unix", rest
	}
	return "tcp", a.addr
}
