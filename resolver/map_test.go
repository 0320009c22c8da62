package resolver

import (
	"slices"
	"sort"
	"testing"

	"google.golang.org/grpc/attributes"
)

func TestAddressMap(t *testing.T) {
	plain := Address{Addr: "a:1"}
	withSN := Address{Addr: "a:1", ServerName: "sn"}
	withAttr := Address{Addr: "a:1", Attributes: attributes.New(attrKey{}, 1)}
	withAttr2 := Address{Addr: "a:1", Attributes: attributes.New(attrKey{}, 2)}
	other := Address{Addr: "b:1"}

	m := NewAddressMapV2[int]()
	for i, a := range []Address{plain, withSN, withAttr, withAttr2, other} {
		m.Set(a, i)
	}
	if m.Len() != 5 {
		t.Fatalf("Len() = %d; want 5", m.Len())
	}
	// Fields other than Addr, ServerName and Attributes are not part of
	// the key.
	ignored := plain
	ignored.BalancerAttributes = attributes.New(attrKey{}, "x")
	ignored.Metadata = 42
	if v, ok := m.Get(ignored); !ok || v != 0 {
		t.Fatalf("Get(plain with balancer attributes) = %v, %v; want 0, true", v, ok)
	}
	if v, ok := m.Get(Address{Addr: "a:1", Attributes: attributes.New(attrKey{}, 2)}); !ok || v != 3 {
		t.Fatalf("Get(withAttr2 copy) = %v, %v; want 3, true", v, ok)
	}
	if _, ok := m.Get(Address{Addr: "c:1"}); ok {
		t.Fatal("Get(absent) found a value")
	}

	m.Set(withAttr, 10)
	if v, _ := m.Get(withAttr); v != 10 || m.Len() != 5 {
		t.Fatalf("after overwrite: Get = %v, Len = %d; want 10, 5", v, m.Len())
	}

	m.Delete(withAttr)
	m.Delete(Address{Addr: "zzz"}) // absent: no-op
	if _, ok := m.Get(withAttr); ok {
		t.Fatal("Get(deleted) found a value")
	}
	if v, ok := m.Get(withAttr2); !ok || v != 3 {
		t.Fatalf("deleting one entry disturbed its neighbour: Get = %v, %v", v, ok)
	}
	m.Delete(other)
	if m.Len() != 3 {
		t.Fatalf("Len() = %d; want 3", m.Len())
	}

	vals := m.Values()
	sort.Ints(vals)
	if !slices.Equal(vals, []int{0, 1, 3}) {
		t.Fatalf("Values() = %v; want [0 1 3]", vals)
	}
	keys := m.Keys()
	if len(keys) != 3 {
		t.Fatalf("Keys() = %v; want 3 keys", keys)
	}
	for _, k := range keys {
		if _, ok := m.Get(k); !ok {
			t.Errorf("key %v from Keys() not found", k)
		}
	}
	n := 0
	for a, v := range m.All() {
		if got, _ := m.Get(a); got != v {
			t.Errorf("All() yielded %v=%v; Get returns %v", a, v, got)
		}
		n++
		if n == 2 {
			break // stopping early must be honoured
		}
	}
	if n != 2 {
		t.Fatalf("All() yielded %d pairs before break; want 2", n)
	}

	legacy := NewAddressMap()
	legacy.Set(plain, "x")
	if v, ok := legacy.Get(plain); !ok || v != "x" {
		t.Fatalf("AddressMap Get = %v, %v", v, ok)
	}
}

func TestEndpointMap(t *testing.T) {
	ep := func(addrs ...string) Endpoint {
		var e Endpoint
		for _, a := range addrs {
			e.Addresses = append(e.Addresses, Address{Addr: a})
		}
		return e
	}
	m := NewEndpointMap[string]()
	m.Set(ep("a", "b"), "ab")
	m.Set(ep("c"), "c")
	// Order of addresses and attributes do not matter.
	withAttrs := ep("b", "a")
	withAttrs.Attributes = attributes.New(attrKey{}, 1)
	withAttrs.Addresses[0].Attributes = attributes.New(attrKey{}, 2)
	if v, ok := m.Get(withAttrs); !ok || v != "ab" {
		t.Fatalf("Get(reordered) = %v, %v; want ab, true", v, ok)
	}
	// Separator characters in addresses must not cause collisions.
	m.Set(ep("a b"), "space")
	m.Set(ep("x,y"), "comma")
	if _, ok := m.Get(ep("a", "b")); !ok || m.Len() != 4 {
		t.Fatalf("Len() = %d; want 4", m.Len())
	}
	if _, ok := m.Get(ep("x", "y")); ok {
		t.Fatal(`Get({"x","y"}) matched {"x,y"}`)
	}
	m.Set(withAttrs, "ab2")
	if v, _ := m.Get(ep("a", "b")); v != "ab2" || m.Len() != 4 {
		t.Fatalf("after overwrite Get = %v, Len = %d", v, m.Len())
	}
	for k, v := range m.All() {
		if k.Attributes != nil {
			t.Errorf("All() key %v carries attributes", k)
		}
		if got, _ := m.Get(k); got != v {
			t.Errorf("All() key %v gives %v, Get gives %v", k, v, got)
		}
	}
	if len(m.Keys()) != 4 || len(m.Values()) != 4 {
		t.Fatalf("Keys/Values lengths = %d/%d; want 4", len(m.Keys()), len(m.Values()))
	}
	m.Delete(ep("c"))
	m.Delete(ep("nope"))
	if _, ok := m.Get(ep("c")); ok || m.Len() != 3 {
		t.Fatalf("after Delete: found=%v Len=%d", ok, m.Len())
	}
}
