package health_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/status"
)

const (
	serving        = healthpb.HealthCheckResponse_SERVING
	notServing     = healthpb.HealthCheckResponse_NOT_SERVING
	serviceUnknown = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
)

// setup serves a new health server on a loopback port and returns it with a
// client connected to it, and a function that stops both (deferred after
// leakcheck.Check, so that it runs first).
func setup(t *testing.T) (*health.Server, healthpb.HealthClient, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	hs := health.NewServer()
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Serve(lis)
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	stop := func() {
		cc.Close()
		s.Stop()
		<-served
	}
	return hs, healthpb.NewHealthClient(cc), stop
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func checkStatus(ctx context.Context, t *testing.T, c healthpb.HealthClient, service string, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	resp, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatalf("Check(%q): %v", service, err)
	}
	if resp.GetStatus() != want {
		t.Fatalf("Check(%q) = %v, want %v", service, resp.GetStatus(), want)
	}
}

func TestCheck(t *testing.T) {
	defer leakcheck.Check(t)
	hs, c, stop := setup(t)
	defer stop()
	ctx := testContext(t)

	checkStatus(ctx, t, c, "", serving) // the overall health starts as SERVING

	_, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"})
	if st := status.Convert(err); st.Code() != codes.NotFound || st.Message() != "unknown service" {
		t.Fatalf("Check(unknown) error = %v, want NotFound \"unknown service\"", err)
	}

	hs.SetServingStatus("svc", notServing)
	checkStatus(ctx, t, c, "svc", notServing)
	hs.SetServingStatus("svc", serving)
	checkStatus(ctx, t, c, "svc", serving)
}

func recvStatus(t *testing.T, stream healthpb.Health_WatchClient, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("Watch Recv: %v", err)
	}
	if resp.GetStatus() != want {
		t.Fatalf("Watch Recv = %v, want %v", resp.GetStatus(), want)
	}
}

func TestWatch(t *testing.T) {
	defer leakcheck.Check(t)
	hs, c, stop := setup(t)
	defer stop()
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()

	stream, err := c.Watch(ctx, &healthpb.HealthCheckRequest{Service: "svc"})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	recvStatus(t, stream, serviceUnknown) // unknown, but the call goes on
	hs.SetServingStatus("svc", serving)
	recvStatus(t, stream, serving)
	// A repeated status is not sent again: the next message is the change.
	hs.SetServingStatus("svc", serving)
	hs.SetServingStatus("svc", notServing)
	recvStatus(t, stream, notServing)

	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("Recv after cancel: %v, want code Canceled", err)
	}
}

func TestWatchKnownService(t *testing.T) {
	defer leakcheck.Check(t)
	hs, c, stop := setup(t)
	defer stop()
	ctx := testContext(t)
	hs.SetServingStatus("svc", notServing)

	stream, err := c.Watch(ctx, &healthpb.HealthCheckRequest{Service: "svc"})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	recvStatus(t, stream, notServing)
	// Other services' changes are not sent to this watcher.
	hs.SetServingStatus("other", notServing)
	hs.SetServingStatus("svc", serving)
	recvStatus(t, stream, serving)
}

func TestShutdownAndResume(t *testing.T) {
	defer leakcheck.Check(t)
	hs, c, stop := setup(t)
	defer stop()
	ctx := testContext(t)
	hs.SetServingStatus("svc", serving)

	stream, err := c.Watch(ctx, &healthpb.HealthCheckRequest{Service: "svc"})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	recvStatus(t, stream, serving)

	hs.Shutdown()
	recvStatus(t, stream, notServing)
	checkStatus(ctx, t, c, "", notServing)
	checkStatus(ctx, t, c, "svc", notServing)

	// Ignored while shut down, for known and new services alike.
	hs.SetServingStatus("svc", serving)
	hs.SetServingStatus("new", serving)
	checkStatus(ctx, t, c, "svc", notServing)
	if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: "new"}); status.Code(err) != codes.NotFound {
		t.Fatalf("Check(new) after Shutdown: %v, want code NotFound", err)
	}

	hs.Resume()
	recvStatus(t, stream, serving)
	checkStatus(ctx, t, c, "", serving)
	checkStatus(ctx, t, c, "svc", serving)
	hs.SetServingStatus("svc", notServing)
	recvStatus(t, stream, notServing)
}

func TestList(t *testing.T) {
	defer leakcheck.Check(t)
	hs, c, stop := setup(t)
	defer stop()
	ctx := testContext(t)
	hs.SetServingStatus("a", serving)
	hs.SetServingStatus("b", notServing)

	resp, err := c.List(ctx, &healthpb.HealthListRequest{})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := map[string]healthpb.HealthCheckResponse_ServingStatus{"": serving, "a": serving, "b": notServing}
	got := resp.GetStatuses()
	if len(got) != len(want) {
		t.Fatalf("List returned %d services (%v), want %d", len(got), got, len(want))
	}
	for name, st := range want {
		if got[name].GetStatus() != st {
			t.Errorf("List[%q] = %v, want %v", name, got[name].GetStatus(), st)
		}
	}

	// 100 services in all are still listed; the 101st is one too many.
	for i := len(want); i < 100; i++ {
		hs.SetServingStatus(fmt.Sprintf("svc-%d", i), serving)
	}
	if resp, err := c.List(ctx, &healthpb.HealthListRequest{}); err != nil || len(resp.GetStatuses()) != 100 {
		t.Fatalf("List with 100 services: %d services, %v; want 100, nil", len(resp.GetStatuses()), err)
	}
	hs.SetServingStatus("one-too-many", serving)
	_, err = c.List(ctx, &healthpb.HealthListRequest{})
	wantMsg := "server health list exceeds maximum capacity: 100"
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || st.Message() != wantMsg {
		t.Fatalf("List with 101 services: %v, want ResourceExhausted %q", err, wantMsg)
	}
}
