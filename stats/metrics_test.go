package stats_test

import (
	"context"
	"reflect"
	"testing"

	estats "google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
)

func TestMetricSet(t *testing.T) {
	m := stats.NewMetricSet("a", "b")
	added := m.Add("c")
	removed := added.Remove("a", "missing")
	joined := stats.NewMetricSet("x").Join(removed)
	for _, tc := range []struct {
		name string
		got  *stats.MetricSet
		want map[string]bool
	}{
		{"new", m, map[string]bool{"a": true, "b": true}},
		{"add", added, map[string]bool{"a": true, "b": true, "c": true}},
		{"remove", removed, map[string]bool{"b": true, "c": true}},
		{"join", joined, map[string]bool{"b": true, "c": true, "x": true}},
		{"empty", stats.NewMetricSet(), map[string]bool{}},
	} {
		if !reflect.DeepEqual(tc.got.Metrics(), tc.want) {
			t.Errorf("%s: Metrics() = %v, want %v", tc.name, tc.got.Metrics(), tc.want)
		}
	}
	// The experimental names are aliases.
	var em *estats.Metrics = estats.NewMetrics("a")
	if !reflect.DeepEqual(em.Metrics(), map[string]bool{"a": true}) {
		t.Errorf("estats.NewMetrics: %v", em.Metrics())
	}
}

func TestTagsAndTrace(t *testing.T) {
	ctx := stats.SetTags(context.Background(), []byte("t1"))
	ctx = stats.SetTrace(ctx, []byte("tr1"))
	out, _ := metadata.FromOutgoingContext(ctx)
	if got := out.Get("grpc-tags-bin"); !reflect.DeepEqual(got, []string{"t1"}) {
		t.Errorf("grpc-tags-bin = %v", got)
	}
	if got := out.Get("grpc-trace-bin"); !reflect.DeepEqual(got, []string{"tr1"}) {
		t.Errorf("grpc-trace-bin = %v", got)
	}
	in := metadata.NewIncomingContext(context.Background(), metadata.Pairs("grpc-tags-bin", "a", "grpc-tags-bin", "b", "grpc-trace-bin", "c"))
	if got := string(stats.Tags(in)); got != "b" {
		t.Errorf("Tags = %q, want the last value", got)
	}
	if got := string(stats.Trace(in)); got != "c" {
		t.Errorf("Trace = %q", got)
	}
	if stats.Tags(context.Background()) != nil || stats.Trace(context.Background()) != nil {
		t.Errorf("Tags/Trace without metadata are not nil")
	}
	for _, s := range []stats.RPCStats{&stats.Begin{Client: true}, &stats.InPayload{Client: true}, &stats.InHeader{Client: true}, &stats.InTrailer{Client: true}, &stats.OutPayload{Client: true}, &stats.OutHeader{Client: true}, &stats.OutTrailer{Client: true}, &stats.End{Client: true}, &stats.DelayedPickComplete{}} {
		if !s.IsClient() {
			t.Errorf("%T.IsClient() = false", s)
		}
	}
	var _ *stats.PickerUpdated = &stats.DelayedPickComplete{}
	for _, s := range []stats.ConnStats{&stats.ConnBegin{Client: true}, &stats.ConnEnd{Client: true}} {
		if !s.IsClient() {
			t.Errorf("%T.IsClient() = false", s)
		}
	}
}
