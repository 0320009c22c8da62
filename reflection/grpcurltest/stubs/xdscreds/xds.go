// Package xds stands in for google.golang.org/grpc/credentials/xds, which
// this module does not implement, so that grpcurl (which uses it only for
// xds:// targets) can be built against our module through -overlay.
package xds

import (
	"errors"

	"google.golang.org/grpc/credentials"
)

// ClientOptions mirrors the field of grpc-go's xds.ClientOptions that grpcurl
// sets.
type ClientOptions struct {
	// FallbackCreds would be used when the control plane sends no security
	// configuration.
	FallbackCreds credentials.TransportCredentials
}

// NewClientCredentials always fails: xDS is not implemented.
func NewClientCredentials(ClientOptions) (credentials.TransportCredentials, error) {
	return nil, errors.New("xds: xDS credentials are not supported by this gRPC implementation")
}
