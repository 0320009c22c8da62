// Package metadata holds gRPC metadata: the key/value pairs sent as HTTP/2
// headers and trailers alongside an RPC (see "Custom-Metadata" in
// https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md), and the
// context helpers that carry it between the application and gRPC.
package metadata

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// DecodeKeyValue returns its arguments unchanged and a nil error.
//
// Deprecated: it does nothing; use k and v as they are.
func DecodeKeyValue(k, v string) (string, string, error) {
	return k, v, nil
}

// MD maps lower-case metadata keys to their values. Build it with New or
// Pairs, which normalise the keys.
type MD map[string][]string

// New returns an MD holding one value per key of m, with keys lower-cased.
//
// Keys may contain only ASCII letters, digits and "-_."; keys ending in
// "-bin" carry binary values. Keys starting with "grpc-" are reserved for
// gRPC itself.
func New(m map[string]string) MD {
	md := make(MD, len(m))
	a := newArena(len(m))
	for k, v := range m {
		key := strings.ToLower(k)
		md[key] = a.add(md[key], v)
	}
	return md
}

// Pairs returns an MD built from alternating keys and values, lower-casing
// the keys; repeated keys collect their values in order. It panics if len(kv)
// is odd. Keys follow the rules given for New.
func Pairs(kv ...string) MD {
	if len(kv)%2 == 1 {
		panic(fmt.Sprintf("metadata: Pairs got the odd number of input pairs for metadata: %d", len(kv)))
	}
	md := make(MD, len(kv)/2)
	a := newArena(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		key := strings.ToLower(kv[i])
		md[key] = a.add(md[key], kv[i+1])
	}
	return md
}

// arena hands out the value slices of one MD from a single backing array,
// so that building an MD costs two allocations rather than one per key.
// Each slice is capped at its length: appending to one (by the user, or for
// a repeated key) copies it and never touches its neighbours.
type arena []string

func newArena(n int) arena { return make(arena, 0, n) }

// add returns vals with v appended.
func (a *arena) add(vals []string, v string) []string {
	if len(vals) > 0 || len(*a) == cap(*a) {
		return append(vals, v)
	}
	*a = append(*a, v)
	n := len(*a)
	return (*a)[n-1 : n : n]
}

// addAll returns vals with vs appended.
func (a *arena) addAll(vals, vs []string) []string {
	if len(vals) > 0 || len(vs) == 0 || len(*a)+len(vs) > cap(*a) {
		return append(vals, vs...)
	}
	start := len(*a)
	*a = append(*a, vs...)
	n := len(*a)
	return (*a)[start:n:n]
}

func countValues(md MD) int {
	n := 0
	for _, v := range md {
		n += len(v)
	}
	return n
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

// String formats md for logs. Only standard protocol headers such as
// user-agent or grpc-timeout are shown; any other key may hold a credential,
// so such keys are left out and only counted, as "<N redacted>". Printing
// with %#v bypasses String and shows everything. Its output format is not
// stable.
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

// Len returns the number of keys in md.
func (md MD) Len() int {
	return len(md)
}

// Copy returns a deep copy of md: value slices are not shared.
func (md MD) Copy() MD {
	out := make(MD, len(md))
	a := newArena(countValues(md))
	for k, v := range md {
		if len(v) == 0 {
			out[k] = []string{}
			continue
		}
		out[k] = a.addAll(nil, v)
	}
	return out
}

// Get returns the values stored under k, which is lower-cased first.
func (md MD) Get(k string) []string {
	return md[strings.ToLower(k)]
}

// Set replaces the values under the lower-cased k with vals. It does nothing
// when vals is empty.
func (md MD) Set(k string, vals ...string) {
	if len(vals) == 0 {
		return
	}
	md[strings.ToLower(k)] = vals
}

// Append adds vals after any values already under the lower-cased k.
func (md MD) Append(k string, vals ...string) {
	if len(vals) == 0 {
		return
	}
	k = strings.ToLower(k)
	md[k] = append(md[k], vals...)
}

// Delete removes the lower-cased k from md.
func (md MD) Delete(k string) {
	delete(md, strings.ToLower(k))
}

// Join merges mds into a new MD. Values of a key shared by several mds are
// concatenated in argument order.
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

// NewIncomingContext returns a child of ctx carrying md as the metadata
// received from the peer. md is stored, not copied: do not modify it
// afterwards.
func NewIncomingContext(ctx context.Context, md MD) context.Context {
	return context.WithValue(ctx, incomingKey{}, md)
}

// NewOutgoingContext returns a child of ctx carrying md as the metadata to
// send, replacing any outgoing metadata ctx already had (including appended
// pairs). md is stored, not copied: do not modify it afterwards.
func NewOutgoingContext(ctx context.Context, md MD) context.Context {
	return context.WithValue(ctx, outgoingKey{}, outgoing{md: md})
}

// AppendToOutgoingContext returns a child of ctx whose outgoing metadata is
// ctx's plus the alternating keys and values kv (as for Pairs). The existing
// metadata is not copied, so appending is cheap. It panics if len(kv) is odd.
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

// FromIncomingContext returns a copy, with lower-case keys, of the incoming
// metadata in ctx, and whether there was any.
func FromIncomingContext(ctx context.Context) (MD, bool) {
	md, ok := ctx.Value(incomingKey{}).(MD)
	if !ok {
		return nil, false
	}
	out := make(MD, len(md))
	a := newArena(countValues(md))
	for k, v := range md {
		// The MD may not have been built with our helpers, so normalise.
		key := strings.ToLower(k)
		out[key] = a.addAll(out[key], v)
	}
	return out, true
}

// ValueFromIncomingContext returns a copy of the incoming values for key,
// matched case-insensitively, without copying the rest of the metadata.
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

// FromOutgoingContext merges the outgoing metadata of ctx and any appended
// pairs into a new MD with lower-case keys. The bool is false when ctx
// has no outgoing metadata.
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
	ar := newArena(countValues(raw.md) + n - len(raw.md))
	for k, v := range raw.md {
		key := strings.ToLower(k)
		out[key] = ar.addAll(out[key], v)
	}
	for _, a := range raw.added {
		for i := 0; i+1 < len(a); i += 2 {
			out[a[i]] = ar.add(out[a[i]], a[i+1])
		}
	}
	return out, true
}

// ValueFromOutgoingContext returns the outgoing values for key, matched
// case-insensitively, including appended ones, without building the whole
// merged MD.
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
