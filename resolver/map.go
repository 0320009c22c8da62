package resolver

import (
	"iter"
	"slices"
	"strconv"
	"strings"
)

// AddressMap is an AddressMapV2[any], kept for compatibility; it will be
// removed in a future release.
//
// Deprecated: switch to AddressMapV2 with a concrete value type.
type AddressMap = AddressMapV2[any]

// NewAddressMap returns an empty AddressMapV2[any].
//
// Deprecated: switch to NewAddressMapV2 with a concrete value type.
func NewAddressMap() *AddressMap {
	return NewAddressMapV2[any]()
}

// AddressMapV2 maps addresses to values of type T. Two addresses are the
// same key when their Addr, ServerName and Attributes are equal;
// BalancerAttributes and Metadata are ignored. It is not safe for
// concurrent use and must be created with NewAddressMapV2.
type AddressMapV2[T any] struct {
	// buckets groups entries by the comparable part of the key; entries in a
	// bucket differ only in their Attributes, which cannot be hashed.
	buckets map[addrBucketKey][]*addrEntry[T]
}

type addrBucketKey struct {
	addr, serverName string
}

type addrEntry[T any] struct {
	addr  Address
	value T
}

// NewAddressMapV2 returns an empty AddressMapV2.
func NewAddressMapV2[T any]() *AddressMapV2[T] {
	return &AddressMapV2[T]{buckets: make(map[addrBucketKey][]*addrEntry[T])}
}

func bucketKeyOf(addr Address) addrBucketKey {
	return addrBucketKey{addr: addr.Addr, serverName: addr.ServerName}
}

func indexIn[T any](bucket []*addrEntry[T], addr Address) int {
	return slices.IndexFunc(bucket, func(e *addrEntry[T]) bool {
		return e.addr.Attributes.Equal(addr.Attributes)
	})
}

// Get returns the value stored for addr and whether one was found.
func (a *AddressMapV2[T]) Get(addr Address) (value T, ok bool) {
	bucket := a.buckets[bucketKeyOf(addr)]
	if i := indexIn(bucket, addr); i >= 0 {
		return bucket[i].value, true
	}
	return value, false
}

// Set stores value for addr, replacing any previous value.
func (a *AddressMapV2[T]) Set(addr Address, value T) {
	k := bucketKeyOf(addr)
	bucket := a.buckets[k]
	if i := indexIn(bucket, addr); i >= 0 {
		bucket[i].value = value
		return
	}
	a.buckets[k] = append(bucket, &addrEntry[T]{addr: addr, value: value})
}

// Delete removes addr and its value, if present.
func (a *AddressMapV2[T]) Delete(addr Address) {
	k := bucketKeyOf(addr)
	bucket := a.buckets[k]
	i := indexIn(bucket, addr)
	if i < 0 {
		return
	}
	if len(bucket) == 1 {
		delete(a.buckets, k)
		return
	}
	a.buckets[k] = slices.Delete(bucket, i, i+1)
}

// Len returns how many addresses are stored.
func (a *AddressMapV2[T]) Len() int {
	n := 0
	for _, bucket := range a.buckets {
		n += len(bucket)
	}
	return n
}

// Keys returns the stored addresses, in no particular order.
// Deprecated: iterate with AddressMapV2.All.
func (a *AddressMapV2[T]) Keys() []Address {
	keys := make([]Address, 0, a.Len())
	for addr := range a.All() {
		keys = append(keys, addr)
	}
	return keys
}

// Values returns the stored values, in no particular order.
// Deprecated: iterate with AddressMapV2.All.
func (a *AddressMapV2[T]) Values() []T {
	vals := make([]T, 0, a.Len())
	for _, v := range a.All() {
		vals = append(vals, v)
	}
	return vals
}

// All returns an iterator over the stored address/value pairs, in no
// particular order.
func (a *AddressMapV2[T]) All() iter.Seq2[Address, T] {
	return func(yield func(Address, T) bool) {
		for _, bucket := range a.buckets {
			for _, e := range bucket {
				if !yield(e.addr, e.value) {
					return
				}
			}
		}
	}
}

// EndpointMap maps endpoints to values of type T. Two endpoints are the same
// key when they list the same Addr strings in any order; every other field is
// ignored. It is not safe for concurrent use and must be created with
// NewEndpointMap.
type EndpointMap[T any] struct {
	entries map[string]endpointEntry[T]
}

type endpointEntry[T any] struct {
	// key holds only the addresses of the endpoint first stored, which is
	// all that is needed to look the entry up again.
	key   Endpoint
	value T
}

// NewEndpointMap returns an empty EndpointMap.
func NewEndpointMap[T any]() *EndpointMap[T] {
	return &EndpointMap[T]{entries: make(map[string]endpointEntry[T])}
}

// endpointKey builds an order-independent string key from the endpoint's
// Addr fields. Quoting each address keeps arbitrary bytes (including the
// separator) from making two different address lists collide.
func endpointKey(e Endpoint) string {
	parts := make([]string, len(e.Addresses))
	for i, addr := range e.Addresses {
		parts[i] = strconv.Quote(addr.Addr)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// Get returns the value stored for e and whether one was found.
func (em *EndpointMap[T]) Get(e Endpoint) (value T, ok bool) {
	entry, ok := em.entries[endpointKey(e)]
	return entry.value, ok
}

// Set stores value for e, replacing any previous value.
func (em *EndpointMap[T]) Set(e Endpoint, value T) {
	em.entries[endpointKey(e)] = endpointEntry[T]{
		key:   Endpoint{Addresses: e.Addresses},
		value: value,
	}
}

// Delete removes e and its value, if present.
func (em *EndpointMap[T]) Delete(e Endpoint) {
	delete(em.entries, endpointKey(e))
}

// Len returns how many endpoints are stored.
func (em *EndpointMap[T]) Len() int {
	return len(em.entries)
}

// Keys returns the stored endpoints, in no particular order. The returned
// endpoints carry only addresses (no attributes), which is enough to use
// them as keys into the map.
// Deprecated: iterate with EndpointMap.All.
func (em *EndpointMap[T]) Keys() []Endpoint {
	keys := make([]Endpoint, 0, len(em.entries))
	for _, entry := range em.entries {
		keys = append(keys, entry.key)
	}
	return keys
}

// Values returns the stored values, in no particular order.
// Deprecated: iterate with EndpointMap.All.
func (em *EndpointMap[T]) Values() []T {
	vals := make([]T, 0, len(em.entries))
	for _, entry := range em.entries {
		vals = append(vals, entry.value)
	}
	return vals
}

// All returns an iterator over the stored endpoint/value pairs, in no
// particular order. The endpoints carry only addresses (no attributes),
// which is enough to use them as keys into the map.
func (em *EndpointMap[T]) All() iter.Seq2[Endpoint, T] {
	return func(yield func(Endpoint, T) bool) {
		for _, entry := range em.entries {
			if !yield(entry.key, entry.value) {
				return
			}
		}
	}
}
