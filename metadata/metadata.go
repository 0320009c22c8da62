// Package metadata define the structure of the metadata supported by gRPC library.
// Please refer to https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
// for more information about custom-metadata.
package metadata

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// DecodeKeyValue returns k, v, nil.
//
// Deprecated: use k and v directly instead.
func DecodeKeyValue(k, v string) (string, string, error) {
	return k, v, nil
}

// MD is a mapping from metadata keys to values. Users should use the following
// two convenience functions New and Pairs to generate MD.
type MD map[string][]string

// New creates an MD from a given key-value map.
//
// Only the following ASCII characters are allowed in keys: digits 0-9,
// letters a-z and A-Z (upper case is normalized to lower), and "-_.".
// Keys beginning with "grpc-" are reserved for grpc-internal use only and may
// result in errors if set in metadata.
func New(m map[string]string) MD {
	md := make(MD, len(m))
	for k, v := range m {
		key := strings.ToLower(k)
		md[key] = append(md[key], v)
	}
	return md
}

// Pairs returns an MD formed by the mapping of key, value ...
// Pairs panics if len(kv) is odd.
//
// Keys follow the same rules as for New; values with the same key are
// appended in order.
func Pairs(kv ...string) MD {
	if len(kv)%2 == 1 {
		panic(fmt.Sprintf("metadata: Pairs got the odd number of input pairs for metadata: %d", len(kv)))
	}
	md := make(MD, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		key := strings.ToLower(kv[i])
		md[key] = append(md[key], kv[i+1])
	}
	return md
}

// loggable lists the standard protocol headers whose values are safe to print;
// everything else may carry credentials and is redacted by String.
var loggable = map[string]bool{
	"content-type":               true,
	"te":                         true,
	"user-agent":                 true,
	"grpc-encoding":              true,
	"grpc-accept-encoding":       true,
	"grpc-timeout":               true,
	"grpc-status":                true,
	"grpc-message-type":          true,
	"grpc-previous-rpc-attempts": true,
	"grpc-retry-pushback-ms":     true,
}

// String implements fmt.Stringer to allow metadata to be printed when stored in
// a context. Only well-known protocol headers are printed; other keys are
// reported only as a count, "<N redacted>", so that credentials do not leak
// into logs. The %#v verb prints the underlying map unredacted.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a later
// release.
func (md MD) String() string {
	keys := make([]string, 0, len(md))
	for k := range md {
		if loggable[strings.ToLower(k)] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%v", k, md[k])
	}
	if n := len(md) - len(keys); n > 0 {
		if len(keys) > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "<%d redacted>", n)
	}
	b.WriteByte(']')
	return b.String()
}

// Len returns the number of items in md.
func (md MD) Len() int {
	return len(md)
}

// Copy returns a copy of md.
func (md MD) Copy() MD {
	out := make(MD, len(md))
	for k, v := range md {
		out[k] = copyOf(v)
	}
	return out
}

// Get obtains the values for a given key.
//
// k is converted to lowercase before searching in md.
func (md MD) Get(k string) []string {
	return md[strings.ToLower(k)]
}

// Set sets the value of a given key with a slice of values.
//
// k is converted to lowercase before storing in md.
func (md MD) Set(k string, vals ...string) {
	if len(vals) == 0 {
		return
	}
	md[strings.ToLower(k)] = vals
}

// Append adds the values to key k, not overwriting what was already stored at
// that key.
//
// k is converted to lowercase before storing in md.
func (md MD) Append(k string, vals ...string) {
	if len(vals) == 0 {
		return
	}
	k = strings.ToLower(k)
	md[k] = append(md[k], vals...)
}

// Delete removes the values for a given key k which is converted to lowercase
// before removing it from md.
func (md MD) Delete(k string) {
	delete(md, strings.ToLower(k))
}

// Join joins any number of mds into a single MD.
//
// The order of values for each key is determined by the order in which the mds
// containing those values are presented to Join.
func Join(mds ...MD) MD {
	out := MD{}
	for _, md := range mds {
		for k, v := range md {
			out[k] = append(out[k], v...)
		}
	}
	return out
}

type incomingKey struct{}
type outgoingKey struct{}

// outgoing is what the outgoing context stores: the MD given to
// NewOutgoingContext plus each AppendToOutgoingContext call's pairs, kept
// apart so that appending never copies the map.
type outgoing struct {
	md    MD
	added [][]string
}

// NewIncomingContext creates a new context with incoming md attached. md must
// not be modified after calling this function.
func NewIncomingContext(ctx context.Context, md MD) context.Context {
	return context.WithValue(ctx, incomingKey{}, md)
}

// NewOutgoingContext creates a new context with outgoing md attached. If used
// in conjunction with AppendToOutgoingContext, NewOutgoingContext will
// overwrite any previously-appended metadata. md must not be modified after
// calling this function.
func NewOutgoingContext(ctx context.Context, md MD) context.Context {
	return context.WithValue(ctx, outgoingKey{}, outgoing{md: md})
}

// AppendToOutgoingContext returns a new context with the provided kv merged
// with any existing metadata in the context. Please refer to the documentation
// of Pairs for a description of kv.
func AppendToOutgoingContext(ctx context.Context, kv ...string) context.Context {
	if len(kv)%2 == 1 {
		panic(fmt.Sprintf("metadata: AppendToOutgoingContext got an odd number of input pairs for metadata: %d", len(kv)))
	}
	prev, _ := ctx.Value(outgoingKey{}).(outgoing)
	added := make([][]string, len(prev.added), len(prev.added)+1)
	copy(added, prev.added)
	pairs := make([]string, len(kv))
	for i := 0; i < len(kv); i += 2 {
		pairs[i] = strings.ToLower(kv[i])
		pairs[i+1] = kv[i+1]
	}
	added = append(added, pairs)
	return context.WithValue(ctx, outgoingKey{}, outgoing{md: prev.md, added: added})
}

// FromIncomingContext returns the incoming metadata in ctx if it exists.
//
// All keys in the returned MD are lowercase.
func FromIncomingContext(ctx context.Context) (MD, bool) {
	md, ok := ctx.Value(incomingKey{}).(MD)
	if !ok {
		return nil, false
	}
	out := make(MD, len(md))
	for k, v := range md {
		// The MD may not have been built with our helpers, so normalise.
		key := strings.ToLower(k)
		out[key] = append(out[key], v...)
	}
	return out, true
}

// ValueFromIncomingContext returns the metadata value corresponding to the metadata
// key from the incoming metadata if it exists. Keys are matched in a case insensitive
// manner.
func ValueFromIncomingContext(ctx context.Context, key string) []string {
	md, ok := ctx.Value(incomingKey{}).(MD)
	if !ok {
		return nil
	}
	if v, ok := md[key]; ok {
		return copyOf(v)
	}
	for k, v := range md {
		if strings.EqualFold(k, key) {
			return copyOf(v)
		}
	}
	return nil
}

// FromOutgoingContext returns the outgoing metadata in ctx if it exists.
//
// All keys in the returned MD are lowercase.
func FromOutgoingContext(ctx context.Context) (MD, bool) {
	raw, ok := ctx.Value(outgoingKey{}).(outgoing)
	if !ok {
		return nil, false
	}
	n := len(raw.md)
	for _, a := range raw.added {
		n += len(a) / 2
	}
	out := make(MD, n)
	for k, v := range raw.md {
		key := strings.ToLower(k)
		out[key] = append(out[key], v...)
	}
	for _, a := range raw.added {
		for i := 0; i+1 < len(a); i += 2 {
			out[a[i]] = append(out[a[i]], a[i+1])
		}
	}
	return out, true
}

// ValueFromOutgoingContext returns the metadata value corresponding to the
// metadata key from the outgoing metadata if it exists. Keys are matched in a
// case-insensitive manner.
//
// Unlike FromOutgoingContext, this does not copy the entire outgoing metadata.
func ValueFromOutgoingContext(ctx context.Context, key string) []string {
	raw, ok := ctx.Value(outgoingKey{}).(outgoing)
	if !ok {
		return nil
	}
	key = strings.ToLower(key)
	var vals []string
	if v, ok := raw.md[key]; ok {
		vals = copyOf(v)
	} else {
		for k, v := range raw.md {
			if strings.EqualFold(k, key) {
				vals = copyOf(v)
				break
			}
		}
	}
	for _, a := range raw.added {
		for i := 0; i+1 < len(a); i += 2 {
			if a[i] == key {
				vals = append(vals, a[i+1])
			}
		}
	}
	return vals
}

func copyOf(v []string) []string {
	out := make([]string, len(v))
	copy(out, v)
	return out
}
