package orca_test

import (
	"context"
	"net"
	"testing"
	"time"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	v3orcaservicepb "github.com/cncf/xds/go/xds/service/orca/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/orca"
	"google.golang.org/grpc/orca/internal"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TestOOBServiceStreamsReports checks that the service sends the provider's
// metrics at once and then again at every interval, picking up changes.
func TestOOBServiceStreamsReports(t *testing.T) {
	defer leakcheck.Check(t)
	smr := orca.NewServerMetricsRecorder()
	smr.SetCPUUtilization(0.5)
	smr.SetNamedUtilization("disk", 0.25)
	opts := orca.ServiceOptions{ServerMetricsProvider: smr, MinReportingInterval: 50 * time.Millisecond}
	internal.AllowAnyMinReportingInterval.(func(*orca.ServiceOptions))(&opts)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	defer srv.Stop()
	if err := orca.Register(srv, opts); err != nil {
		t.Fatal(err)
	}
	if err := orca.Register(grpc.NewServer(), orca.ServiceOptions{}); err == nil {
		t.Fatal("Register without a provider succeeded")
	}
	go srv.Serve(lis)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()

	ctx, cancel := context.WithTimeout(context.Background(), defaultTestTimeout)
	defer cancel()
	stream, err := v3orcaservicepb.NewOpenRcaServiceClient(cc).StreamCoreMetrics(ctx, &v3orcaservicepb.OrcaLoadReportRequest{
		ReportInterval: durationpb.New(time.Millisecond), // below the minimum: 50ms is used
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	want := &v3orcapb.OrcaLoadReport{CpuUtilization: 0.5, Utilization: map[string]float64{"disk": 0.25}}
	if !proto.Equal(first, want) {
		t.Fatalf("first report = %v, want %v", first, want)
	}

	smr.SetCPUUtilization(0.75)
	smr.DeleteNamedUtilization("disk")
	smr.SetQPS(12)
	want = &v3orcapb.OrcaLoadReport{CpuUtilization: 0.75, RpsFractional: 12}
	for {
		r, err := stream.Recv()
		if err != nil {
			t.Fatalf("waiting for the updated report: %v", err)
		}
		if proto.Equal(r, want) {
			break
		}
	}
	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("Recv after cancel: %v, want Canceled", err)
	}
}
