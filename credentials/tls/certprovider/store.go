package certprovider

import (
	"context"
	"fmt"
	"sync"
)

// instanceKey identifies providers that can be shared: same builder, same
// canonical configuration, same options.
type instanceKey struct {
	name   string
	config string
	opts   BuildOptions
}

// sharedProvider is one running Provider with the number of handles given
// out for it; the last handle closed closes it.
type sharedProvider struct {
	p    Provider
	refs int
}

var (
	instancesMu sync.Mutex
	instances   = make(map[instanceKey]*sharedProvider)
)

// handle is what Build returns. Closing it releases its reference exactly
// once, however often Close is called, and makes it unusable even while
// other handles keep the shared provider running.
type handle struct {
	key instanceKey

	mu     sync.Mutex
	shared *sharedProvider // nil once closed
}

func (h *handle) KeyMaterial(ctx context.Context) (*KeyMaterial, error) {
	h.mu.Lock()
	sp := h.shared
	h.mu.Unlock()
	if sp == nil {
		return nil, errProviderClosed
	}
	return sp.p.KeyMaterial(ctx)
}

func (h *handle) Close() {
	h.mu.Lock()
	sp := h.shared
	h.shared = nil
	h.mu.Unlock()
	if sp == nil {
		return
	}
	instancesMu.Lock()
	sp.refs--
	last := sp.refs == 0
	if last && instances[h.key] == sp {
		delete(instances, h.key)
	}
	instancesMu.Unlock()
	if last {
		sp.p.Close()
	}
}

// BuildableConfig is a parsed provider configuration, ready to build
// providers. Builders create it with NewBuildableConfig from ParseConfig.
type BuildableConfig struct {
	name    string
	config  []byte
	starter func(BuildOptions) Provider
}

// NewBuildableConfig is for Builder implementations: name is the builder's
// name, config a canonical form of the parsed configuration (equal
// configurations must give equal bytes, since that is how running providers
// are found for reuse), and starter creates a new provider instance.
func NewBuildableConfig(name string, config []byte, starter func(BuildOptions) Provider) *BuildableConfig {
	return &BuildableConfig{name: name, config: config, starter: starter}
}

// Build returns a Provider for opts. If a provider for the same
// configuration and options is already running it is shared rather than
// started again; each returned Provider must be closed once, and the shared
// instance stops when the last one is.
func (bc *BuildableConfig) Build(opts BuildOptions) (Provider, error) {
	key := instanceKey{name: bc.name, config: string(bc.config), opts: opts}
	instancesMu.Lock()
	defer instancesMu.Unlock()
	sp, ok := instances[key]
	if !ok {
		p := bc.starter(opts)
		if p == nil {
			return nil, fmt.Errorf("certprovider: provider %q with config %q failed to build for %+v", bc.name, bc.config, opts)
		}
		sp = &sharedProvider{p: p}
		instances[key] = sp
	}
	sp.refs++
	return &handle{key: key, shared: sp}, nil
}

// String returns "name:config", for logs.
func (bc *BuildableConfig) String() string {
	return bc.name + ":" + string(bc.config)
}

// ParseConfig hands config to the builder registered as name. It fails if
// there is no such builder or the builder rejects config.
func ParseConfig(name string, config any) (*BuildableConfig, error) {
	b := getBuilder(name)
	if b == nil {
		return nil, fmt.Errorf("no certificate provider builder found for %q", name)
	}
	return b.ParseConfig(config)
}

// GetProvider parses config with the builder registered as name and builds a
// provider for opts.
func GetProvider(name string, config any, opts BuildOptions) (Provider, error) {
	bc, err := ParseConfig(name, config)
	if err != nil {
		return nil, err
	}
	return bc.Build(opts)
}
