package grpc

import (
	"context"
	"testing"

	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/stats"
)

// recordingHandler is a stats handler that is also a metrics recorder, as
// the OpenTelemetry plugin's is.
type recordingHandler struct {
	estats.UnimplementedMetricsRecorder
	counts map[string]int64
}

func (h *recordingHandler) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}
func (h *recordingHandler) HandleRPC(context.Context, stats.RPCStats) {}
func (h *recordingHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (h *recordingHandler) HandleConn(context.Context, stats.ConnStats) {}
func (h *recordingHandler) RecordInt64Count(handle *estats.Int64CountHandle, v int64, _ ...string) {
	h.counts[handle.Descriptor().Name] += v
}

var testCountHandle = estats.RegisterInt64Count(estats.MetricDescriptor{Name: "grpc.test.metrics_recorder_list"})

func TestMetricsRecorderReachesStatsHandlers(t *testing.T) {
	a, b := &recordingHandler{counts: map[string]int64{}}, &recordingHandler{counts: map[string]int64{}}
	cc, err := NewClient("passthrough:///unused", insecureOpt, WithStatsHandler(a), WithStatsHandler(b))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	testCountHandle.Record(cc.metricsRecorder(), 3)
	if a.counts["grpc.test.metrics_recorder_list"] != 3 || b.counts["grpc.test.metrics_recorder_list"] != 3 {
		t.Fatalf("recordings reached %v and %v, want 3 in both", a.counts, b.counts)
	}
	// Without such handlers, recordings are dropped.
	cc2, err := NewClient("passthrough:///unused", insecureOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer cc2.Close()
	testCountHandle.Record(cc2.metricsRecorder(), 1)
}
