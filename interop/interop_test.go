package interop

import (
	"context"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/internal/leakcheck"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// The test cases grpc-go's interop client binary implements; the two
// compression cases of TestCases it lacks run through our grpc-go extras
// client instead.
var grpcgoClientCases = []string{
	"empty_unary", "large_unary", "client_streaming", "server_streaming",
	"ping_pong", "empty_stream", "timeout_on_sleeping_server",
	"cancel_after_begin", "cancel_after_first_response",
	"status_code_and_message", "special_status_message",
	"unimplemented_method", "unimplemented_service", "custom_metadata",
}

// servers are the two servers a direction runs against: std is a plain
// interop server (default limits, as grpc-go's server binary), extras one
// set up for the extra cases (16 MiB limit, status details, and, on the
// grpc-go side, compression support).
type servers struct{ std, extras int }

// portFor picks the server a case needs. grpc-go's interop server does not
// implement expect_compressed or response_compressed, so the compression
// cases go to the extras server on both sides; oversize_request needs the
// default receive limit.
func (s servers) portFor(testCase string) int {
	_, standard := TestCases[testCase]
	if (standard && !isCompression(testCase)) || testCase == "oversize_request" {
		return s.std
	}
	return s.extras
}

func isCompression(testCase string) bool {
	return testCase == "client_compressed_unary" || testCase == "server_compressed_unary"
}

// allCases lists every case, standard ones first, each group sorted.
func allCases() []string {
	var std, extra []string
	for name := range TestCases {
		std = append(std, name)
	}
	for name := range ExtraCases {
		extra = append(extra, name)
	}
	slices.Sort(std)
	slices.Sort(extra)
	return append(std, extra...)
}

// runPeerClientCases runs the cases with the grpc-go client binaries, over
// the connection security sec. grpc-go's own client cannot do mutual TLS,
// so with it every case goes to the extras client.
func runPeerClientCases(t *testing.T, s servers, sec security, cases []string) {
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			client := "extrasclient"
			if sec != mutualTLS && slices.Contains(grpcgoClientCases, name) {
				client = "client"
			}
			runPeerClient(t, client, s.portFor(name), name, sec.peerClientArgs(client)...)
		})
	}
}

// runOurClientCases runs the cases in-process with our client over the
// connection security sec, a new connection per case.
func runOurClientCases(t *testing.T, s servers, sec security, cases []string) {
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			run := TestCases[name]
			if run == nil {
				run = ExtraCases[name]
			}
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.portFor(name)))
			cc, err := grpc.NewClient(addr, sec.ourDialOptions(t)...)
			if err != nil {
				t.Fatalf("grpc.NewClient(%q): %v", addr, err)
			}
			defer cc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := run(ctx, cc); err != nil {
				t.Errorf("our client, %s against %s: %v", name, addr, err)
			}
		})
	}
}

// startOurServer serves NewTestServer in-process on a loopback port, over
// the connection security sec, until the test ends.
func startOurServer(t *testing.T, extras bool, sec security) int {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	opts := sec.ourServerOptions(t)
	if extras {
		opts = append(opts, grpc.MaxRecvMsgSize(ExtrasMaxMsgSize))
	}
	s := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(s, NewTestServer(ServerOptions{StatusDetails: extras}))
	served := make(chan error, 1)
	go func() { served <- s.Serve(lis) }()
	t.Cleanup(func() {
		s.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return lis.Addr().(*net.TCPAddr).Port
}

func startPeerServers(t *testing.T, sec security) servers {
	return servers{
		std:    startPeerServer(t, "server", sec.peerServerArgs("server")...),
		extras: startPeerServer(t, "extrasserver", sec.peerServerArgs("extrasserver")...),
	}
}

func startOurServers(t *testing.T, sec security) servers {
	return servers{std: startOurServer(t, false, sec), extras: startOurServer(t, true, sec)}
}

// checkLeaks registers the goroutine leak check; registered first, it runs
// after every other cleanup, once the servers are stopped.
func checkLeaks(t *testing.T) {
	t.Cleanup(func() { leakcheck.Check(t) })
}

// TestControlGRPCGoToGRPCGo runs the grpc-go peers against each other. It
// involves none of our code: a failure here is a fault of the harness (or of
// the environment), not of our implementation.
func TestControlGRPCGoToGRPCGo(t *testing.T) {
	runPeerClientCases(t, startPeerServers(t, plaintext), plaintext, allCases())
}

// TestGRPCGoClientOurServer: grpc-go's clients against our server.
func TestGRPCGoClientOurServer(t *testing.T) {
	checkLeaks(t)
	runPeerClientCases(t, startOurServers(t, plaintext), plaintext, allCases())
}

// TestOurClientGRPCGoServer: our client against grpc-go's servers.
func TestOurClientGRPCGoServer(t *testing.T) {
	checkLeaks(t)
	runOurClientCases(t, startPeerServers(t, plaintext), plaintext, allCases())
}

// TestOurClientOurServer: both sides ours, in one process, so that the race
// detector watches client and server together.
func TestOurClientOurServer(t *testing.T) {
	checkLeaks(t)
	runOurClientCases(t, startOurServers(t, plaintext), plaintext, allCases())
}
