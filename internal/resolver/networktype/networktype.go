// Package networktype lets a resolver tell the transport which network
// ("tcp", "unix", ...) an address must be dialed on, by storing it in the
// address's Attributes.
package networktype

import "google.golang.org/grpc/resolver"

// attrKey is unexported so no other package can collide with or forge it.
type attrKey struct{}

// Set returns a copy of address that carries networkType.
func Set(address resolver.Address, networkType string) resolver.Address {
	address.Attributes = address.Attributes.WithValue(attrKey{}, networkType)
	return address
}

// Get returns the network type stored in address by Set, if any.
func Get(address resolver.Address) (string, bool) {
	v, ok := address.Attributes.Value(attrKey{}).(string)
	return v, ok
}
