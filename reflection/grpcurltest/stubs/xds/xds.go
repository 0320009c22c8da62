// Package xds stands in for google.golang.org/grpc/xds, which grpcurl imports
// only for its side effect of registering the xds:// resolver. This module has
// no xDS support, so the stand-in registers nothing and xds:// targets fail
// to resolve.
package xds
