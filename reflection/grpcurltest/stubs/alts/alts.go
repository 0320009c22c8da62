// Package alts stands in for google.golang.org/grpc/credentials/alts, which
// this module does not implement, so that grpcurl's command (which links ALTS
// for its -alts flag) can be built against our module. The grpcurl build maps
// this file into the module with -overlay; see ../../overlay.go. Choosing ALTS
// in such a grpcurl fails the handshake with a clear error.
package alts

import (
	"context"
	"errors"
	"net"

	"google.golang.org/grpc/credentials"
)

// ClientOptions mirrors the fields of grpc-go's alts.ClientOptions that
// grpcurl sets.
type ClientOptions struct {
	// TargetServiceAccounts lists the accepted server identities.
	TargetServiceAccounts []string
	// HandshakerServiceAddress is the address of the ALTS handshaker.
	HandshakerServiceAddress string
}

// DefaultClientOptions returns empty options.
func DefaultClientOptions() *ClientOptions { return &ClientOptions{} }

// NewClientCreds returns credentials whose every handshake fails.
func NewClientCreds(*ClientOptions) credentials.TransportCredentials { return unsupported{} }

var errUnsupported = errors.New("alts: ALTS is not supported by this gRPC implementation")

type unsupported struct{}

func (unsupported) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errUnsupported
}

func (unsupported) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errUnsupported
}

func (unsupported) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "alts"}
}

func (u unsupported) Clone() credentials.TransportCredentials { return u }

func (unsupported) OverrideServerName(string) error { return nil }
