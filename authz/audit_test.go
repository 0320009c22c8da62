package authz_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/authz"
	"google.golang.org/grpc/authz/audit"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// testLoggerName is the name the recording audit logger is registered
// under. Its config is {"sink": S, "id": I, "reject": B}: events go to the
// sink named S tagged with I, and a true B makes the config invalid.
const testLoggerName = "authz_test_recording_logger"

func init() {
	audit.RegisterLoggerBuilder(recordingBuilder{})
}

// record is one event as a recording logger saw it.
type record struct {
	logger string // the id of the logger that received it
	event  audit.Event
}

// sink collects what the recording loggers configured with its name see.
type sink struct {
	mu     sync.Mutex
	builds []string // ids of the loggers built, in order
	events []record
}

var sinks = struct {
	mu sync.Mutex
	m  map[string]*sink
}{m: make(map[string]*sink)}

// newSink returns a sink named after the test.
func newSink(t *testing.T) (string, *sink) {
	name := t.Name()
	s := &sink{}
	sinks.mu.Lock()
	sinks.m[name] = s
	sinks.mu.Unlock()
	t.Cleanup(func() {
		sinks.mu.Lock()
		delete(sinks.m, name)
		sinks.mu.Unlock()
	})
	return name, s
}

// take returns and forgets the events recorded so far.
func (s *sink) take() []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.events
	s.events = nil
	return r
}

func (s *sink) built() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.builds...)
}

type recordingConfig struct {
	audit.LoggerConfig
	Sink   string `json:"sink"`
	ID     string `json:"id"`
	Reject bool   `json:"reject"`
}

type recordingBuilder struct{}

func (recordingBuilder) Name() string { return testLoggerName }

func (recordingBuilder) ParseLoggerConfig(c json.RawMessage) (audit.LoggerConfig, error) {
	cfg := &recordingConfig{}
	if err := json.Unmarshal(c, cfg); err != nil {
		return nil, err
	}
	if cfg.Reject {
		return nil, errors.New("config rejected")
	}
	return cfg, nil
}

func (recordingBuilder) Build(c audit.LoggerConfig) audit.Logger {
	cfg := c.(*recordingConfig)
	sinks.mu.Lock()
	s := sinks.m[cfg.Sink]
	sinks.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		s.builds = append(s.builds, cfg.ID)
		s.mu.Unlock()
	}
	return &recordingLogger{sink: s, id: cfg.ID}
}

type recordingLogger struct {
	sink *sink
	id   string
}

func (l *recordingLogger) Log(e *audit.Event) {
	if l.sink == nil {
		return
	}
	l.sink.mu.Lock()
	defer l.sink.mu.Unlock()
	l.sink.events = append(l.sink.events, record{logger: l.id, event: *e})
}

// testService answers Unary and StreamingOutput.
type testService struct {
	testpb.UnimplementedTestServiceServer
}

func (testService) Unary(context.Context, *testpb.Request) (*testpb.Response, error) {
	return &testpb.Response{}, nil
}

func (testService) StreamingOutput(_ *testpb.Request, s grpc.ServerStreamingServer[testpb.Response]) error {
	return s.Send(&testpb.Response{})
}

type interceptors interface {
	UnaryInterceptor(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error)
	StreamInterceptor(any, grpc.ServerStream, *grpc.StreamServerInfo, grpc.StreamHandler) error
}

// serve starts a loopback server enforcing i, with the given server
// credentials (insecure if nil), and returns a client for it using
// clientCreds (insecure if nil), and a function stopping both.
func serve(t *testing.T, i interceptors, serverCreds, clientCreds credentials.TransportCredentials) (testpb.TestServiceClient, func()) {
	t.Helper()
	if serverCreds == nil {
		serverCreds = insecure.NewCredentials()
	}
	if clientCreds == nil {
		clientCreds = insecure.NewCredentials()
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(serverCreds), grpc.UnaryInterceptor(i.UnaryInterceptor), grpc.StreamInterceptor(i.StreamInterceptor))
	testpb.RegisterTestServiceServer(srv, testService{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(lis)
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(clientCreds))
	if err != nil {
		srv.Stop()
		<-served
		t.Fatal(err)
	}
	return testpb.NewTestServiceClient(cc), func() {
		cc.Close()
		srv.Stop()
		<-served
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func streamingOutput(ctx context.Context, c testpb.TestServiceClient) error {
	s, err := c.StreamingOutput(ctx, &testpb.Request{})
	if err != nil {
		return err
	}
	for {
		if _, err := s.Recv(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func wantCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Errorf("%s: got %v, want code %v", what, err, want)
	}
}

// auditPolicy is a policy with a deny rule, an allow rule and the given
// audit_logging_options.
func auditPolicy(options string) string {
	return `{
		"name": "audited",
		"deny_rules": [{"name": "deny-flagged", "request": {"headers": [{"key": "x-deny", "values": ["yes"]}]}}],
		"allow_rules": [{"name": "allow-unary", "request": {"paths": ["/grpc.e2e.TestService/Unary"]}}],
		"audit_logging_options": ` + options + `
	}`
}

func loggerJSON(sink, id string) string {
	return fmt.Sprintf(`{"name": %q, "config": {"sink": %q, "id": %q}}`, testLoggerName, sink, id)
}

// TestAuditConditions runs an RPC denied by a deny rule, one allowed by an
// allow rule and one matching no rule under each audit condition, and
// checks which events two loggers (with an unregistered optional one
// between them) receive.
func TestAuditConditions(t *testing.T) {
	defer leakcheck.Check(t)
	denied := audit.Event{FullMethodName: "/grpc.e2e.TestService/Unary", PolicyName: "audited", MatchedRule: "audited_deny-flagged"}
	allowed := audit.Event{FullMethodName: "/grpc.e2e.TestService/Unary", PolicyName: "audited", MatchedRule: "audited_allow-unary", Authorized: true}
	unmatched := audit.Event{FullMethodName: "/grpc.e2e.TestService/StreamingOutput", PolicyName: "audited"}
	for _, tc := range []struct {
		condition string // "" leaves audit_condition out
		want      []audit.Event
	}{
		{"", nil},
		{"NONE", nil},
		{"ON_DENY", []audit.Event{denied, unmatched}},
		{"ON_ALLOW", []audit.Event{allowed}},
		{"ON_DENY_AND_ALLOW", []audit.Event{denied, allowed, unmatched}},
	} {
		t.Run("condition="+tc.condition, func(t *testing.T) {
			sinkName, s := newSink(t)
			cond := ""
			if tc.condition != "" {
				cond = fmt.Sprintf(`"audit_condition": %q, `, tc.condition)
			}
			i, err := authz.NewStatic(auditPolicy(`{` + cond + `"audit_loggers": [` +
				loggerJSON(sinkName, "first") + `, {"name": "authz_test_unregistered", "is_optional": true}, ` +
				loggerJSON(sinkName, "second") + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.built(); len(got) != 2 || got[0] != "first" || got[1] != "second" {
				t.Errorf("loggers built: %q, want [first second]", got)
			}
			c, stop := serve(t, i, nil, nil)
			defer stop()
			ctx := testCtx(t)

			_, err = c.Unary(metadata.AppendToOutgoingContext(ctx, "x-deny", "yes"), &testpb.Request{})
			wantCode(t, "Unary matching the deny rule", err, codes.PermissionDenied)
			_, err = c.Unary(ctx, &testpb.Request{})
			wantCode(t, "Unary matching the allow rule", err, codes.OK)
			wantCode(t, "StreamingOutput matching no rule", streamingOutput(ctx, c), codes.PermissionDenied)

			var want []record
			for _, e := range tc.want {
				want = append(want, record{"first", e}, record{"second", e})
			}
			if got := s.take(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("events:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestAuditNoDenyRules checks the events of a policy without deny rules.
func TestAuditNoDenyRules(t *testing.T) {
	defer leakcheck.Check(t)
	sinkName, s := newSink(t)
	i, err := authz.NewStatic(`{"name": "allow-only",
		"allow_rules": [{"name": "streams", "request": {"paths": ["/grpc.e2e.TestService/Streaming*"]}}],
		"audit_logging_options": {"audit_condition": "ON_DENY_AND_ALLOW", "audit_loggers": [` + loggerJSON(sinkName, "l") + `]}}`)
	if err != nil {
		t.Fatal(err)
	}
	c, stop := serve(t, i, nil, nil)
	defer stop()
	ctx := testCtx(t)
	wantCode(t, "StreamingOutput", streamingOutput(ctx, c), codes.OK)
	_, err = c.Unary(ctx, &testpb.Request{})
	wantCode(t, "Unary", err, codes.PermissionDenied)
	want := []record{
		{"l", audit.Event{FullMethodName: "/grpc.e2e.TestService/StreamingOutput", PolicyName: "allow-only", MatchedRule: "allow-only_streams", Authorized: true}},
		{"l", audit.Event{FullMethodName: "/grpc.e2e.TestService/Unary", PolicyName: "allow-only"}},
	}
	if got := s.take(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events:\n got %+v\nwant %+v", got, want)
	}
}

func x509File(name string) string { return filepath.Join("..", "testdata", "x509", name) }

func certPool(t *testing.T, name string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(x509File(name + "_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", name)
	}
	return p
}

func keyPair(t *testing.T, name string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(x509File(name+"_cert.pem"), x509File(name+"_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAuditPrincipal checks that the principal reported is the client
// certificate's SPIFFE ID over mutual TLS, and empty over TLS without a
// client certificate.
func TestAuditPrincipal(t *testing.T) {
	defer leakcheck.Check(t)
	sinkName, s := newSink(t)
	i, err := authz.NewStatic(`{"name": "mtls",
		"allow_rules": [{"name": "spiffe", "source": {"principals": ["spiffe://test.example.com/*"]}}],
		"audit_logging_options": {"audit_condition": "ON_DENY_AND_ALLOW", "audit_loggers": [` + loggerJSON(sinkName, "l") + `]}}`)
	if err != nil {
		t.Fatal(err)
	}
	serverCreds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{keyPair(t, "server")},
		ClientCAs:    certPool(t, "client_ca"),
		ClientAuth:   tls.VerifyClientCertIfGiven,
	})
	withCert := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{keyPair(t, "client")}, RootCAs: certPool(t, "server_ca")})
	ctx := testCtx(t)
	c, stop := serve(t, i, serverCreds, withCert)
	defer stop()
	_, err = c.Unary(ctx, &testpb.Request{})
	wantCode(t, "Unary with the client certificate", err, codes.OK)
	withoutCert := credentials.NewTLS(&tls.Config{RootCAs: certPool(t, "server_ca")})
	c2, stop2 := serve(t, i, serverCreds, withoutCert)
	defer stop2()
	_, err = c2.Unary(ctx, &testpb.Request{})
	wantCode(t, "Unary without a client certificate", err, codes.PermissionDenied)

	want := []record{
		{"l", audit.Event{FullMethodName: "/grpc.e2e.TestService/Unary", Principal: "spiffe://test.example.com/client", PolicyName: "mtls", MatchedRule: "mtls_spiffe", Authorized: true}},
		{"l", audit.Event{FullMethodName: "/grpc.e2e.TestService/Unary", PolicyName: "mtls"}},
	}
	if got := s.take(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events:\n got %+v\nwant %+v", got, want)
	}
}

// TestAuditLoggerResolution checks policy creation against the registry:
// unregistered required loggers and configs the builder refuses are errors,
// unregistered optional loggers are skipped.
func TestAuditLoggerResolution(t *testing.T) {
	defer leakcheck.Check(t)
	sinkName, s := newSink(t)
	for _, tc := range []struct {
		loggers, wantErr string
	}{
		{`[{"name": "authz_test_unregistered"}]`, "no builder registered for authz_test_unregistered"},
		{`[{"name": "authz_test_unregistered", "is_optional": false}]`, "no builder registered for authz_test_unregistered"},
		{`[{"name": "authz_test_unregistered", "is_optional": true}, {"name": "authz_test_other"}]`, "no builder registered for authz_test_other"},
		{`[{"name": "` + testLoggerName + `", "config": {"reject": true}}]`, "custom config could not be parsed by registered factory. error: config rejected"},
		{`[{"name": "` + testLoggerName + `", "config": {"reject": true}, "is_optional": true}]`, "config rejected"},
		{`[{"name": "` + testLoggerName + `", "config": {"id": 1}}]`, "custom config could not be parsed"},
		{`[{"name": "` + testLoggerName + `", "config": "x"}]`, "config must be a JSON object"},
		{`[{"config": {}}]`, "missing required field: name in audit_logging_options.audit_loggers[0]"},
	} {
		p := auditPolicy(`{"audit_condition": "ON_DENY", "audit_loggers": ` + tc.loggers + `}`)
		if _, err := authz.NewStatic(p); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("NewStatic with loggers %s: %v, want error containing %q", tc.loggers, err, tc.wantErr)
		}
	}
	for _, loggers := range []string{
		`[]`,
		`[{"name": "authz_test_unregistered", "is_optional": true}]`,
		`[{"name": "` + testLoggerName + `"}]`,
		`[{"name": "` + testLoggerName + `", "config": null}]`,
		`[{"name": "` + testLoggerName + `", "config": {"sink": "` + sinkName + `", "id": "ok"}, "is_optional": true}]`,
	} {
		p := auditPolicy(`{"audit_condition": "ON_DENY", "audit_loggers": ` + loggers + `}`)
		if _, err := authz.NewStatic(p); err != nil {
			t.Errorf("NewStatic with loggers %s: %v", loggers, err)
		}
	}
	if got := s.built(); len(got) != 1 || got[0] != "ok" {
		t.Errorf("loggers built: %q, want [ok]", got)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(path, []byte(auditPolicy(`{"audit_loggers": [{"name": "authz_test_unregistered"}]}`)), 0o600); err != nil {
		t.Fatal(err)
	}
	if w, err := authz.NewFileWatcher(path, time.Hour); err == nil || !strings.Contains(err.Error(), "no builder registered for authz_test_unregistered") {
		if w != nil {
			w.Close()
		}
		t.Errorf("NewFileWatcher with a required unregistered logger: %v", err)
	}
}

// TestAuditFileWatcherReload checks that a reloaded policy file brings its
// own, newly built, loggers and that the previous ones stop receiving
// events.
func TestAuditFileWatcherReload(t *testing.T) {
	defer leakcheck.Check(t)
	sinkName, s := newSink(t)
	path := filepath.Join(t.TempDir(), "policy.json")
	write := func(policyName, loggerID string) {
		t.Helper()
		p := `{"name": "` + policyName + `",
			"allow_rules": [{"name": "all"}],
			"audit_logging_options": {"audit_condition": "ON_ALLOW", "audit_loggers": [` + loggerJSON(sinkName, loggerID) + `]}}`
		if err := os.WriteFile(path, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("v1", "first")
	updates := make(chan string, 1)
	w, err := authz.NewFileWatcherWithOptions(authz.FileWatcherOptions{
		PolicyFile:      path,
		RefreshDuration: 10 * time.Millisecond,
		OnPolicyUpdate:  func(p string) { updates <- p },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	<-updates // the initial load
	c, stop := serve(t, w, nil, nil)
	defer stop()
	ctx := testCtx(t)

	if _, err := c.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary under the first policy: %v", err)
	}
	want := []record{{"first", audit.Event{FullMethodName: "/grpc.e2e.TestService/Unary", PolicyName: "v1", MatchedRule: "v1_all", Authorized: true}}}
	if got := s.take(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events under the first policy:\n got %+v\nwant %+v", got, want)
	}

	write("v2", "second")
	select {
	case <-updates:
	case <-ctx.Done():
		t.Fatal("the rewritten policy file was not loaded")
	}
	if err := streamingOutput(ctx, c); err != nil {
		t.Fatalf("StreamingOutput under the second policy: %v", err)
	}
	want = []record{{"second", audit.Event{FullMethodName: "/grpc.e2e.TestService/StreamingOutput", PolicyName: "v2", MatchedRule: "v2_all", Authorized: true}}}
	if got := s.take(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events under the second policy:\n got %+v\nwant %+v", got, want)
	}
	if got := s.built(); len(got) != 2 || got[0] != "first" || got[1] != "second" {
		t.Errorf("loggers built: %q, want [first second]", got)
	}
}
