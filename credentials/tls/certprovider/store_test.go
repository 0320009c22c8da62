package certprovider

import (
	"context"
	"crypto/tls"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// countingProvider serves fixed material and counts how often it is closed.
type countingProvider struct {
	km     *KeyMaterial
	closed atomic.Int32
}

func (p *countingProvider) KeyMaterial(context.Context) (*KeyMaterial, error) { return p.km, nil }
func (p *countingProvider) Close()                                            { p.closed.Add(1) }

type testBuilder struct {
	started []*countingProvider
}

func (b *testBuilder) Name() string { return "test-builder" }

func (b *testBuilder) ParseConfig(c any) (*BuildableConfig, error) {
	s, ok := c.(string)
	if !ok {
		return nil, errors.New("want a string config")
	}
	return NewBuildableConfig(b.Name(), []byte(s), func(BuildOptions) Provider {
		if s == "nil" {
			return nil
		}
		p := &countingProvider{km: &KeyMaterial{Certs: []tls.Certificate{{}}}}
		b.started = append(b.started, p)
		return p
	}), nil
}

func TestStoreSharesAndRefcounts(t *testing.T) {
	b := &testBuilder{}
	Register(b)
	if getBuilder("test-builder") != b {
		t.Fatal("registered builder not found")
	}
	if _, err := GetProvider("no-such-builder", "x", BuildOptions{}); err == nil {
		t.Error("GetProvider with an unknown name succeeded")
	}
	if _, err := GetProvider("test-builder", 42, BuildOptions{}); err == nil {
		t.Error("GetProvider with a rejected config succeeded")
	}
	if _, err := GetProvider("test-builder", "nil", BuildOptions{}); err == nil {
		t.Error("GetProvider whose starter returned nil succeeded")
	}

	opts := BuildOptions{WantIdentity: true}
	p1, err := GetProvider("test-builder", "a", opts)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := GetProvider("test-builder", "a", opts)
	p3, _ := GetProvider("test-builder", "a", BuildOptions{WantRoot: true})
	p4, _ := GetProvider("test-builder", "b", opts)
	if len(b.started) != 3 {
		t.Fatalf("started %d providers, want 3 (same config and options shared)", len(b.started))
	}
	shared := b.started[0]

	p1.Close()
	p1.Close() // a second Close of the same handle must not drop p2's reference
	if _, err := p1.KeyMaterial(context.Background()); !errors.Is(err, errProviderClosed) {
		t.Errorf("KeyMaterial on a closed handle: %v, want %v", err, errProviderClosed)
	}
	if km, err := p2.KeyMaterial(context.Background()); err != nil || len(km.Certs) != 1 {
		t.Errorf("KeyMaterial on the other handle = %v, %v", km, err)
	}
	if n := shared.closed.Load(); n != 0 {
		t.Fatalf("shared provider closed %d times while still referenced", n)
	}
	p2.Close()
	if n := shared.closed.Load(); n != 1 {
		t.Fatalf("shared provider closed %d times after its last handle, want 1", n)
	}
	// A new Build after the last Close starts a fresh instance.
	p5, _ := GetProvider("test-builder", "a", opts)
	if len(b.started) != 4 {
		t.Errorf("started %d providers, want a new one after the old was closed", len(b.started))
	}
	for _, p := range []Provider{p3, p4, p5} {
		p.Close()
	}
	if got := (&BuildableConfig{name: "n", config: []byte("c")}).String(); got != "n:c" {
		t.Errorf("String() = %q", got)
	}
}

func TestDistributor(t *testing.T) {
	d := NewDistributor()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := d.KeyMaterial(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("KeyMaterial before Set: %v, want deadline exceeded", err)
	}

	got := make(chan *KeyMaterial)
	go func() {
		km, _ := d.KeyMaterial(context.Background())
		got <- km
	}()
	km := &KeyMaterial{}
	d.Set(km, nil)
	if g := <-got; g != km {
		t.Fatalf("blocked KeyMaterial returned %p, want %p", g, km)
	}

	fail := errors.New("boom")
	d.Set(km, fail)
	if g, err := d.KeyMaterial(context.Background()); g != nil || err != fail {
		t.Fatalf("after Set(err): %v, %v; want nil, %v", g, err, fail)
	}
	d.Set(km, nil)
	d.Stop()
	d.Stop()
	if _, err := d.KeyMaterial(context.Background()); !errors.Is(err, errProviderClosed) {
		t.Fatalf("after Stop: %v", err)
	}

	// Stop wakes waiters that never got material.
	d2 := NewDistributor()
	errc := make(chan error)
	go func() {
		_, err := d2.KeyMaterial(context.Background())
		errc <- err
	}()
	d2.Stop()
	if err := <-errc; !errors.Is(err, errProviderClosed) {
		t.Fatalf("waiter after Stop: %v", err)
	}
}
