package internal

import (
	"context"

	"google.golang.org/grpc/connectivity"
)

// HealthChecker watches the health of one connection. newStream opens a
// stream for method on that connection; setState reports what the health
// service says (READY when serving, TRANSIENT_FAILURE otherwise). It returns
// when ctx ends, or early with an error when health checking cannot work
// (the connection is then treated as healthy).
type HealthChecker func(ctx context.Context, newStream func(method string) (any, error), setState func(connectivity.State, error), service string) error

// HealthCheckFunc is installed by importing google.golang.org/grpc/health;
// client-side health checking needs it, so programs that never import the
// health package do not link its client.
var HealthCheckFunc HealthChecker
