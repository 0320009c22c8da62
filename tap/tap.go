// Package tap holds hooks that gRPC runs in its transport, before the rest
// of the RPC machinery is involved.
//
// Experimental: grpc-go may change or remove this API.
package tap

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// Info is what a tap handle learns about a new stream.
type Info struct {
	// FullMethodName is the method called, as "/package.service/method".
	FullMethodName string

	// Header holds the request's header metadata.
	Header metadata.MD
}

// ServerInHandle is run by a server for each new stream before it creates
// it. Returning an error refuses the stream: the client gets that error's
// status, or PermissionDenied with err.Error() as the message when err
// carries no status. The returned context becomes the stream's.
//
// Meant for cheap admission decisions such as rate limiting, where creating
// the stream would be wasted work; use interceptors for anything else.
//
// The handle runs on the connection's reading goroutine, never concurrently
// for one connection: it must not block or take long, or every RPC of the
// connection waits.
type ServerInHandle func(ctx context.Context, info *Info) (context.Context, error)
