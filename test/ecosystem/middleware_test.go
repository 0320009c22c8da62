package ecosystem

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/timeout"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/validator"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// logEntry is one call of the logger.
type logEntry struct {
	level  logging.Level
	msg    string
	fields map[string]any
}

type memLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *memLogger) log(_ context.Context, level logging.Level, msg string, fields ...any) {
	f := map[string]any{}
	for i := 0; i+1 < len(fields); i += 2 {
		f[fmt.Sprint(fields[i])] = fields[i+1]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, logEntry{level, msg, f})
}

func (l *memLogger) get() []logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logEntry(nil), l.entries...)
}

func TestLogging(t *testing.T) {
	defer leakcheck.Check(t)
	srvLog, cliLog := &memLogger{}, &memLogger{}
	events := logging.WithLogOnEvents(logging.StartCall, logging.FinishCall, logging.PayloadReceived, logging.PayloadSent)
	srv := echo{fn: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		if in.GetValue() == "fail" {
			return nil, status.Error(codes.PermissionDenied, "denied")
		}
		return in, nil
	}}
	cc, stop := start(t, srv,
		[]grpc.ServerOption{grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(logging.LoggerFunc(srvLog.log), events))},
		grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(logging.LoggerFunc(cliLog.log), events)))
	defer stop()
	ctx := testCtx(t)
	if _, err := callEcho(ctx, cc, "hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := callEcho(ctx, cc, "fail"); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("Echo(fail) = %v", err)
	}
	stop() // the server's handlers have returned once it is stopped

	for _, tc := range []struct {
		side      string
		log       *memLogger
		component string
	}{{"server", srvLog, "server"}, {"client", cliLog, "client"}} {
		var finished []logEntry
		msgs := map[string]int{}
		for _, e := range tc.log.get() {
			msgs[e.msg]++
			if e.fields["grpc.service"] != echoService || e.fields["grpc.method"] != "Echo" || e.fields["grpc.component"] != tc.component || e.fields["grpc.method_type"] != "unary" {
				t.Errorf("%s entry %q: fields %v", tc.side, e.msg, e.fields)
			}
			if e.msg == "finished call" {
				finished = append(finished, e)
			}
		}
		// Per call: started, request and response payloads, finished.
		if msgs["started call"] != 2 || msgs["finished call"] != 2 || msgs["request sent"]+msgs["request received"] != 2 || msgs["response sent"]+msgs["response received"] != 1 {
			t.Errorf("%s messages %v", tc.side, msgs)
		}
		if len(finished) == 2 {
			if finished[0].fields["grpc.code"] != "OK" || finished[1].fields["grpc.code"] != "PermissionDenied" {
				t.Errorf("%s codes: %v, %v", tc.side, finished[0].fields["grpc.code"], finished[1].fields["grpc.code"])
			}
			if finished[1].level != logging.LevelWarn && finished[1].level != logging.LevelError && finished[1].level != logging.LevelInfo {
				t.Errorf("%s level of the failed call: %v", tc.side, finished[1].level)
			}
		}
	}
}

func TestRecovery(t *testing.T) {
	defer leakcheck.Check(t)
	var recovered atomic.Value
	srv := echo{fn: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		panic("boom")
	}}
	cc, stop := start(t, srv, []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(recovery.UnaryServerInterceptor(recovery.WithRecoveryHandler(func(p any) error {
			recovered.Store(p)
			return status.Errorf(codes.Internal, "recovered: %v", p)
		}))),
	})
	defer stop()
	_, err := callEcho(testCtx(t), cc, "x")
	if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "recovered: boom" {
		t.Errorf("Echo = %v, want Internal from the recovery handler", err)
	}
	if recovered.Load() != "boom" {
		t.Errorf("recovery handler saw %v", recovered.Load())
	}
	// Without a handler the panic becomes a plain error, which gRPC sends
	// as Unknown; the server keeps running.
	cc2, stop2 := start(t, srv, []grpc.ServerOption{grpc.ChainUnaryInterceptor(recovery.UnaryServerInterceptor())})
	defer stop2()
	for range 2 {
		if _, err := callEcho(testCtx(t), cc2, "x"); status.Code(err) != codes.Unknown || !strings.HasPrefix(status.Convert(err).Message(), "panic caught: boom") {
			t.Errorf("Echo with the default handler = %v, want Unknown", err)
		}
	}
}

type tokenKey struct{}

func authFunc(ctx context.Context) (context.Context, error) {
	tok, err := auth.AuthFromMD(ctx, "bearer")
	if err != nil {
		return nil, err
	}
	if tok != "s3cret" {
		return nil, status.Error(codes.Unauthenticated, "bad token")
	}
	return context.WithValue(ctx, tokenKey{}, tok), nil
}

// TestAuthAndSelector protects the echo service with the auth interceptor,
// and uses the selector to leave the health service open.
func TestAuthAndSelector(t *testing.T) {
	defer leakcheck.Check(t)
	srv := echo{fn: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		tok, _ := ctx.Value(tokenKey{}).(string)
		return wrapperspb.String(in.GetValue() + "/" + tok), nil
	}}
	notHealth := selector.MatchFunc(func(_ context.Context, c interceptors.CallMeta) bool {
		return c.Service != healthpb.Health_ServiceDesc.ServiceName
	})
	s := grpc.NewServer(
		grpc.ChainUnaryInterceptor(selector.UnaryServerInterceptor(auth.UnaryServerInterceptor(authFunc), notHealth)),
		grpc.ChainStreamInterceptor(selector.StreamServerInterceptor(auth.StreamServerInterceptor(authFunc), notHealth)),
	)
	s.RegisterService(&echoDesc, srv)
	healthpb.RegisterHealthServer(s, health.NewServer())
	cc, stop := serveOn(t, s)
	defer stop()
	ctx := testCtx(t)

	if _, err := callEcho(ctx, cc, "x"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("Echo without a token = %v, want Unauthenticated", err)
	}
	bad := metadata.AppendToOutgoingContext(ctx, "authorization", "bearer nope")
	if _, err := callEcho(bad, cc, "x"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("Echo with a bad token = %v, want Unauthenticated", err)
	}
	good := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer s3cret")
	if v, err := callEcho(good, cc, "x"); err != nil || v != "x/s3cret" {
		t.Errorf("Echo with the token = %q, %v", v, err)
	}
	// The selector keeps the health service out of auth.
	resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health Check without a token = %v, %v; want SERVING", resp, err)
	}
	// Streams go through the stream interceptors.
	st, err := cc.NewStream(ctx, &echoDesc.Streams[0], echoBidiMethod)
	if err == nil {
		err = st.RecvMsg(new(wrapperspb.StringValue))
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("Chat without a token = %v, want Unauthenticated", err)
	}
}

func TestRetry(t *testing.T) {
	defer leakcheck.Check(t)
	var calls atomic.Int32
	srv := echo{fn: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		if calls.Add(1) < 3 {
			return nil, status.Error(codes.Unavailable, "try again")
		}
		return in, nil
	}}
	var retries atomic.Int32
	cc, stop := start(t, srv, nil, grpc.WithChainUnaryInterceptor(retry.UnaryClientInterceptor(
		retry.WithMax(5),
		retry.WithCodes(codes.Unavailable),
		retry.WithBackoff(retry.BackoffLinear(5*time.Millisecond)),
		retry.WithOnRetryCallback(func(context.Context, uint, error) { retries.Add(1) }),
	)))
	defer stop()
	if v, err := callEcho(testCtx(t), cc, "r"); err != nil || v != "r" {
		t.Fatalf("Echo = %q, %v", v, err)
	}
	if calls.Load() != 3 || retries.Load() != 2 {
		t.Errorf("server saw %d calls, %d retries; want 3 and 2", calls.Load(), retries.Load())
	}
	// A code not in the list is not retried.
	calls.Store(-100) // keeps failing
	if _, err := callEcho(testCtx(t), cc, "r", retry.WithCodes(codes.ResourceExhausted)); status.Code(err) != codes.Unavailable || calls.Load() != -99 {
		t.Errorf("Echo with other retry codes = %v after %d calls; want Unavailable after 1", err, calls.Load()+100)
	}
}

// validated is a StringValue with the Validate method protoc-gen-validate
// generates: an empty value is invalid.
type validated struct {
	*wrapperspb.StringValue
}

func (v validated) Validate() error {
	if v.GetValue() == "" {
		return errors.New("value must not be empty")
	}
	return nil
}

func TestValidator(t *testing.T) {
	defer leakcheck.Check(t)
	var reached atomic.Int32
	desc := echoDesc
	desc.ServiceName = "ecosystem.Validated"
	desc.Streams = nil
	desc.Methods = []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := validated{&wrapperspb.StringValue{}}
			if err := dec(in.StringValue); err != nil {
				return nil, err
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/ecosystem.Validated/Echo"}, func(_ context.Context, req any) (any, error) {
				reached.Add(1)
				return req.(validated).StringValue, nil
			})
		},
	}}
	s := grpc.NewServer(grpc.ChainUnaryInterceptor(validator.UnaryServerInterceptor()))
	s.RegisterService(&desc, echo{})
	cc, stop := serveOn(t, s)
	defer stop()
	ctx := testCtx(t)
	out := new(wrapperspb.StringValue)
	err := cc.Invoke(ctx, "/ecosystem.Validated/Echo", wrapperspb.String(""), out)
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != "value must not be empty" {
		t.Errorf("invalid request: %v, want InvalidArgument", err)
	}
	if err := cc.Invoke(ctx, "/ecosystem.Validated/Echo", wrapperspb.String("ok"), out); err != nil || out.GetValue() != "ok" {
		t.Errorf("valid request: %q, %v", out.GetValue(), err)
	}
	if reached.Load() != 1 {
		t.Errorf("handler reached %d times, want 1", reached.Load())
	}
}

func TestTimeout(t *testing.T) {
	defer leakcheck.Check(t)
	srv := echo{fn: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		if in.GetValue() == "slow" {
			<-ctx.Done() // the client's deadline reached the server
			return nil, ctx.Err()
		}
		return in, nil
	}}
	cc, stop := start(t, srv, nil, grpc.WithChainUnaryInterceptor(timeout.UnaryClientInterceptor(50*time.Millisecond)))
	defer stop()
	begin := time.Now()
	if _, err := callEcho(testCtx(t), cc, "slow"); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("slow Echo = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("slow Echo took %v", d)
	}
	if v, err := callEcho(testCtx(t), cc, "fast"); err != nil || v != "fast" {
		t.Errorf("fast Echo = %q, %v", v, err)
	}
}
