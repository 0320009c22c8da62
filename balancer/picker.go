package balancer

import (
	"context"
	"errors"

	"google.golang.org/grpc/metadata"
)

var (
	// ErrNoSubConnAvailable is returned by a Picker that cannot pick yet. The
	// RPC waits for the next picker instead of failing.
	ErrNoSubConnAvailable = errors.New("no SubConn is available")
	// ErrTransientFailure was returned by pickers when every SubConn had
	// failed.
	//
	// Deprecated: return an error describing the last resolver or
	// connection failure instead. Any error that is not a status error is
	// treated the same way.
	ErrTransientFailure = errors.New("all SubConns are in TransientFailure")
)

// TransientFailureError returns e unchanged.
//
// Deprecated: wrapping is unnecessary; every picker error that is not a
// status error already fails only RPCs that are not wait-for-ready.
func TransientFailureError(e error) error { return e }

// PickInfo describes the RPC a Picker is choosing a connection for.
type PickInfo struct {
	// FullMethodName is the RPC's method, as "/package.Service/Method".
	FullMethodName string
	// Ctx is the RPC's context; outgoing metadata can be read from it.
	Ctx context.Context
}

// PickResult is a Picker's choice for one RPC.
type PickResult struct {
	// SubConn carries the RPC. It must have been created through
	// ClientConn.NewSubConn. If it is not READY when the RPC starts, the RPC
	// waits for a newer picker.
	SubConn SubConn
	// Done, if not nil, is called once the RPC ends. It is called with a
	// zero DoneInfo when SubConn turned out not to be ready, and may not be
	// called at all for a SubConn gRPC does not recognise.
	Done func(DoneInfo)
	// Metadata is added to the RPC's outgoing headers. Parent policies must
	// pass on the metadata their children return.
	Metadata metadata.MD
}

// DoneInfo reports how an RPC picked by a Picker ended.
type DoneInfo struct {
	// Err is the RPC's error, nil on success.
	Err error
	// Trailer holds the trailing metadata the server sent, if any.
	Trailer metadata.MD
	// BytesSent tells whether any bytes of the RPC went to the server.
	BytesSent bool
	// BytesReceived tells whether any bytes came back from the server.
	BytesReceived bool
	// ServerLoad is the load report the server attached to its trailers,
	// currently always a *v3orcapb.OrcaLoadReport from the
	// endpoint-load-metrics-bin trailer, or nil.
	ServerLoad any
}

// Picker chooses a SubConn for each RPC. A Balancer publishes a new picker
// whenever the state it picks from changes.
type Picker interface {
	// Pick chooses the connection for one RPC. It must not block; a picker
	// that needs more time returns ErrNoSubConnAvailable and the RPC is
	// picked again once a new picker is published.
	//
	// Errors are handled as follows: ErrNoSubConnAvailable makes the RPC
	// wait for the next picker; a status error (from package status) ends
	// the RPC with that status; any other error ends non-wait-for-ready RPCs
	// with code Unavailable and the error's text, while wait-for-ready RPCs
	// keep waiting.
	Pick(info PickInfo) (PickResult, error)
}
