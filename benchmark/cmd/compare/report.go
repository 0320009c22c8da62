package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// metric is one row of the table: a field of one job's results.
type metric struct {
	label        string
	job          string
	field        string
	higherBetter bool
}

// row is a metric's medians for both sides.
type row struct {
	metric
	grpcgo, ours float64 // NaN when the runs failed
}

// median returns the middle value (mean of the two middle values for an even
// count), or NaN for no values. NaN inputs, from failed runs, are ignored.
func median(vs []float64) float64 {
	var s []float64
	for _, v := range vs {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// ratio is ours/grpc-go, NaN when it is undefined.
func ratio(ours, grpcgo float64) float64 {
	if grpcgo == 0 || math.IsNaN(ours) || math.IsNaN(grpcgo) {
		return math.NaN()
	}
	return ours / grpcgo
}

// tolerance is the band around 1.0 treated as a tie: on a shared two-core
// machine, run-to-run noise of a few percent is normal.
const tolerance = 0.10

// verdict reads a ratio in the metric's direction.
func verdict(r float64, higherBetter bool) string {
	switch {
	case math.IsNaN(r):
		return "n/a"
	case math.Abs(r-1) <= tolerance:
		return "same"
	case (r > 1) == higherBetter:
		return "ours better"
	default:
		return "ours worse"
	}
}

// fmtNum prints with precision suited to the magnitude.
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "n/a"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func fmtRatio(r float64) string {
	if math.IsNaN(r) {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", r)
}

func direction(higherBetter bool) string {
	if higherBetter {
		return "higher"
	}
	return "lower"
}

var header = []string{"metric", "grpc-go", "ours", "ours/grpc-go", "better", "verdict"}

// controlVerdict marks the raw-TCP rows: the code is identical on both
// sides, so their ratio measures noise, not either implementation.
const controlVerdict = "noise check"

func cells(r row) []string {
	q := ratio(r.ours, r.grpcgo)
	v := verdict(q, r.higherBetter)
	if strings.HasPrefix(r.job, "raw_") {
		v = controlVerdict
	}
	return []string{r.label, fmtNum(r.grpcgo), fmtNum(r.ours), fmtRatio(q), direction(r.higherBetter), v}
}

// renderText lays the rows out as aligned columns for a terminal.
func renderText(rows []row) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(cells(r), "\t"))
	}
	w.Flush()
	return b.String()
}

// renderMarkdown lays the rows out as a GitHub markdown table.
func renderMarkdown(rows []row) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|---|---:|---:|---:|---|---|\n")
	for _, r := range rows {
		c := cells(r)
		b.WriteString("| " + strings.Join(c, " | ") + " |\n")
	}
	return b.String()
}
