package ringhash

import (
	"testing"

	"google.golang.org/grpc/resolver"
)

func TestHashKey(t *testing.T) {
	ep := resolver.Endpoint{Addresses: []resolver.Address{{Addr: "a"}}}
	if HashKey(ep) != "" {
		t.Fatal("unset hash key is not empty")
	}
	if got := SetHashKey(ep, ""); got.Attributes != nil {
		t.Fatal("empty hash key modified the endpoint")
	}
	if got := HashKey(SetHashKey(ep, "k")); got != "k" {
		t.Fatalf("HashKey = %q; want k", got)
	}
}
