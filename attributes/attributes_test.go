package attributes_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/attributes"
)

type keyA struct{}
type keyB struct{}

// mapVal wraps a map, which is not comparable, and supplies Equal.
type mapVal struct{ m map[string]int }

func (v mapVal) Equal(o any) bool {
	ov, ok := o.(mapVal)
	if !ok || len(ov.m) != len(v.m) {
		return false
	}
	for k, x := range v.m {
		if y, ok := ov.m[k]; !ok || x != y {
			return false
		}
	}
	return true
}

type named string

func (n named) String() string { return "named:" + string(n) }

func TestValue(t *testing.T) {
	a := attributes.New(keyA{}, 1)
	b := a.WithValue(keyB{}, "two")
	c := b.WithValue(keyA{}, 3)

	if got := a.Value(keyB{}); got != nil {
		t.Errorf("a.Value(keyB) = %v; want nil (WithValue must not modify its receiver)", got)
	}
	if got := b.Value(keyA{}); got != 1 {
		t.Errorf("b.Value(keyA) = %v; want 1", got)
	}
	if got := c.Value(keyA{}); got != 3 {
		t.Errorf("c.Value(keyA) = %v; want 3", got)
	}
	if got := c.Value(keyB{}); got != "two" {
		t.Errorf("c.Value(keyB) = %v; want two", got)
	}
	var nilAttrs *attributes.Attributes
	if got := nilAttrs.Value(keyA{}); got != nil {
		t.Errorf("nil.Value = %v; want nil", got)
	}
	if got := nilAttrs.WithValue(keyA{}, 5).Value(keyA{}); got != 5 {
		t.Errorf("nil.WithValue(keyA, 5).Value(keyA) = %v; want 5", got)
	}
}

func TestEqual(t *testing.T) {
	var nilAttrs *attributes.Attributes
	a1 := attributes.New(keyA{}, 1).WithValue(keyB{}, "x")
	tests := []struct {
		name string
		a, b *attributes.Attributes
		want bool
	}{
		{"both nil", nilAttrs, nilAttrs, true},
		{"nil vs non-nil", nilAttrs, a1, false},
		{"non-nil vs nil", a1, nilAttrs, false},
		{"same pointer", a1, a1, true},
		{"insertion order ignored", a1, attributes.New(keyB{}, "x").WithValue(keyA{}, 1), true},
		{"overwritten value", a1, attributes.New(keyA{}, 0).WithValue(keyB{}, "x").WithValue(keyA{}, 1), true},
		{"different value", a1, attributes.New(keyA{}, 2).WithValue(keyB{}, "x"), false},
		{"subset", a1, attributes.New(keyA{}, 1), false},
		{"superset", attributes.New(keyA{}, 1), a1, false},
		{"Equal method used",
			attributes.New(keyA{}, mapVal{map[string]int{"a": 1}}),
			attributes.New(keyA{}, mapVal{map[string]int{"a": 1}}), true},
		{"Equal method false",
			attributes.New(keyA{}, mapVal{map[string]int{"a": 1}}),
			attributes.New(keyA{}, mapVal{map[string]int{"a": 2}}), false},
	}
	for _, tc := range tests {
		if got := tc.a.Equal(tc.b); got != tc.want {
			t.Errorf("%s: Equal = %v; want %v", tc.name, got, tc.want)
		}
	}
}

func TestString(t *testing.T) {
	var nilAttrs *attributes.Attributes
	if got := nilAttrs.String(); got != "{}" {
		t.Errorf("nil.String() = %q; want {}", got)
	}
	a := attributes.New("k", named("v"))
	if got, want := a.String(), `{"k": "named:v" }`; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	b := a.WithValue(keyA{}, 7)
	if got := b.String(); !strings.Contains(got, `"k": "named:v" , "<`) {
		t.Errorf("String() = %q; want the second pair printed as a pointer", got)
	}
	j, err := b.MarshalJSON()
	if err != nil || string(j) != b.String() {
		t.Errorf("MarshalJSON() = %q, %v; want %q, nil", j, err, b.String())
	}
	// A nil Stringer must not make String panic.
	var np *nilStringer
	_ = attributes.New("k", np).String()
	_ = fmt.Sprint(b)
}

type nilStringer struct{ s string }

func (n *nilStringer) String() string { return n.s }
