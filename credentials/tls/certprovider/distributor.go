package certprovider

import (
	"context"
	"sync"
)

// Distributor is a helper for Provider implementations: the provider's
// producer goroutine calls Set with each new key material (or error), and
// the provider's KeyMaterial method delegates to the Distributor, which
// waits for the first value and hands out the latest one afterwards. Stop
// it when the provider is closed.
type Distributor struct {
	mu    sync.Mutex
	km    *KeyMaterial
	err   error
	ready chan struct{} // closed by the first Set
	done  chan struct{} // closed by Stop

	readyOnce, stopOnce sync.Once
}

// NewDistributor returns a Distributor with no key material yet.
func NewDistributor() *Distributor {
	return &Distributor{ready: make(chan struct{}), done: make(chan struct{})}
}

// Set publishes new key material, or an error when the provider failed to
// obtain any; with a non-nil err, KeyMaterial returns err and no material
// until the next Set. km is shared with callers, so the provider must not
// change it afterwards.
func (d *Distributor) Set(km *KeyMaterial, err error) {
	d.mu.Lock()
	if err != nil {
		km = nil
	}
	d.km, d.err = km, err
	d.mu.Unlock()
	d.readyOnce.Do(func() { close(d.ready) })
}

// KeyMaterial returns what the last Set published. Before the first Set it
// blocks until one happens, ctx is done, or the Distributor is stopped.
func (d *Distributor) KeyMaterial(ctx context.Context) (*KeyMaterial, error) {
	// A stopped distributor fails even if material was set, so a closed
	// provider never keeps serving stale certificates.
	select {
	case <-d.done:
		return nil, errProviderClosed
	default:
	}
	select {
	case <-d.ready:
	case <-d.done:
		return nil, errProviderClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.km, d.err
}

// Stop marks the Distributor closed: pending and later KeyMaterial calls
// fail. It is safe to call more than once.
func (d *Distributor) Stop() {
	d.stopOnce.Do(func() { close(d.done) })
}
