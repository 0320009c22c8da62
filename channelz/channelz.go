// Package channelz exposes the few channelz types that code outside the
// grpc module needs. The registry itself and the data it records live in
// an internal package; the channelz service (package
// google.golang.org/grpc/channelz/service) serves them over gRPC, as
// described in gRFC A14 (https://github.com/grpc/proposal/blob/master/A14-channelz.md).
//
// # Experimental
//
// Notice: everything in this package is experimental and may change or
// disappear in a later release.
package channelz

import "google.golang.org/grpc/internal/channelz"

// Identifier names one channel in the channelz registry without giving
// access to its data. grpc.WithChannelzParentID takes one to nest a new
// channel under an existing one.
type Identifier = channelz.Identifier
