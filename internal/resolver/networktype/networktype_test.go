package networktype

import (
	"testing"

	"google.golang.org/grpc/attributes"
	"google.golang.org/grpc/resolver"
)

type otherKey struct{}

func TestSetGet(t *testing.T) {
	a := resolver.Address{Addr: "/tmp/s", Attributes: attributes.New(otherKey{}, 1)}
	if nt, ok := Get(a); ok {
		t.Fatalf("Get on an unmarked address = %q, true", nt)
	}
	b := Set(a, "unix")
	if nt, ok := Get(b); !ok || nt != "unix" {
		t.Fatalf("Get = %q, %v; want unix, true", nt, ok)
	}
	if _, ok := Get(a); ok {
		t.Fatal("Set modified its argument")
	}
	if b.Attributes.Value(otherKey{}) != 1 {
		t.Fatal("Set dropped existing attributes")
	}
}
