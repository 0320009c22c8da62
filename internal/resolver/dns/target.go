package dns

import (
	"fmt"
	"net"
	"net/netip"

	"google.golang.org/grpc/internal/resolver/dns/internal"
)

// ipLiteral checks that addr is a bare IP address and returns it in the form
// that can be joined with ":port" (IPv6 gets brackets).
func ipLiteral(addr string) (string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "", err
	}
	if ip.Is4() {
		return addr, nil
	}
	return "[" + addr + "]", nil
}

// splitTarget separates target into host and port, using defaultPort when
// target has none. Brackets around IPv6 hosts are removed, and an empty host
// (":80") means the local machine, matching net.Dial.
func splitTarget(target, defaultPort string) (host, port string, err error) {
	if target == "" {
		return "", "", internal.ErrMissingAddr
	}
	// Bare IPv6 addresses contain colons that SplitHostPort would
	// misinterpret, so IP literals are recognised first.
	if _, err := netip.ParseAddr(target); err == nil {
		return target, defaultPort, nil
	}
	if host, port, err = net.SplitHostPort(target); err == nil {
		if port == "" {
			return "", "", internal.ErrEndsWithColon
		}
		if host == "" {
			host = "localhost"
		}
		return host, port, nil
	}
	if host, port, err = net.SplitHostPort(target + ":" + defaultPort); err == nil {
		return host, port, nil
	}
	return "", "", fmt.Errorf("invalid target address %v, error info: %v", target, err)
}
