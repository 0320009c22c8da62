// Package certprovider lets TLS credentials take their certificates and
// trusted roots from a Provider, which can replace them while connections
// keep being made (for example when certificates on disk are rotated).
//
// Providers come from Builders registered by name; a BuildableConfig, made by
// a builder from a configuration, builds Provider instances and shares one
// running instance between all users of an identical configuration.
//
// # Experimental
//
// Notice: everything in this package is experimental; it may change
// incompatibly or disappear in a future release.
package certprovider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
)

// errProviderClosed is what KeyMaterial returns once its provider is closed.
var errProviderClosed = errors.New("provider instance is closed")

var (
	buildersMu sync.Mutex
	builders   = make(map[string]Builder)
)

// Register makes b available under the name b.Name() returns, replacing any
// builder registered earlier under that name. It is meant to be called from
// init functions; ParseConfig and GetProvider look builders up by name.
func Register(b Builder) {
	buildersMu.Lock()
	defer buildersMu.Unlock()
	builders[b.Name()] = b
}

// getBuilder returns the builder registered as name, or nil.
func getBuilder(name string) Builder {
	buildersMu.Lock()
	defer buildersMu.Unlock()
	return builders[name]
}

// Builder turns a provider-specific configuration into a BuildableConfig.
type Builder interface {
	// ParseConfig validates config, whose type and format the builder
	// defines, and returns a BuildableConfig that can start providers for it.
	ParseConfig(config any) (*BuildableConfig, error)
	// Name is the name the builder is registered under.
	Name() string
}

// Provider supplies the key material TLS credentials use, and may change it
// at any time: callers fetch it again for every handshake.
type Provider interface {
	// KeyMaterial returns the current key material. It may block until the
	// first material is available or ctx is done. Callers must not modify
	// the result.
	KeyMaterial(ctx context.Context) (*KeyMaterial, error)
	// Close stops the provider and releases what it holds. Later calls to
	// KeyMaterial fail.
	Close()
}

// KeyMaterial is a snapshot of the identity and trust a Provider offers.
//
// grpc-go also has a SPIFFEBundleMap field here; it is left out because it
// would need the go-spiffe module.
type KeyMaterial struct {
	// Certs are the local identity certificates with their private keys.
	Certs []tls.Certificate
	// Roots are the CAs trusted to verify the peer's certificate chain.
	Roots *x509.CertPool
}

// BuildOptions tells a provider what the caller wants from it.
type BuildOptions struct {
	// CertName selects, for providers that hold several, which certificate
	// the caller is interested in.
	CertName string
	// WantRoot is set when the caller needs trusted roots.
	WantRoot bool
	// WantIdentity is set when the caller needs an identity certificate.
	WantIdentity bool
}
