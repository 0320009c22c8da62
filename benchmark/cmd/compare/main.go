// Command compare runs the same benchmark workload against this repository's
// gRPC implementation and against grpc-go v1.85.0 and prints both side by side.
//
//	go run ./benchmark/cmd/compare -rounds 3 -duration 3s -out benchmark/RESULTS.md
//
// It builds benchmark/workload twice (see build.go), then for every job and
// round runs grpc-go and ours one after the other (A B A B ...), one process
// per side per run, and reports the median of the rounds. See
// benchmark/README.md for what each metric means.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// jobs are the workload runs, in the order they are run.
var jobs = []job{
	{key: "unary_c1", server: "server", args: []string{"-mode", "unary", "-concurrency", "1"}},
	{key: "unary_c16", server: "server", args: []string{"-mode", "unary", "-concurrency", "16"}},
	{key: "unary_c256", server: "server", args: []string{"-mode", "unary", "-concurrency", "256"}},
	{key: "unary_1mib", server: "server", args: []string{"-mode", "unary", "-size", "1048576"}},
	{key: "stream_1kib", server: "server", args: []string{"-mode", "stream", "-size", "1024"}},
	{key: "pingpong", server: "server", args: []string{"-mode", "pingpong"}},
	{key: "allocs", args: []string{"-mode", "allocs"}},
	{key: "connsetup", server: "server", args: []string{"-mode", "connsetup"}},
	{key: "idle", idle: true},
	{key: "raw_c1", server: "rawserver", args: []string{"-mode", "rawtcp", "-concurrency", "1"}},
	{key: "raw_c16", server: "rawserver", args: []string{"-mode", "rawtcp", "-concurrency", "16"}},
	{key: "raw_c256", server: "rawserver", args: []string{"-mode", "rawtcp", "-concurrency", "256"}},
}

// metrics are the table rows.
var metrics = []metric{
	{"unary 1 B, c=1: QPS", "unary_c1", "qps", true},
	{"unary 1 B, c=1: p50 µs", "unary_c1", "p50_us", false},
	{"unary 1 B, c=1: p99 µs", "unary_c1", "p99_us", false},
	{"unary 1 B, c=16: QPS", "unary_c16", "qps", true},
	{"unary 1 B, c=16: p50 µs", "unary_c16", "p50_us", false},
	{"unary 1 B, c=16: p99 µs", "unary_c16", "p99_us", false},
	{"unary 1 B, c=256: QPS", "unary_c256", "qps", true},
	{"unary 1 B, c=256: p50 µs", "unary_c256", "p50_us", false},
	{"unary 1 B, c=256: p99 µs", "unary_c256", "p99_us", false},
	{"unary 1 MiB req+resp: MB/s", "unary_1mib", "mbps", true},
	{"server stream 1 KiB: msgs/s", "stream_1kib", "msgs_per_sec", true},
	{"bidi ping-pong 1 B: round trips/s", "pingpong", "rtt_per_sec", true},
	{"unary in-process: allocs/RPC", "allocs", "allocs_per_op", false},
	{"unary in-process: bytes/RPC", "allocs", "bytes_per_op", false},
	{"conn setup (dial+RPC+close)/s", "connsetup", "conns_per_sec", true},
	{"1000 idle conns: server heap MB", "idle", "heap_mb", false},
	{"1000 idle conns: server stack MB", "idle", "stack_mb", false},
	{"1000 idle conns: server RSS MB", "idle", "rss_mb", false},
	{"1000 idle conns: heap+stack KB/conn", "idle", "kb_per_conn", false},
	{"1000 idle conns: goroutines/conn", "idle", "goroutines_per_conn", false},
	{"raw TCP 1 B, c=1: QPS (floor)", "raw_c1", "qps", true},
	{"raw TCP 1 B, c=16: QPS (floor)", "raw_c16", "qps", true},
	{"raw TCP 1 B, c=256: QPS (floor)", "raw_c256", "qps", true},
	{"raw TCP 1 B, c=256: p50 µs (floor)", "raw_c256", "p50_us", false},
}

func main() {
	var (
		rounds  = flag.Int("rounds", 3, "rounds per job; the table shows the median")
		quick   = flag.Bool("quick", false, "smoke run of about a minute: 1 round, 1s runs")
		out     = flag.String("out", "", "also write the results as markdown to this file")
		only    = flag.String("only", "", "comma-separated job keys to run (default all): "+jobKeys())
		repo    = flag.String("repo", "", "repository root (default: the module containing the working directory)")
		workDir = flag.String("work", "", "build directory to use and keep (default: a temporary one, removed)")
		s       settings
	)
	flag.DurationVar(&s.duration, "duration", 3*time.Second, "measured time per load run")
	flag.DurationVar(&s.warmup, "warmup", 500*time.Millisecond, "unmeasured warm-up per load run")
	flag.IntVar(&s.allocsN, "allocs-n", 20000, "RPCs measured by the allocs job")
	flag.IntVar(&s.idleConns, "idle-conns", 1000, "connections held by the idle job")
	flag.Parse()
	if *quick {
		*rounds, s.duration, s.warmup, s.allocsN = 1, time.Second, 200*time.Millisecond, 5000
	}
	if err := run(*rounds, s, *out, *only, *repo, *workDir); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func jobKeys() string {
	var ks []string
	for _, j := range jobs {
		ks = append(ks, j.key)
	}
	return strings.Join(ks, ",")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(rounds int, s settings, out, only, repo, work string) error {
	var err error
	if repo == "" {
		if repo, err = repoRoot(); err != nil {
			return err
		}
	}
	if repo, err = filepath.Abs(repo); err != nil {
		return err
	}
	selected, err := selectJobs(only)
	if err != nil {
		return err
	}
	if work == "" {
		if work, err = os.MkdirTemp("", "grpcbench"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	startInfo := machineInfo(repo)
	impls, err := buildImpls(repo, work, logf)
	if err != nil {
		return err
	}

	// results[job][impl] holds one value per round for every field.
	results := map[string]map[string][]result{}
	for _, j := range selected {
		results[j.key] = map[string][]result{}
		for r := range rounds {
			for _, im := range impls {
				res, err := runJob(im, j, s)
				if err != nil {
					logf("round %d %s %s: FAILED: %v", r+1, j.key, im.name, err)
					res = nil
				} else {
					logf("round %d %s %s: %s", r+1, j.key, im.name, brief(res))
				}
				results[j.key][im.name] = append(results[j.key][im.name], res)
			}
		}
	}

	var rows []row
	for _, m := range metrics {
		if _, ok := results[m.job]; !ok {
			continue
		}
		rows = append(rows, row{
			metric: m,
			grpcgo: median(field(results[m.job]["grpc-go"], m.field)),
			ours:   median(field(results[m.job]["ours"], m.field)),
		})
	}
	fmt.Print(renderText(rows))
	if out != "" {
		doc := markdownReport(startInfo, machineInfo(repo), rounds, s, rows)
		if err := os.WriteFile(out, []byte(doc), 0o644); err != nil {
			return err
		}
		logf("wrote %s", out)
	}
	return nil
}

func selectJobs(only string) ([]job, error) {
	if only == "" {
		return jobs, nil
	}
	var sel []job
	for _, k := range strings.Split(only, ",") {
		found := false
		for _, j := range jobs {
			if j.key == strings.TrimSpace(k) {
				sel, found = append(sel, j), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown job %q (have %s)", k, jobKeys())
		}
	}
	return sel, nil
}

// field extracts one field from every round; failed rounds give NaN.
func field(rs []result, name string) []float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		v, ok := r[name]
		if !ok {
			v = math.NaN()
		}
		vs[i] = v
	}
	return vs
}

func brief(r result) string {
	var parts []string
	for k, v := range r {
		parts = append(parts, k+"="+fmtNum(v))
	}
	return strings.Join(sortedStrings(parts), " ")
}
