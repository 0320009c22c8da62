package orcaload

import (
	"testing"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	"google.golang.org/grpc/internal/balancerload"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

func TestParseThroughBalancerload(t *testing.T) {
	want := &v3orcapb.OrcaLoadReport{CpuUtilization: 0.5, RpsFractional: 12, NamedMetrics: map[string]float64{"x": 1}}
	b, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := balancerload.Parse(metadata.Pairs(TrailerKey, string(b))).(*v3orcapb.OrcaLoadReport)
	if !ok || !proto.Equal(got, want) {
		t.Fatalf("Parse = %v, want %v", got, want)
	}

	for name, md := range map[string]metadata.MD{
		"nil":      nil,
		"absent":   metadata.Pairs("other", "x"),
		"garbage":  metadata.Pairs(TrailerKey, "\xff\xff\xff"),
		"repeated": metadata.Pairs(TrailerKey, string(b), TrailerKey, string(b)),
	} {
		if v := balancerload.Parse(md); v != nil {
			t.Errorf("%s: Parse = %v (%T), want untyped nil", name, v, v)
		}
	}
	if _, err := ToLoadReport(metadata.Pairs(TrailerKey, string(b), TrailerKey, string(b))); err == nil {
		t.Error("ToLoadReport accepted two reports")
	}
}
