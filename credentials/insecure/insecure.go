// Package insecure provides credentials for plaintext connections, with no
// transport security at all.
package insecure

import (
	"context"
	"net"

	"google.golang.org/grpc/credentials"
)

// NewCredentials returns TransportCredentials that use connections as they
// are. RPCs with per-RPC credentials that require transport security fail
// on such connections.
func NewCredentials() credentials.TransportCredentials {
	return insecureTC{}
}

// insecureTC performs no handshake: the raw connection is used as is.
type insecureTC struct{}

func (insecureTC) ClientHandshake(_ context.Context, _ string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return conn, info{credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}, nil
}

func (insecureTC) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return conn, info{credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}, nil
}

func (insecureTC) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "insecure"}
}

func (insecureTC) Clone() credentials.TransportCredentials { return insecureTC{} }

func (insecureTC) OverrideServerName(string) error { return nil }

// info is the AuthInfo of an insecure connection.
type info struct {
	credentials.CommonAuthInfo
}

func (info) AuthType() string { return "insecure" }

// ValidateAuthority accepts any :authority override, since nothing was
// authenticated.
func (info) ValidateAuthority(string) error { return nil }

type insecureBundle struct{}

// NewBundle returns a Bundle of NewCredentials() and no per-RPC
// credentials.
func NewBundle() credentials.Bundle {
	return insecureBundle{}
}

func (insecureBundle) NewWithMode(string) (credentials.Bundle, error) { return insecureBundle{}, nil }

func (insecureBundle) PerRPCCredentials() credentials.PerRPCCredentials { return nil }

func (insecureBundle) TransportCredentials() credentials.TransportCredentials {
	return NewCredentials()
}
