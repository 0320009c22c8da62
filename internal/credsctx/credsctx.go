// Package credsctx carries credentials values in contexts where grpc-go
// keeps the setter out of the public API.
package credsctx

import "context"

type clientHandshakeInfoKey struct{}

// NewClientHandshakeInfoContext returns ctx carrying chi, which is a
// credentials.ClientHandshakeInfo (typed any to avoid an import cycle).
func NewClientHandshakeInfoContext(ctx context.Context, chi any) context.Context {
	return context.WithValue(ctx, clientHandshakeInfoKey{}, chi)
}

// ClientHandshakeInfoFromContext returns the value stored by
// NewClientHandshakeInfoContext, or nil.
func ClientHandshakeInfoFromContext(ctx context.Context) any {
	return ctx.Value(clientHandshakeInfoKey{})
}
