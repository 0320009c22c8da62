// Package pemfile is a certprovider.Provider that reads an identity
// certificate, its private key and trusted roots from PEM files, and reads
// them again periodically so that rotated files take effect without a
// restart.
//
// # Experimental
//
// Notice: everything in this package is experimental; it may change
// incompatibly or disappear in a future release.
package pemfile

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc/credentials/tls/certprovider"
	"google.golang.org/grpc/grpclog"
)

// defaultRefresh is used when Options.RefreshDuration is zero.
const defaultRefresh = time.Hour

var logger = grpclog.Component("pemfile")

// Options says which files a provider watches and how often.
type Options struct {
	// CertFile is the PEM identity certificate chain. Optional, but must be
	// set together with KeyFile.
	CertFile string
	// KeyFile is the PEM private key for CertFile. It must be in the same
	// directory as CertFile: rotation is expected to replace both at once
	// (e.g. by swapping a symlinked directory), and a pair read from two
	// different directories could not be kept consistent.
	KeyFile string
	// RootFile is a PEM bundle of trusted CA certificates. Optional.
	RootFile string
	// SPIFFEBundleMapFile would name a SPIFFE trust bundle map to use instead
	// of RootFile. It is not supported by this implementation: NewProvider
	// fails when it is set.
	SPIFFEBundleMapFile string
	// RefreshDuration is how long to wait between reads of the files. Zero
	// or negative means one hour.
	RefreshDuration time.Duration
}

// canonical is the configuration as the bytes certprovider uses to decide
// whether two configurations may share a provider.
func (o Options) canonical() []byte {
	return fmt.Appendf(nil, "%s:%s:%s:%s:%s", o.CertFile, o.KeyFile, o.RootFile, o.SPIFFEBundleMapFile, o.RefreshDuration)
}

func (o Options) validate() error {
	if o.CertFile == "" && o.KeyFile == "" && o.RootFile == "" && o.SPIFFEBundleMapFile == "" {
		return errors.New("pemfile: at least one credential file needs to be specified")
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return errors.New("pemfile: private key file and identity cert file should be both specified or not specified")
	}
	if filepath.Dir(o.CertFile) != filepath.Dir(o.KeyFile) {
		return errors.New("pemfile: certificate and key file must be in the same directory")
	}
	if o.SPIFFEBundleMapFile != "" {
		return errors.New("pemfile: SPIFFEBundleMapFile is not supported by this gRPC implementation")
	}
	return nil
}

// NewProvider validates o and starts a provider watching its files. The
// first read happens at once; KeyMaterial blocks (until its context ends)
// while a configured file has not yet been read successfully, and keeps
// returning the last good material when a later read fails or a file holds
// something unparsable.
func NewProvider(o Options) (certprovider.Provider, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	return start(o), nil
}

// watcher is the provider. Identity and roots have separate distributors so
// that one bad file does not hold back an update of the other.
type watcher struct {
	opts     Options
	identity *certprovider.Distributor // nil when no cert/key configured
	roots    *certprovider.Distributor // nil when no roots configured
	cancel   context.CancelFunc
	stopped  chan struct{}

	// Owned by the run goroutine: what was last published, so unchanged
	// files are not re-parsed and re-published on every tick.
	lastCert, lastKey, lastRoots []byte
}

func start(o Options) *watcher {
	if o.RefreshDuration <= 0 {
		o.RefreshDuration = defaultRefresh
	}
	w := &watcher{opts: o, stopped: make(chan struct{})}
	if o.CertFile != "" {
		w.identity = certprovider.NewDistributor()
	}
	if o.RootFile != "" {
		w.roots = certprovider.NewDistributor()
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.run(ctx)
	return w
}

func (w *watcher) run(ctx context.Context) {
	defer close(w.stopped)
	t := time.NewTicker(w.opts.RefreshDuration)
	defer t.Stop()
	for {
		w.reloadIdentity()
		w.reloadRoots()
		select {
		case <-ctx.Done():
			if w.identity != nil {
				w.identity.Stop()
			}
			if w.roots != nil {
				w.roots.Stop()
			}
			return
		case <-t.C:
		}
	}
}

func (w *watcher) reloadIdentity() {
	if w.identity == nil {
		return
	}
	cert, err := os.ReadFile(w.opts.CertFile)
	if err != nil {
		logger.Warningf("Reading certificate file %q: %v", w.opts.CertFile, err)
		return
	}
	key, err := os.ReadFile(w.opts.KeyFile)
	if err != nil {
		logger.Warningf("Reading key file %q: %v", w.opts.KeyFile, err)
		return
	}
	if bytes.Equal(cert, w.lastCert) && bytes.Equal(key, w.lastKey) {
		return
	}
	// A mismatched pair is normal mid-rotation (one file written, not yet
	// the other); skipping it keeps the old pair until the next tick.
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		logger.Warningf("Certificate %q and key %q do not form a key pair: %v", w.opts.CertFile, w.opts.KeyFile, err)
		return
	}
	w.lastCert, w.lastKey = cert, key
	w.identity.Set(&certprovider.KeyMaterial{Certs: []tls.Certificate{pair}}, nil)
}

func (w *watcher) reloadRoots() {
	if w.roots == nil {
		return
	}
	pemBytes, err := os.ReadFile(w.opts.RootFile)
	if err != nil {
		logger.Warningf("Reading root file %q: %v", w.opts.RootFile, err)
		return
	}
	if bytes.Equal(pemBytes, w.lastRoots) {
		return
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		logger.Warningf("Root file %q holds no PEM certificate", w.opts.RootFile)
		return
	}
	w.lastRoots = pemBytes
	w.roots.Set(&certprovider.KeyMaterial{Roots: pool}, nil)
}

// KeyMaterial merges the latest identity and roots.
func (w *watcher) KeyMaterial(ctx context.Context) (*certprovider.KeyMaterial, error) {
	km := &certprovider.KeyMaterial{}
	if w.identity != nil {
		id, err := w.identity.KeyMaterial(ctx)
		if err != nil {
			return nil, err
		}
		km.Certs = id.Certs
	}
	if w.roots != nil {
		r, err := w.roots.KeyMaterial(ctx)
		if err != nil {
			return nil, err
		}
		km.Roots = r.Roots
	}
	return km, nil
}

// Close stops the watching goroutine and waits for it, so no file is read
// after Close returns.
func (w *watcher) Close() {
	w.cancel()
	<-w.stopped
}
