package health

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/internal/backoff"
	"google.golang.org/grpc/status"
)

func init() {
	internal.HealthCheckFunc = watchHealth
}

const watchMethod = "/grpc.health.v1.Health/Watch"

// retryDelay is how long to wait before reopening a Watch stream that broke
// without delivering anything; a variable so tests can shorten it.
var retryDelay = func(attempt int) time.Duration { return backoff.DefaultExponential.Backoff(attempt) }

// watchHealth runs the client side of the health-checking protocol
// (https://github.com/grpc/grpc/blob/master/doc/health-checking.md) for one
// connection: a Watch stream whose answers set the connection's health.
// A stream that breaks is reopened, with backoff unless it had delivered a
// status. A server without the health service (Unimplemented) is taken as
// healthy and watching stops.
func watchHealth(ctx context.Context, newStream func(string) (any, error), setState func(connectivity.State, error), service string) error {
	failures := 0
	for ctx.Err() == nil {
		if failures > 0 && !sleep(ctx, retryDelay(failures-1)) {
			break
		}
		failures++
		setState(connectivity.Connecting, nil)
		raw, err := newStream(watchMethod)
		if err != nil {
			continue
		}
		stream, ok := raw.(grpc.ClientStream)
		if !ok {
			setState(connectivity.Ready, nil)
			return fmt.Errorf("health: newStream returned %T, not a grpc.ClientStream", raw)
		}
		if err := stream.SendMsg(&healthpb.HealthCheckRequest{Service: service}); err != nil && err != io.EOF {
			continue
		}
		stream.CloseSend()
		for {
			resp := new(healthpb.HealthCheckResponse)
			err := stream.RecvMsg(resp)
			if status.Code(err) == codes.Unimplemented {
				setState(connectivity.Ready, nil)
				return err
			}
			if err != nil {
				setState(connectivity.TransientFailure, fmt.Errorf("connection active but received health check RPC error: %v", err))
				break
			}
			// A delivered status proves the stream works: reopen at once
			// next time.
			failures = 0
			if resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
				setState(connectivity.Ready, nil)
			} else {
				setState(connectivity.TransientFailure, fmt.Errorf("connection active but health check failed. status=%s", resp.GetStatus()))
			}
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
