// Package local implements local transport credentials. Local credentials
// reports the security level based on the type of connection. If the
// connection is local TCP, NoSecurity will be reported, and if the connection
// is UDS, PrivacyAndIntegrity will be reported. If local credentials is not
// used in local connections (local TCP or UDS), it will fail.
//
// Experimental: grpc-go may change or remove this API.
package local

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"google.golang.org/grpc/credentials"
)

// NewCredentials returns a local credential implementing
// credentials.TransportCredentials.
func NewCredentials() credentials.TransportCredentials {
	return &localCreds{proto: credentials.ProtocolInfo{SecurityProtocol: "local"}}
}

// localCreds performs no cryptographic handshake. It only checks that the
// peer is on the same machine and labels the connection with the security
// level that kind of connection provides.
type localCreds struct {
	proto credentials.ProtocolInfo
}

func (c *localCreds) ClientHandshake(_ context.Context, _ string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return handshake(conn)
}

func (c *localCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return handshake(conn)
}

func (c *localCreds) Info() credentials.ProtocolInfo {
	return c.proto
}

func (c *localCreds) Clone() credentials.TransportCredentials {
	return &localCreds{proto: c.proto}
}

// OverrideServerName records name as the ProtocolInfo's ServerName. No
// certificate is checked by these credentials, so the name is only reported.
func (c *localCreds) OverrideServerName(name string) error {
	//lint:ignore SA1019 deprecated, but grpc-go's local credentials still record it
	c.proto.ServerName = name
	return nil
}

// handshake classifies conn by its remote address; the connection itself is
// returned untouched.
func handshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	ra := conn.RemoteAddr()
	level, err := classify(ra.Network(), ra.String())
	if err != nil {
		return nil, nil, err
	}
	return conn, info{credentials.CommonAuthInfo{SecurityLevel: level}}, nil
}

// classify maps a peer address to the security level a local connection to
// it offers, or fails when the peer is not local. Loopback TCP and Windows
// named pipes carry data in the clear between processes of one host
// (NoSecurity); Unix domain sockets are treated as PrivacyAndIntegrity.
func classify(network, address string) (credentials.SecurityLevel, error) {
	switch {
	case isLoopback(address):
		return credentials.NoSecurity, nil
	case network == "pipe" && strings.HasPrefix(address, `\\.\pipe\`):
		return credentials.NoSecurity, nil
	case network == "unix":
		return credentials.PrivacyAndIntegrity, nil
	}
	return credentials.InvalidSecurityLevel, fmt.Errorf("local credentials rejected connection to non-local address %q", address)
}

// isLoopback reports whether address is "host:port" with host an IPv4
// address in 127.0.0.0/8 (possibly written IPv4-mapped) or the IPv6
// loopback ::1 without a zone.
func isLoopback(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return false
	}
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.Is4() {
		return ip.IsLoopback()
	}
	return ip == netip.IPv6Loopback()
}

// info is the AuthInfo of a connection accepted by local credentials.
type info struct {
	credentials.CommonAuthInfo
}

// AuthType returns "local".
func (info) AuthType() string {
	return "local"
}

// ValidateAuthority accepts every :authority override: nothing about the
// peer's identity was established that an authority could contradict.
func (info) ValidateAuthority(string) error {
	return nil
}
