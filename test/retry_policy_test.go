package test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func retryConfig(maxAttempts int, codes string) string {
	return fmt.Sprintf(`{"methodConfig": [{
		"name": [{"service": "grpc.e2e.TestService"}],
		"retryPolicy": {
			"maxAttempts": %d,
			"initialBackoff": "0.01s",
			"maxBackoff": "0.05s",
			"backoffMultiplier": 2,
			"retryableStatusCodes": [%s]
		}}]}`, maxAttempts, codes)
}

// flakyServer fails the first failures attempts of each kind of RPC with
// code, and records the grpc-previous-rpc-attempts header it saw.
type flakyServer struct {
	failures int32
	code     codes.Code
	pushback string

	attempts atomic.Int32
	mu       sync.Mutex
	previous []string
}

func (f *flakyServer) attempt(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.previous = append(f.previous, strings.Join(md.Get("grpc-previous-rpc-attempts"), ","))
	f.mu.Unlock()
	if f.attempts.Add(1) <= f.failures {
		if f.pushback != "" {
			grpc.SetTrailer(ctx, metadata.Pairs("grpc-retry-pushback-ms", f.pushback))
		}
		return status.Error(f.code, "transient failure")
	}
	return nil
}

func (f *flakyServer) testServer() *testServer {
	return &testServer{
		unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
			if err := f.attempt(ctx); err != nil {
				return nil, err
			}
			return respond(ctx, req)
		},
		bidi: func(stream testpb.TestService_FullDuplexServer) error {
			// Read the whole request stream first, then answer with the
			// number of messages: a replay must deliver all of them.
			n := 0
			for {
				if _, err := stream.Recv(); err == io.EOF {
					break
				} else if err != nil {
					return err
				}
				n++
			}
			if err := f.attempt(stream.Context()); err != nil {
				return err
			}
			return stream.Send(&testpb.Response{Payload: payload(n)})
		},
	}
}

func TestRetryPolicyTurnsUnavailableIntoSuccess(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	f := &flakyServer{failures: 2, code: codes.Unavailable}
	e := newEnv(t, f.testServer(), nil, grpc.WithDefaultServiceConfig(retryConfig(3, `"UNAVAILABLE"`)))
	defer e.stop()
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("RPC with two transient failures and three attempts: %v", err)
	}
	if got := strings.Join(f.previous, "|"); got != "|1|2" {
		t.Fatalf("grpc-previous-rpc-attempts per attempt %q, want \"|1|2\"", got)
	}
}

func TestRetryPolicyLimits(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	for _, tc := range []struct {
		name     string
		server   *flakyServer
		config   string
		opts     []grpc.DialOption
		want     codes.Code
		attempts int32
	}{
		{"attempts exhausted", &flakyServer{failures: 5, code: codes.Unavailable}, retryConfig(3, `"UNAVAILABLE"`), nil, codes.Unavailable, 3},
		{"code not retryable", &flakyServer{failures: 5, code: codes.Internal}, retryConfig(3, `"UNAVAILABLE"`), nil, codes.Internal, 1},
		{"codes given as numbers", &flakyServer{failures: 1, code: codes.Aborted}, retryConfig(3, `10`), nil, codes.OK, 2},
		{"pushback forbids retry", &flakyServer{failures: 5, code: codes.Unavailable, pushback: "-1"}, retryConfig(3, `"UNAVAILABLE"`), nil, codes.Unavailable, 1},
		{"pushback delays retry", &flakyServer{failures: 1, code: codes.Unavailable, pushback: "10"}, retryConfig(3, `"UNAVAILABLE"`), nil, codes.OK, 2},
		{"WithDisableRetry", &flakyServer{failures: 5, code: codes.Unavailable}, retryConfig(3, `"UNAVAILABLE"`), []grpc.DialOption{grpc.WithDisableRetry()}, codes.Unavailable, 1},
		{"WithMaxCallAttempts caps the policy", &flakyServer{failures: 5, code: codes.Unavailable}, retryConfig(5, `"UNAVAILABLE"`), []grpc.DialOption{grpc.WithMaxCallAttempts(2)}, codes.Unavailable, 2},
		{"throttled", &flakyServer{failures: 5, code: codes.Unavailable}, `{"retryThrottling": {"maxTokens": 2, "tokenRatio": 0.1},` + retryConfig(5, `"UNAVAILABLE"`)[1:], nil, codes.Unavailable, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.server.testServer(), nil, append(tc.opts, grpc.WithDefaultServiceConfig(tc.config))...)
			defer e.stop()
			_, err := e.client.Unary(ctx, &testpb.Request{})
			if status.Code(err) != tc.want {
				t.Fatalf("RPC error %v, want code %v", err, tc.want)
			}
			if got := tc.server.attempts.Load(); got != tc.attempts {
				t.Fatalf("server saw %d attempts, want %d", got, tc.attempts)
			}
		})
	}
}

func TestRetryReplaysClientStream(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	f := &flakyServer{failures: 1, code: codes.Unavailable}
	e := newEnv(t, f.testServer(), nil, grpc.WithDefaultServiceConfig(retryConfig(2, `"UNAVAILABLE"`)))
	defer e.stop()
	stream, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := stream.Send(&testpb.Request{Payload: payload(i)}); err != nil {
			t.Fatal(err)
		}
	}
	stream.CloseSend()
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("Recv after a retried attempt: %v", err)
	}
	if n := len(resp.GetPayload().GetBody()); n != 3 {
		t.Fatalf("the second attempt received %d messages, want all 3 replayed", n)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("end of stream: %v", err)
	}
	if got := f.attempts.Load(); got != 2 {
		t.Fatalf("server saw %d attempts, want 2", got)
	}
}

func TestRetryBufferLimitCommits(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	f := &flakyServer{failures: 1, code: codes.Unavailable}
	e := newEnv(t, f.testServer(), nil, grpc.WithDefaultServiceConfig(retryConfig(3, `"UNAVAILABLE"`)))
	defer e.stop()
	// A request larger than the replay buffer commits the RPC at once: the
	// transient failure is then final.
	_, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(2048)}, grpc.MaxRetryRPCBufferSize(1024))
	wantCode(t, err, codes.Unavailable)
	if got := f.attempts.Load(); got != 1 {
		t.Fatalf("server saw %d attempts, want 1", got)
	}
}

func hedgingConfig(maxAttempts int, delay string, nonFatal string) string {
	return fmt.Sprintf(`{"methodConfig": [{
		"name": [{"service": "grpc.e2e.TestService"}],
		"hedgingPolicy": {"maxAttempts": %d, "hedgingDelay": %q, "nonFatalStatusCodes": [%s]}
	}]}`, maxAttempts, delay, nonFatal)
}

func TestHedgingSendsSecondAttemptAfterDelay(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	const delay = 50 * time.Millisecond
	var (
		mu       sync.Mutex
		arrivals []time.Time
	)
	firstCanceled := make(chan struct{})
	ts := &testServer{unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		n := len(arrivals)
		mu.Unlock()
		if n == 1 {
			// The first attempt never answers; it must be cancelled once
			// the hedge wins.
			<-ctx.Done()
			close(firstCanceled)
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return &testpb.Response{Payload: &testpb.Payload{Body: []byte(fmt.Sprint("attempt ", n))}}, nil
	}}
	e := newEnv(t, ts, nil, grpc.WithDefaultServiceConfig(hedgingConfig(3, "0.05s", "")))
	defer e.stop()
	start := time.Now()
	resp, err := e.client.Unary(ctx, &testpb.Request{})
	if err != nil {
		t.Fatalf("hedged RPC: %v", err)
	}
	if got := string(resp.GetPayload().GetBody()); got != "attempt 2" {
		t.Fatalf("answer from %q, want the second attempt", got)
	}
	<-firstCanceled
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 2 {
		t.Fatalf("server saw %d attempts, want 2", len(arrivals))
	}
	// The hedge timer starts after the RPC did, so this holds however
	// slow the machine is.
	if gap := arrivals[1].Sub(start); gap < delay {
		t.Fatalf("second attempt came %v after the RPC started, before the hedging delay %v", gap, delay)
	}
}

func TestHedgingNonFatalCodeHedgesAtOnce(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	f := &flakyServer{failures: 2, code: codes.Unavailable}
	// A delay far longer than the test: only non-fatal failures can start
	// the later attempts.
	e := newEnv(t, f.testServer(), nil, grpc.WithDefaultServiceConfig(hedgingConfig(3, "100s", `"UNAVAILABLE"`)))
	defer e.stop()
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("hedged RPC: %v", err)
	}
	if got := f.attempts.Load(); got != 3 {
		t.Fatalf("server saw %d attempts, want 3", got)
	}

	// A fatal code ends the RPC at once.
	g := &flakyServer{failures: 5, code: codes.PermissionDenied}
	e2 := newEnv(t, g.testServer(), nil, grpc.WithDefaultServiceConfig(hedgingConfig(3, "100s", `"UNAVAILABLE"`)))
	defer e2.stop()
	_, err := e2.client.Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.PermissionDenied)
	if got := g.attempts.Load(); got != 1 {
		t.Fatalf("server saw %d attempts after a fatal code, want 1", got)
	}
}
