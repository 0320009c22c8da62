package grpc

import (
	"context"
	"testing"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// namedCreds is a PerRPCCredentials told apart by its key.
type namedCreds string

func (c namedCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{string(c): "1"}, nil
}
func (namedCreds) RequireTransportSecurity() bool { return false }

// bundleWith is a Bundle carrying one PerRPCCredentials.
type bundleWith struct{ rpc credentials.PerRPCCredentials }

func (b bundleWith) TransportCredentials() credentials.TransportCredentials {
	return insecure.NewCredentials()
}
func (b bundleWith) PerRPCCredentials() credentials.PerRPCCredentials { return b.rpc }
func (b bundleWith) NewWithMode(string) (credentials.Bundle, error)   { return b, nil }

func TestPerRPCCredsOrderBundleLast(t *testing.T) {
	o := defaultDialOptions()
	for _, opt := range []DialOption{
		WithCredentialsBundle(bundleWith{namedCreds("bundle")}),
		WithPerRPCCredentials(namedCreds("first")),
		WithPerRPCCredentials(namedCreds("second")),
	} {
		opt.apply(&o)
	}
	var got []string
	for _, c := range o.allPerRPCCreds() {
		got = append(got, string(c.(namedCreds)))
	}
	want := []string{"first", "second", "bundle"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("per-RPC credentials order = %v, want %v (grpc-go appends the bundle's last)", got, want)
	}
}
