package main

import (
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
		{[]float64{nan, 5, nan}, 5},
		{[]float64{1, nan, 9, 5}, 5},
	}
	for _, tc := range tests {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, in := range [][]float64{nil, {nan, nan}} {
		if got := median(in); !math.IsNaN(got) {
			t.Errorf("median(%v) = %v, want NaN", in, got)
		}
	}
}

func TestMedianDoesNotReorderInput(t *testing.T) {
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("median reordered its input: %v", in)
	}
}

func TestRatioAndVerdict(t *testing.T) {
	if r := ratio(200, 100); r != 2 {
		t.Errorf("ratio(200, 100) = %v, want 2", r)
	}
	for _, r := range []float64{ratio(1, 0), ratio(math.NaN(), 1), ratio(1, math.NaN())} {
		if !math.IsNaN(r) {
			t.Errorf("undefined ratio = %v, want NaN", r)
		}
	}
	tests := []struct {
		r            float64
		higherBetter bool
		want         string
	}{
		{2, true, "ours better"},
		{2, false, "ours worse"},
		{0.5, true, "ours worse"},
		{0.5, false, "ours better"},
		{1.05, true, "same"},
		{0.95, false, "same"},
		{math.NaN(), true, "n/a"},
	}
	for _, tc := range tests {
		if got := verdict(tc.r, tc.higherBetter); got != tc.want {
			t.Errorf("verdict(%v, %v) = %q, want %q", tc.r, tc.higherBetter, got, tc.want)
		}
	}
}

func TestFmtNum(t *testing.T) {
	tests := map[float64]string{
		123456.7:   "123457",
		1000:       "1000",
		245.67:     "245.7",
		3.14159:    "3.14",
		-2:         "-2.00",
		math.NaN(): "n/a",
	}
	for in, want := range tests {
		if got := fmtNum(in); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", in, got, want)
		}
	}
}

func testRows() []row {
	return []row{
		{metric: metric{"unary QPS", "unary_c1", "qps", true}, grpcgo: 1000, ours: 1500},
		{metric: metric{"allocs/RPC", "allocs", "allocs_per_op", false}, grpcgo: 100, ours: math.NaN()},
	}
}

func TestRenderMarkdown(t *testing.T) {
	got := renderMarkdown(testRows())
	want := "| metric | grpc-go | ours | ours/grpc-go | better | verdict |\n" +
		"|---|---:|---:|---:|---|---|\n" +
		"| unary QPS | 1000 | 1500 | 1.50x | higher | ours better |\n" +
		"| allocs/RPC | 100.0 | n/a | n/a | lower | n/a |\n"
	if got != want {
		t.Errorf("renderMarkdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestRawRowsAreNoiseChecks(t *testing.T) {
	r := row{metric: metric{"raw QPS", "raw_c1", "qps", true}, grpcgo: 100, ours: 50}
	if got := cells(r)[5]; got != controlVerdict {
		t.Errorf("raw row verdict = %q, want %q", got, controlVerdict)
	}
}

func TestRenderTextAligned(t *testing.T) {
	lines := strings.Split(strings.TrimRight(renderText(testRows()), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("renderText gave %d lines, want 3:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	col := strings.Index(lines[0], "grpc-go")
	for _, l := range lines[1:] {
		if c := strings.IndexAny(l, "0123456789"); c != col {
			t.Errorf("value column at %d, header at %d:\n%s", c, col, strings.Join(lines, "\n"))
		}
	}
}

func TestMetricsNameKnownJobs(t *testing.T) {
	keys := map[string]bool{}
	for _, j := range jobs {
		if keys[j.key] {
			t.Errorf("duplicate job key %q", j.key)
		}
		keys[j.key] = true
	}
	for _, m := range metrics {
		if !keys[m.job] {
			t.Errorf("metric %q refers to unknown job %q", m.label, m.job)
		}
	}
}

func TestSelectJobs(t *testing.T) {
	sel, err := selectJobs("allocs, idle")
	if err != nil || len(sel) != 2 || sel[0].key != "allocs" || sel[1].key != "idle" {
		t.Errorf("selectJobs(allocs, idle) = %v, %v", sel, err)
	}
	if _, err := selectJobs("nope"); err == nil {
		t.Error("selectJobs(nope) succeeded, want an error")
	}
	if all, _ := selectJobs(""); len(all) != len(jobs) {
		t.Errorf("selectJobs(\"\") returned %d jobs, want %d", len(all), len(jobs))
	}
}

func TestGoMod(t *testing.T) {
	theirs := goMod("")
	if strings.Contains(theirs, "replace") || !strings.Contains(theirs, "google.golang.org/grpc "+grpcGoVersion) {
		t.Errorf("grpc-go go.mod:\n%s", theirs)
	}
	ours := goMod("/src/grpc")
	if !strings.Contains(ours, "replace google.golang.org/grpc => /src/grpc\n") {
		t.Errorf("ours go.mod lacks the replace directive:\n%s", ours)
	}
}

func TestField(t *testing.T) {
	got := field([]result{{"qps": 5}, nil, {"other": 1}}, "qps")
	if got[0] != 5 || !math.IsNaN(got[1]) || !math.IsNaN(got[2]) {
		t.Errorf("field = %v, want [5 NaN NaN]", got)
	}
}

func TestBusy(t *testing.T) {
	if !busy(machine{cpus: 2, load: "5.14 3.97 3.08 15/171 13352"}) {
		t.Error("load 5.14 on 2 CPUs not reported busy")
	}
	if busy(machine{cpus: 2, load: "0.50 1.00 1.00 1/100 1"}) {
		t.Error("load 0.50 on 2 CPUs reported busy")
	}
	if busy(machine{cpus: 2, load: "unknown"}) {
		t.Error("unreadable load reported busy")
	}
}
