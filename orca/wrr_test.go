package orca_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/balancer/weightedroundrobin" // registers weighted_round_robin
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/orca"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

// loadedBackend answers Unary with its name and reports a fixed load in the
// trailer of every call.
type loadedBackend struct {
	testpb.UnimplementedTestServiceServer
	name   string
	report func(orca.CallMetricsRecorder)
}

func (b *loadedBackend) Unary(ctx context.Context, _ *testpb.Request) (*testpb.Response, error) {
	b.report(orca.CallMetricsRecorderFromContext(ctx))
	return &testpb.Response{Payload: &testpb.Payload{Body: []byte(b.name)}}, nil
}

// TestWeightedRoundRobinFollowsPerCallReports runs weighted_round_robin over
// three backends whose per-call ORCA reports give them weights of 100, 33
// and 11 (QPS divided by utilization) and checks that, once the weights are
// learned, the busier a backend says it is, the fewer RPCs it gets.
func TestWeightedRoundRobinFollowsPerCallReports(t *testing.T) {
	defer leakcheck.Check(t)

	backends := []*loadedBackend{
		{name: "light", report: func(r orca.CallMetricsRecorder) {
			r.SetQPS(10)
			r.SetApplicationUtilization(0.1)
			r.SetCPUUtilization(0.9) // ignored: application utilization wins
		}},
		{name: "medium", report: func(r orca.CallMetricsRecorder) {
			r.SetQPS(10)
			r.SetApplicationUtilization(0.3)
		}},
		{name: "heavy", report: func(r orca.CallMetricsRecorder) {
			r.SetQPS(10)
			r.SetCPUUtilization(0.9) // no application utilization: CPU is used
		}},
	}
	var addrs []resolver.Address
	for _, b := range backends {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer(orca.CallMetricsServerOption(nil))
		testpb.RegisterTestServiceServer(srv, b)
		go srv.Serve(lis)
		defer srv.Stop()
		addrs = append(addrs, resolver.Address{Addr: lis.Addr().String()})
	}

	r := manual.NewBuilderWithScheme("orca-wrr")
	r.InitialState(resolver.State{Addresses: addrs})
	const sc = `{"loadBalancingConfig":[{"weighted_round_robin":{
		"blackoutPeriod":"0s",
		"weightUpdatePeriod":"0.1s",
		"weightExpirationPeriod":"60s"
	}}]}`
	cc, err := grpc.NewClient(r.Scheme()+":///backends",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(r),
		grpc.WithDefaultServiceConfig(sc))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last map[string]int
	for ctx.Err() == nil {
		// Count where a batch of RPCs goes. With the weights learned the
		// split is about 9:3:1; before, it is even.
		counts := map[string]int{}
		for range 130 {
			resp, err := client.Unary(ctx, &testpb.Request{})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				t.Fatalf("Unary: %v", err)
			}
			counts[string(resp.GetPayload().GetBody())]++
		}
		last = counts
		l, m, h := counts["light"], counts["medium"], counts["heavy"]
		if l > m && m > h && h > 0 && l >= 2*m && m >= 3*h/2 {
			t.Logf("RPC split light/medium/heavy = %d/%d/%d", l, m, h)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("RPCs never followed the reported loads; last split: %v", fmt.Sprint(last))
}
