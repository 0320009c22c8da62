package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/internal/leakcheck"
)

// TestScrape makes RPCs through the demo and checks what Prometheus would
// scrape: every A66 metric is there, under its Prometheus name, with counts
// equal to the number of RPCs.
func TestScrape(t *testing.T) {
	defer leakcheck.Check(t)
	d, err := startDemo("localhost:0", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const n = 4
	if err := d.greet(ctx, n); err != nil {
		t.Fatal(err)
	}
	lines, err := d.scrapeAfter(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"grpc_client_attempt_started_total",
		"grpc_client_attempt_duration_seconds_count",
		"grpc_client_attempt_sent_total_compressed_message_size_bytes_count",
		"grpc_client_attempt_rcvd_total_compressed_message_size_bytes_count",
		"grpc_client_call_duration_seconds_count",
		"grpc_server_call_started_total",
		"grpc_server_call_duration_seconds_count",
		"grpc_server_call_sent_total_compressed_message_size_bytes_count",
		"grpc_server_call_rcvd_total_compressed_message_size_bytes_count",
	} {
		if got := sampleSum(lines, name); got != n {
			t.Errorf("%s = %v, want %d", name, got, n)
		}
	}
	// Each request and reply is a few bytes, so the totals are positive
	// and small.
	for _, name := range []string{
		"grpc_client_attempt_sent_total_compressed_message_size_bytes_sum",
		"grpc_server_call_rcvd_total_compressed_message_size_bytes_sum",
		"grpc_server_call_sent_total_compressed_message_size_bytes_sum",
	} {
		if got := sampleSum(lines, name); got < n || got > n*100 {
			t.Errorf("%s = %v, want between %d and %d", name, got, n, n*100)
		}
	}
	// Durations are positive and fit the test's timeout.
	for _, name := range []string{"grpc_client_call_duration_seconds_sum", "grpc_server_call_duration_seconds_sum"} {
		if got := sampleSum(lines, name); got <= 0 || got > 10 {
			t.Errorf("%s = %v", name, got)
		}
	}
	// The +Inf bucket of a histogram holds every call; the labels say which
	// method, target and status.
	var inf []string
	for _, l := range lines {
		if strings.HasPrefix(l, "grpc_server_call_duration_seconds_bucket{") && strings.Contains(l, `le="+Inf"`) {
			inf = append(inf, l)
		}
	}
	if len(inf) != 1 || !strings.HasSuffix(inf[0], " 4") || !strings.Contains(inf[0], `grpc_method="helloworld.Greeter/SayHello"`) || !strings.Contains(inf[0], `grpc_status="OK"`) {
		t.Errorf("server duration +Inf buckets: %q", inf)
	}
	target := `grpc_target="dns:///` + d.Target + `"`
	for _, l := range lines {
		if strings.HasPrefix(l, "grpc_client_attempt_started_total{") && !strings.Contains(l, target) {
			t.Errorf("attempt counter without %s: %s", target, l)
		}
	}
}
