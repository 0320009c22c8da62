// Package passthrough registers the "passthrough" resolver, which hands the
// target's endpoint, unchanged, to gRPC as the resolved address.
//
// Deprecated: the grpc package already imports the resolver; importing this
// package is unnecessary.
package passthrough

import _ "google.golang.org/grpc/internal/resolver/passthrough" // registers the resolver, which now lives in internal
