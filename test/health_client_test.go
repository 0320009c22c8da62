package test

import (
	"testing"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

const healthCheckedRoundRobin = `{
	"loadBalancingConfig": [{"round_robin": {}}],
	"healthCheckConfig": {"serviceName": "grpc.e2e.TestService"}
}`

func TestRoundRobinAvoidsUnhealthyBackend(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a, b := startBackend(t, "a"), startBackend(t, "b")
	defer a.stop()
	defer b.stop()
	const svc = "grpc.e2e.TestService"
	a.health.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	b.health.SetServingStatus(svc, healthpb.HealthCheckResponse_NOT_SERVING)

	r := manual.NewBuilderWithScheme("hc")
	r.InitialState(resolver.State{Addresses: addrsOf(a, b)})
	cc, c := dialManual(t, r, healthCheckedRoundRobin)
	defer cc.Close()

	onlyFrom := func(want string) {
		t.Helper()
		for range 20 {
			name, err := whoAnswers(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if name != want {
				t.Fatalf("RPC went to %s, want only %s", name, want)
			}
		}
	}
	waitForBackends(ctx, t, c, "a")
	onlyFrom("a")

	// b turns healthy: traffic spreads; a turns unhealthy: all goes to b.
	b.health.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	waitForBackends(ctx, t, c, "b")
	a.health.SetServingStatus(svc, healthpb.HealthCheckResponse_NOT_SERVING)
	for {
		name, err := whoAnswers(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if name == "b" {
			break
		}
	}
	// Watch updates are ordered: once b answered after a went unhealthy,
	// the picker may still hold a for RPCs already picked, but a new
	// picker excludes it within a few RPCs.
	seenB := 0
	for seenB < 20 {
		name, err := whoAnswers(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if name == "b" {
			seenB++
			continue
		}
		seenB = 0
		if ctx.Err() != nil {
			t.Fatal("unhealthy backend a keeps getting RPCs")
		}
	}
}

func TestDisableHealthCheckIgnoresHealth(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a, b := startBackend(t, "a"), startBackend(t, "b")
	defer a.stop()
	defer b.stop()
	b.health.SetServingStatus("grpc.e2e.TestService", healthpb.HealthCheckResponse_NOT_SERVING)
	r := manual.NewBuilderWithScheme("nohc")
	r.InitialState(resolver.State{Addresses: addrsOf(a, b)})
	cc, c := dialManual(t, r, healthCheckedRoundRobin, grpc.WithDisableHealthCheck())
	defer cc.Close()
	waitForBackends(ctx, t, c, "a", "b")
}
