package orca

import (
	"maps"
	"time"

	v3orcaservicepb "github.com/cncf/xds/go/xds/service/orca/v3"
	"google.golang.org/grpc/orca/internal"
	"google.golang.org/protobuf/types/known/durationpb"
	"testing"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/protobuf/proto"
)

func TestServerMetricsRecorderSetAndDelete(t *testing.T) {
	defer leakcheck.Check(t)
	r := NewServerMetricsRecorder()
	got := r.ServerMetrics()
	if got.CPUUtilization != -1 || got.MemUtilization != -1 || got.AppUtilization != -1 || got.QPS != -1 || got.EPS != -1 {
		t.Fatalf("new recorder has scalars set: %+v", got)
	}
	if got.Utilization == nil || got.RequestCost == nil || got.NamedMetrics == nil {
		t.Fatalf("new recorder has nil maps: %+v", got)
	}

	r.SetCPUUtilization(1.5) // above 1 is allowed for CPU
	r.SetMemoryUtilization(0.25)
	r.SetApplicationUtilization(2)
	r.SetQPS(100)
	r.SetEPS(3)
	r.SetNamedUtilization("disk", 0.5)
	r.SetNamedUtilization("net", 0.75)

	// Out-of-range values are dropped and keep the previous value.
	r.SetCPUUtilization(-1)
	r.SetMemoryUtilization(1.5)
	r.SetApplicationUtilization(-0.1)
	r.SetQPS(-2)
	r.SetEPS(-3)
	r.SetNamedUtilization("disk", 2)
	r.SetNamedUtilization("bad", -1)

	got = r.ServerMetrics()
	want := &ServerMetrics{
		CPUUtilization: 1.5, MemUtilization: 0.25, AppUtilization: 2, QPS: 100, EPS: 3,
		Utilization:  map[string]float64{"disk": 0.5, "net": 0.75},
		RequestCost:  map[string]float64{},
		NamedMetrics: map[string]float64{},
	}
	if !equalMetrics(got, want) {
		t.Fatalf("ServerMetrics() = %+v, want %+v", got, want)
	}

	// The returned value is a copy.
	got.Utilization["disk"] = 0.9
	got.QPS = 1
	if again := r.ServerMetrics(); again.Utilization["disk"] != 0.5 || again.QPS != 100 {
		t.Fatalf("changing a snapshot changed the recorder: %+v", again)
	}

	r.DeleteCPUUtilization()
	r.DeleteMemoryUtilization()
	r.DeleteApplicationUtilization()
	r.DeleteQPS()
	r.DeleteEPS()
	r.DeleteNamedUtilization("disk")
	got = r.ServerMetrics()
	want = newServerMetrics()
	want.Utilization["net"] = 0.75
	if !equalMetrics(got, want) {
		t.Fatalf("after deletes ServerMetrics() = %+v, want %+v", got, want)
	}
}

func TestCallMetricsRecorderCosts(t *testing.T) {
	defer leakcheck.Check(t)
	var r CallMetricsRecorder = newServerMetricsRecorder()
	r.SetRequestCost("db", 10)
	r.SetRequestCost("cache", 1)
	r.SetNamedMetric("queue", 4)
	r.SetNamedMetric("temp", -7) // named metrics and costs have no range
	r.DeleteRequestCost("cache")
	r.DeleteNamedMetric("temp")
	got := r.ServerMetrics()
	if len(got.RequestCost) != 1 || got.RequestCost["db"] != 10 {
		t.Errorf("RequestCost = %v, want map[db:10]", got.RequestCost)
	}
	if len(got.NamedMetrics) != 1 || got.NamedMetrics["queue"] != 4 {
		t.Errorf("NamedMetrics = %v, want map[queue:4]", got.NamedMetrics)
	}
}

func TestOverlayAndProto(t *testing.T) {
	defer leakcheck.Check(t)
	base := newServerMetrics()
	base.CPUUtilization = 0.5
	base.QPS = 10
	base.Utilization["a"] = 0.1
	base.NamedMetrics["n"] = 1

	call := newServerMetrics()
	call.QPS = 20
	call.EPS = 2
	call.Utilization["a"] = 0.2
	call.RequestCost["c"] = 3

	base.overlay(call)
	want := &v3orcapb.OrcaLoadReport{
		CpuUtilization: 0.5,
		RpsFractional:  20,
		Eps:            2,
		Utilization:    map[string]float64{"a": 0.2},
		RequestCost:    map[string]float64{"c": 3},
		NamedMetrics:   map[string]float64{"n": 1},
	}
	if got := base.toProto(); !proto.Equal(got, want) {
		t.Fatalf("toProto() = %v, want %v", got, want)
	}
	if got := newServerMetrics().toProto(); !proto.Equal(got, &v3orcapb.OrcaLoadReport{}) {
		t.Fatalf("empty metrics encode as %v, want an empty report", got)
	}
}

func TestServerMetricsRecorderConcurrent(t *testing.T) {
	defer leakcheck.Check(t)
	r := NewServerMetricsRecorder()
	done := make(chan struct{})
	for i := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range 200 {
				r.SetQPS(float64(j))
				r.SetNamedUtilization("u", float64(i)/4)
				_ = r.ServerMetrics()
			}
		}()
	}
	for range 4 {
		<-done
	}
	if got := r.ServerMetrics().QPS; got < 0 || got >= 200 {
		t.Fatalf("QPS = %v after concurrent sets", got)
	}
}

func TestNewServiceInterval(t *testing.T) {
	defer leakcheck.Check(t)
	if _, err := NewService(ServiceOptions{}); err == nil {
		t.Fatal("NewService without a provider succeeded")
	}
	smr := NewServerMetricsRecorder()
	for _, tc := range []struct {
		in, want time.Duration
		any      bool
	}{
		{0, 30 * time.Second, false},
		{-time.Second, 30 * time.Second, false},
		{time.Second, 30 * time.Second, false},
		{time.Minute, time.Minute, false},
		{time.Second, time.Second, true},
	} {
		opts := ServiceOptions{ServerMetricsProvider: smr, MinReportingInterval: tc.in}
		if tc.any {
			internal.AllowAnyMinReportingInterval.(func(*ServiceOptions))(&opts)
		}
		s, err := NewService(opts)
		if err != nil {
			t.Fatal(err)
		}
		if s.minInterval != tc.want {
			t.Errorf("MinReportingInterval %v (any=%v): got %v, want %v", tc.in, tc.any, s.minInterval, tc.want)
		}
		for _, req := range []struct {
			ask, want time.Duration
		}{{0, tc.want}, {tc.want / 2, tc.want}, {tc.want * 2, tc.want * 2}} {
			r := &v3orcaservicepb.OrcaLoadReportRequest{}
			if req.ask != 0 {
				r.ReportInterval = durationpb.New(req.ask)
			}
			if got := s.interval(r); got != req.want {
				t.Errorf("min %v, asked %v: interval %v, want %v", tc.want, req.ask, got, req.want)
			}
		}
	}
}

func equalMetrics(a, b *ServerMetrics) bool {
	return a.CPUUtilization == b.CPUUtilization && a.MemUtilization == b.MemUtilization &&
		a.AppUtilization == b.AppUtilization && a.QPS == b.QPS && a.EPS == b.EPS &&
		maps.Equal(a.Utilization, b.Utilization) && maps.Equal(a.RequestCost, b.RequestCost) &&
		maps.Equal(a.NamedMetrics, b.NamedMetrics)
}
