// Package attributes provides an immutable, generic key/value container that
// gRPC components use to attach arbitrary data to addresses, endpoints and
// resolver state.
//
// # Experimental
//
// Notice: this package is experimental; it may change incompatibly or
// disappear in a future release.
package attributes

import (
	"fmt"
	"strings"
)

// Attributes is an immutable set of key/value pairs. Keys must be comparable;
// callers should use their own unexported key types so that packages do not
// collide. Stored values must be treated as read-only by everyone. A value
// that has an `Equal(any) bool` method is compared with it by
// (*Attributes).Equal; other values are compared with ==.
//
// A nil *Attributes is valid and holds no pairs.
type Attributes struct {
	// pairs is kept in insertion order (a replaced key keeps its original
	// position) so that String output is stable.
	pairs []pair
}

type pair struct {
	key, value any
}

// New returns an Attributes holding only key mapped to value.
func New(key, value any) *Attributes {
	return &Attributes{pairs: []pair{{key: key, value: value}}}
}

// WithValue returns a copy of a with key mapped to value; a is left
// unchanged. If key is already present its previous value is replaced.
//
// Deletion is not supported, and because Value reports a missing key as an
// untyped nil, storing an untyped nil value is indistinguishable from not
// storing the key at all; use a sentinel type instead.
func (a *Attributes) WithValue(key, value any) *Attributes {
	var old []pair
	if a != nil {
		old = a.pairs
	}
	pairs := make([]pair, len(old), len(old)+1)
	copy(pairs, old)
	for i := range pairs {
		if pairs[i].key == key {
			pairs[i].value = value
			return &Attributes{pairs: pairs}
		}
	}
	return &Attributes{pairs: append(pairs, pair{key: key, value: value})}
}

// Value returns the value stored for key, or nil when key is absent. Callers
// must not modify the returned value.
func (a *Attributes) Value(key any) any {
	if a == nil {
		return nil
	}
	for _, p := range a.pairs {
		if p.key == key {
			return p.value
		}
	}
	return nil
}

// Equal reports whether a and o hold the same keys with equal values. Values
// providing an `Equal(any) bool` method are compared through it (called on
// the value from a); all others with ==. Values of non-comparable types such
// as maps must therefore be wrapped in a type that implements Equal.
func (a *Attributes) Equal(o *Attributes) bool {
	if a == nil || o == nil {
		return a == nil && o == nil
	}
	if a == o {
		return true
	}
	if len(a.pairs) != len(o.pairs) {
		return false
	}
	for _, p := range a.pairs {
		ov, found := o.lookup(p.key)
		if !found {
			return false
		}
		if eq, ok := p.value.(interface{ Equal(o any) bool }); ok {
			if !eq.Equal(ov) {
				return false
			}
			continue
		}
		if p.value != ov {
			return false
		}
	}
	return true
}

func (a *Attributes) lookup(key any) (any, bool) {
	for _, p := range a.pairs {
		if p.key == key {
			return p.value, true
		}
	}
	return nil, false
}

// String renders the pairs for debugging. Keys and values that are strings
// or fmt.Stringers are printed as such; anything else is printed as its
// address.
func (a *Attributes) String() string {
	var sb strings.Builder
	sb.WriteByte('{')
	if a != nil {
		for i, p := range a.pairs {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "%q: %q ", describe(p.key), describe(p.value))
		}
	}
	sb.WriteByte('}')
	return sb.String()
}

func describe(x any) string {
	switch v := x.(type) {
	case fmt.Stringer:
		return fmt.Sprint(v)
	case string:
		return v
	default:
		return fmt.Sprintf("<%p>", x)
	}
}

// MarshalJSON renders the attributes with String so that structs embedding
// an Attributes pretty-print usefully. It exists only for debugging output;
// there is no way to unmarshal the result back into Attributes.
func (a *Attributes) MarshalJSON() ([]byte, error) {
	return []byte(a.String()), nil
}
