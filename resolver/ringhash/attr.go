// Package ringhash provides resolver-side helpers for the ring_hash load
// balancing policy.
package ringhash

import "google.golang.org/grpc/resolver"

// hashKeyAttr is the attribute key under which the hash key is stored.
type hashKeyAttr struct{}

// SetHashKey returns a copy of endpoint whose position on the ring_hash ring
// is derived from hashKey rather than from its address. An empty hashKey
// leaves endpoint unchanged.
//
// # Experimental
//
// Notice: this function is experimental; it may change incompatibly or
// disappear in a future release.
func SetHashKey(endpoint resolver.Endpoint, hashKey string) resolver.Endpoint {
	if hashKey == "" {
		return endpoint
	}
	endpoint.Attributes = endpoint.Attributes.WithValue(hashKeyAttr{}, hashKey)
	return endpoint
}

// HashKey returns the hash key set on endpoint by SetHashKey, or "" if none.
//
// # Experimental
//
// Notice: this function is experimental; it may change incompatibly or
// disappear in a future release.
func HashKey(endpoint resolver.Endpoint) string {
	k, _ := endpoint.Attributes.Value(hashKeyAttr{}).(string)
	return k
}
