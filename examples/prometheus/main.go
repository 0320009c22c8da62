// Binary prometheus shows gRPC's OpenTelemetry metrics (gRFC A66) scraped
// by Prometheus. It runs a Greeter server and a client in one process, both
// instrumented with google.golang.org/grpc/stats/opentelemetry, and exposes
// what they record through the OpenTelemetry Prometheus exporter on an HTTP
// /metrics endpoint.
//
// By default it makes a few RPCs, scrapes its own endpoint and prints the
// grpc_* series. With -serve it keeps the endpoint up (until interrupted)
// so that curl or a Prometheus server can scrape it.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	pb "google.golang.org/grpc/examples/helloworld/helloworld"
	"google.golang.org/grpc/stats/opentelemetry"
)

var (
	grpcAddr    = flag.String("grpc_addr", "localhost:0", "address the gRPC server listens on")
	metricsAddr = flag.String("metrics_addr", "localhost:9464", "address of the HTTP server exposing /metrics")
	rpcs        = flag.Int("rpcs", 5, "number of SayHello RPCs to make")
	serve       = flag.Bool("serve", false, "keep serving /metrics after the RPCs, until interrupted")
)

type greeter struct {
	pb.UnimplementedGreeterServer
}

func (greeter) SayHello(_ context.Context, in *pb.HelloRequest) (*pb.HelloReply, error) {
	return &pb.HelloReply{Message: "Hello " + in.GetName()}, nil
}

// demo is a gRPC server and client recording their metrics into one
// MeterProvider, which a Prometheus registry served over HTTP reads.
type demo struct {
	mp       *sdkmetric.MeterProvider
	srv      *grpc.Server
	http     *http.Server
	cc       *grpc.ClientConn
	client   pb.GreeterClient
	served   chan struct{} // closed when both servers' Serve returned
	Target   string        // the client's target
	Endpoint string        // URL of /metrics
}

// startDemo starts the servers and the client.
func startDemo(grpcAddr, metricsAddr string) (*demo, error) {
	// The exporter is an OpenTelemetry reader that registers itself as a
	// Prometheus collector: every scrape collects the current values.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	otelOpts := opentelemetry.Options{MetricsOptions: opentelemetry.MetricsOptions{MeterProvider: mp}}

	grpcLis, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		mp.Shutdown(context.Background())
		return nil, err
	}
	httpLis, err := net.Listen("tcp", metricsAddr)
	if err != nil {
		grpcLis.Close()
		mp.Shutdown(context.Background())
		return nil, err
	}
	d := &demo{
		mp:       mp,
		srv:      grpc.NewServer(opentelemetry.ServerOption(otelOpts)),
		served:   make(chan struct{}),
		Target:   grpcLis.Addr().String(),
		Endpoint: "http://" + httpLis.Addr().String() + "/metrics",
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	d.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	pb.RegisterGreeterServer(d.srv, greeter{})

	done := make(chan struct{}, 2)
	go func() { d.srv.Serve(grpcLis); done <- struct{}{} }()
	go func() { d.http.Serve(httpLis); done <- struct{}{} }()
	go func() { <-done; <-done; close(d.served) }()

	d.cc, err = grpc.NewClient(d.Target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		opentelemetry.DialOption(otelOpts))
	if err != nil {
		d.stop()
		return nil, err
	}
	d.client = pb.NewGreeterClient(d.cc)
	return d, nil
}

// greet makes n SayHello RPCs.
func (d *demo) greet(ctx context.Context, n int) error {
	for i := range n {
		if _, err := d.client.SayHello(ctx, &pb.HelloRequest{Name: fmt.Sprintf("gopher %d", i)}); err != nil {
			return err
		}
	}
	return nil
}

// scrape fetches /metrics the way Prometheus does and returns its grpc_*
// lines.
func (d *demo) scrape(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.Endpoint, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", d.Endpoint, resp.Status)
	}
	return grpcLines(resp.Body)
}

// scrapeAfter scrapes until the server has recorded the end of n calls
// (it may do so just after the client saw them finish), or ctx ends.
func (d *demo) scrapeAfter(ctx context.Context, n int) ([]string, error) {
	for {
		lines, err := d.scrape(ctx)
		if err != nil || sampleSum(lines, "grpc_server_call_duration_seconds_count") >= float64(n) {
			return lines, err
		}
		select {
		case <-ctx.Done():
			return lines, nil
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sampleSum adds up the values of the samples of metric (a full series
// name such as grpc_server_call_started_total) in lines.
func sampleSum(lines []string, metric string) float64 {
	var sum float64
	for _, l := range lines {
		name, rest, ok := strings.Cut(l, "{")
		if !ok {
			name, rest, _ = strings.Cut(l, " ")
		}
		if name != metric {
			continue
		}
		if i := strings.LastIndexByte(rest, ' '); i >= 0 {
			rest = rest[i+1:]
		}
		if v, err := strconv.ParseFloat(rest, 64); err == nil {
			sum += v
		}
	}
	return sum
}

// grpcLines returns the lines of a Prometheus text exposition that hold
// samples of grpc_* metrics.
func grpcLines(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "grpc_") {
			out = append(out, sc.Text())
		}
	}
	return out, sc.Err()
}

// stop closes the client and both servers, and waits for them.
func (d *demo) stop() {
	if d.cc != nil {
		d.cc.Close()
	}
	d.srv.Stop()
	d.http.Close()
	<-d.served
	d.mp.Shutdown(context.Background())
}

func main() {
	flag.Parse()
	d, err := startDemo(*grpcAddr, *metricsAddr)
	if err != nil {
		log.Fatalf("starting: %v", err)
	}
	defer d.stop()
	log.Printf("gRPC server at %s, metrics at %s", d.Target, d.Endpoint)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.greet(ctx, *rpcs); err != nil {
		log.Printf("SayHello: %v", err)
		return
	}
	log.Printf("made %d RPCs", *rpcs)

	if *serve {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		log.Printf("serving %s until interrupted", d.Endpoint)
		<-sig
		return
	}
	lines, err := d.scrapeAfter(ctx, *rpcs)
	if err != nil {
		log.Printf("scraping: %v", err)
		return
	}
	for _, l := range lines {
		fmt.Println(l)
	}
}
