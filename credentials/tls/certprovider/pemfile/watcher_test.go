package pemfile

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/credentials/tls/certprovider"
)

// selfSigned returns a PEM certificate and key with the given serial.
func selfSigned(t *testing.T, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "pemfile-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func leafSerial(t *testing.T, km *certprovider.KeyMaterial) int64 {
	t.Helper()
	if len(km.Certs) != 1 {
		t.Fatalf("got %d certificates, want 1", len(km.Certs))
	}
	c, err := x509.ParseCertificate(km.Certs[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.Int64()
}

// waitFor polls KeyMaterial until ok accepts it or the test deadline nears.
func waitFor(t *testing.T, p certprovider.Provider, ok func(*certprovider.KeyMaterial) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		km, err := p.KeyMaterial(context.Background())
		if err == nil && ok(km) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("provider did not pick up the new files in time")
}

func TestValidate(t *testing.T) {
	for name, o := range map[string]Options{
		"nothing":        {},
		"cert only":      {CertFile: "/a/cert.pem"},
		"key only":       {KeyFile: "/a/key.pem"},
		"different dirs": {CertFile: "/a/cert.pem", KeyFile: "/b/key.pem"},
		"spiffe bundles": {SPIFFEBundleMapFile: "/a/map.json"},
	} {
		if _, err := NewProvider(o); err == nil {
			t.Errorf("%s: NewProvider succeeded", name)
		}
	}
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	certF, keyF, rootF := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "root.pem")
	c1, k1 := selfSigned(t, 1)
	write(t, certF, c1)
	write(t, keyF, k1)
	write(t, rootF, c1)

	p, err := NewProvider(Options{CertFile: certF, KeyFile: keyF, RootFile: rootF, RefreshDuration: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	km, err := p.KeyMaterial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := leafSerial(t, km); s != 1 || km.Roots == nil {
		t.Fatalf("initial material: serial %d, roots %v", s, km.Roots)
	}

	// A certificate whose key is not yet rewritten is ignored: the old pair
	// stays in use. Writing the key completes the rotation.
	c2, k2 := selfSigned(t, 2)
	write(t, certF, c2)
	write(t, rootF, []byte("not pem"))
	km, _ = p.KeyMaterial(context.Background())
	if s := leafSerial(t, km); s != 1 {
		t.Fatalf("half-rotated pair served serial %d", s)
	}
	write(t, keyF, k2)
	waitFor(t, p, func(km *certprovider.KeyMaterial) bool { return leafSerial(t, km) == 2 })
	if km, _ := p.KeyMaterial(context.Background()); km.Roots == nil {
		t.Error("unparsable root file replaced the good roots")
	}
}

func TestRootsOnlyAndClose(t *testing.T) {
	rootF := filepath.Join(t.TempDir(), "root.pem")
	c, _ := selfSigned(t, 7)
	write(t, rootF, c)
	p, err := NewProvider(Options{RootFile: rootF})
	if err != nil {
		t.Fatal(err)
	}
	km, err := p.KeyMaterial(context.Background())
	if err != nil || km.Roots == nil || len(km.Certs) != 0 {
		t.Fatalf("roots-only material = %+v, %v", km, err)
	}
	p.Close()
	if _, err := p.KeyMaterial(context.Background()); err == nil {
		t.Error("KeyMaterial after Close succeeded")
	}
}

func TestMissingFileBlocks(t *testing.T) {
	dir := t.TempDir()
	p, err := NewProvider(Options{RootFile: filepath.Join(dir, "later.pem"), RefreshDuration: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.KeyMaterial(ctx); err == nil {
		t.Fatal("KeyMaterial with no readable file succeeded")
	}
	c, _ := selfSigned(t, 3)
	write(t, filepath.Join(dir, "later.pem"), c)
	waitFor(t, p, func(km *certprovider.KeyMaterial) bool { return km.Roots != nil })
}

func TestBuilder(t *testing.T) {
	dir := t.TempDir()
	certF, keyF := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c, k := selfSigned(t, 9)
	write(t, certF, c)
	write(t, keyF, k)
	cfg, _ := json.Marshal(map[string]string{"certificate_file": certF, "private_key_file": keyF, "refresh_interval": "1.5s"})

	o, err := optionsFromJSON(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.RefreshDuration != 1500*time.Millisecond {
		t.Errorf("RefreshDuration = %v, want 1.5s", o.RefreshDuration)
	}
	p, err := certprovider.GetProvider(PluginName, json.RawMessage(cfg), certprovider.BuildOptions{WantIdentity: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	km, err := p.KeyMaterial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := leafSerial(t, km); s != 9 {
		t.Errorf("serial %d, want 9", s)
	}

	for _, bad := range []any{
		"not raw json",
		json.RawMessage(`{`),
		json.RawMessage(`{"certificate_file": "x"}`),
		json.RawMessage(`{"ca_certificate_file": "x", "refresh_interval": 5}`),
	} {
		if _, err := certprovider.ParseConfig(PluginName, bad); err == nil {
			t.Errorf("ParseConfig(%v) succeeded", bad)
		}
	}
	if o, _ := optionsFromJSON(json.RawMessage(`{"ca_certificate_file": "x"}`)); o.RefreshDuration != configRefresh {
		t.Errorf("default refresh = %v", o.RefreshDuration)
	}
}
