package grpc

import (
	"context"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/base"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	internalbackoff "google.golang.org/grpc/internal/backoff"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

var insecureOpt = WithTransportCredentials(insecure.NewCredentials())

func TestNewClientTargets(t *testing.T) {
	tests := []struct {
		target, canonical, authority string
		dial                         bool // Dial's default scheme
	}{
		{target: "localhost:50051", canonical: "dns:///localhost:50051", authority: "localhost:50051"},
		{target: "dns:///10.0.0.1:8080", canonical: "dns:///10.0.0.1:8080", authority: "10.0.0.1:8080"},
		{target: "dns:///10.0.0.1", canonical: "dns:///10.0.0.1", authority: "10.0.0.1"},
		{target: "dns://8.8.8.8/example.com:42", canonical: "dns://8.8.8.8/example.com:42", authority: "example.com:42"},
		{target: ":8080", canonical: "dns:///:8080", authority: "localhost:8080"},
		{target: "passthrough:///some-name", canonical: "passthrough:///some-name", authority: "some-name"},
		{target: "unix:///tmp/sock", canonical: "unix:///tmp/sock", authority: "localhost"},
		{target: "unix:relative/sock", canonical: "unix:///relative/sock", authority: "localhost"},
		{target: "unix-abstract:name", canonical: "unix-abstract:///name", authority: "localhost"},
		// Unknown schemes are part of the endpoint of the default scheme.
		{target: "foo:///bar:1", dial: true, canonical: "passthrough:///foo:///bar:1", authority: "foo:%2F%2F%2Fbar:1"},
		{target: "localhost:50051", dial: true, canonical: "passthrough:///localhost:50051", authority: "localhost:50051"},
		{target: "[::1]:50051", dial: true, canonical: "passthrough:///[::1]:50051", authority: "[::1]:50051"},
	}
	for _, tc := range tests {
		opts := []DialOption{insecureOpt}
		if tc.dial {
			opts = append(opts, withDefaultScheme("passthrough"))
		}
		cc, err := NewClient(tc.target, opts...)
		if err != nil {
			t.Errorf("NewClient(%q): %v", tc.target, err)
			continue
		}
		if got := cc.CanonicalTarget(); got != tc.canonical {
			t.Errorf("NewClient(%q).CanonicalTarget() = %q, want %q", tc.target, got, tc.canonical)
		}
		if cc.Target() != tc.target {
			t.Errorf("Target() = %q, want %q", cc.Target(), tc.target)
		}
		if cc.authority != tc.authority {
			t.Errorf("NewClient(%q) authority = %q, want %q", tc.target, cc.authority, tc.authority)
		}
		if s := cc.GetState(); s != connectivity.Idle {
			t.Errorf("new ClientConn state %v, want IDLE", s)
		}
		cc.Close()
	}
}

func TestDialBadTargets(t *testing.T) {
	// As in grpc-go, NewClient accepts these and the resolver refuses them
	// when it is built: Dial reports that, and so would the first RPC. An
	// unknown scheme becomes part of a dns endpoint, which is invalid.
	for _, target := range []string{"unix://host/path", "dns:///", "dns:///host:", "zookeeper://zk:9900/svc"} {
		cc, err := NewClient(target, insecureOpt)
		if err != nil {
			t.Errorf("NewClient(%q): %v", target, err)
			continue
		}
		err = cc.Invoke(context.Background(), "/s/m", nil, nil)
		cc.Close()
		if err == nil {
			t.Errorf("RPC on %q succeeded, want error", target)
		}
		// Dial's default scheme is passthrough, which takes anything.
		if strings.HasPrefix(target, "zookeeper") {
			continue
		}
		if cc, err := Dial(target, insecureOpt); err == nil {
			cc.Close()
			t.Errorf("Dial(%q) succeeded, want error", target)
		}
	}
}

type testPerRPCCreds struct {
	secure bool
	md     map[string]string
}

func (c testPerRPCCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return c.md, nil
}
func (c testPerRPCCreds) RequireTransportSecurity() bool { return c.secure }

type testBundle struct {
	creds credentials.TransportCredentials
}

func (b testBundle) TransportCredentials() credentials.TransportCredentials { return b.creds }
func (b testBundle) PerRPCCredentials() credentials.PerRPCCredentials       { return nil }
func (b testBundle) NewWithMode(string) (credentials.Bundle, error)         { return b, nil }

func TestNewClientCredentialErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []DialOption
		want string
	}{
		{"no creds", nil, "grpc: no transport security set (use grpc.WithTransportCredentials(insecure.NewCredentials()) explicitly or set credentials)"},
		{"creds and bundle", []DialOption{insecureOpt, WithCredentialsBundle(testBundle{insecure.NewCredentials()})}, "grpc: credentials.Bundle may not be used with individual TransportCredentials"},
		{"empty bundle", []DialOption{WithCredentialsBundle(testBundle{})}, "grpc: credentials.Bundle must return non-nil transport credentials"},
		{"secure per-RPC creds over insecure", []DialOption{insecureOpt, WithPerRPCCredentials(testPerRPCCreds{secure: true})}, "grpc: the credentials require transport level security (use grpc.WithTransportCredentials() to set)"},
	}
	for _, tc := range tests {
		cc, err := NewClient("localhost:1", tc.opts...)
		if err == nil {
			cc.Close()
			t.Errorf("%s: NewClient succeeded", tc.name)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%s: error %q, want %q", tc.name, err, tc.want)
		}
	}
	// Insecure via a bundle or the deprecated option is fine.
	for _, o := range []DialOption{WithInsecure(), WithCredentialsBundle(testBundle{insecure.NewCredentials()})} {
		cc, err := NewClient("localhost:1", o)
		if err != nil {
			t.Errorf("NewClient: %v", err)
			continue
		}
		cc.Close()
	}
}

func TestWithAuthority(t *testing.T) {
	cc, err := NewClient("localhost:1", insecureOpt, WithAuthority("example.com"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if cc.authority != "example.com" {
		t.Fatalf("authority %q, want example.com", cc.authority)
	}
	if ua := cc.transportOptions().UserAgent; ua != "grpc-go/"+Version {
		t.Fatalf("default user-agent %q", ua)
	}
}

func TestDialOptionDefaults(t *testing.T) {
	o := defaultDialOptions()
	if o.minConnectTimeout != 20*time.Second {
		t.Errorf("min connect timeout %v, want 20s", o.minConnectTimeout)
	}
	exp, ok := o.backoff.(internalbackoff.Exponential)
	if !ok || exp.Config != backoff.DefaultConfig {
		t.Errorf("backoff %#v, want the default exponential", o.backoff)
	}
	if backoff.DefaultConfig.BaseDelay != time.Second || backoff.DefaultConfig.Multiplier != 1.6 ||
		backoff.DefaultConfig.Jitter != 0.2 || backoff.DefaultConfig.MaxDelay != 120*time.Second {
		t.Errorf("backoff.DefaultConfig = %+v", backoff.DefaultConfig)
	}

	WithBackoffMaxDelay(5 * time.Second).apply(&o)
	if exp := o.backoff.(internalbackoff.Exponential); exp.Config.MaxDelay != 5*time.Second || exp.Config.BaseDelay != time.Second {
		t.Errorf("WithBackoffMaxDelay config %+v", exp.Config)
	}
	WithConnectParams(ConnectParams{Backoff: backoff.Config{BaseDelay: time.Millisecond}, MinConnectTimeout: time.Second}).apply(&o)
	if o.minConnectTimeout != time.Second || o.backoff.(internalbackoff.Exponential).Config.BaseDelay != time.Millisecond {
		t.Errorf("WithConnectParams not applied: %v %+v", o.minConnectTimeout, o.backoff)
	}

	var ka dialOptions
	WithKeepaliveParams(keepalive.ClientParameters{Time: time.Second}).apply(&ka)
	if ka.keepalive.Time != 10*time.Second {
		t.Errorf("keepalive time %v, want raised to 10s", ka.keepalive.Time)
	}

	w := dialOptions{}
	WithUserAgent("app/1").apply(&w)
	WithInitialWindowSize(1000).apply(&w)
	WithInitialConnWindowSize(1 << 20).apply(&w)
	WithWriteBufferSize(0).apply(&w)
	WithReadBufferSize(4096).apply(&w)
	WithMaxHeaderListSize(1234).apply(&w)
	cc := &ClientConn{dopts: w}
	to := cc.transportOptions()
	if to.UserAgent != "app/1 grpc-go/"+Version {
		t.Errorf("user-agent %q", to.UserAgent)
	}
	if to.InitialWindowSize != 0 || to.InitialConnWindowSize != 1<<20 {
		t.Errorf("windows %d/%d, want 0 (below 64K ignored) and 1MiB", to.InitialWindowSize, to.InitialConnWindowSize)
	}
	if to.WriteBufferSize != -1 || to.ReadBufferSize != 4096 {
		t.Errorf("buffers %d/%d", to.WriteBufferSize, to.ReadBufferSize)
	}
	if to.MaxHeaderListSize == nil || *to.MaxHeaderListSize != 1234 {
		t.Errorf("max header list size %v", to.MaxHeaderListSize)
	}
}

func TestCallOptionsApply(t *testing.T) {
	ci := defaultCallInfo()
	if !ci.failFast || ci.maxRecvSize != 4<<20 || ci.maxSendSize != 1<<31-1 {
		t.Fatalf("defaults %+v", ci)
	}
	for _, o := range []CallOption{WaitForReady(true), MaxCallRecvMsgSize(10), MaxCallSendMsgSize(20), UseCompressor("gzip"), CallContentSubtype("PROTO"), EmptyCallOption{}, StaticMethod()} {
		if err := o.configure(ci); err != nil {
			t.Fatal(err)
		}
	}
	if ci.failFast || ci.maxRecvSize != 10 || ci.maxSendSize != 20 || ci.compressorName != "gzip" || ci.contentSubtype != "proto" {
		t.Fatalf("after options %+v", ci)
	}
	if err := ci.setCodec(); err != nil || ci.codec == nil {
		t.Fatalf("setCodec: %v", err)
	}
	bad := defaultCallInfo()
	CallContentSubtype("nope").configure(bad)
	if err := bad.setCodec(); status.Code(err) != codes.Internal {
		t.Fatalf("unknown subtype: %v, want Internal", err)
	}
	if FailFast(false).(FailFastCallOption).FailFast {
		t.Fatal("FailFast(false) fails fast")
	}
}

func TestInterceptorChainOrder(t *testing.T) {
	var order []string
	mk := func(name string) UnaryClientInterceptor {
		return func(ctx context.Context, method string, req, reply any, cc *ClientConn, invoker UnaryInvoker, opts ...CallOption) error {
			order = append(order, name)
			return invoker(ctx, method, req, reply, cc, opts...)
		}
	}
	o := dialOptions{}
	WithChainUnaryInterceptor(mk("a"), mk("b")).apply(&o)
	WithUnaryInterceptor(mk("first")).apply(&o)
	chainUnaryClientInterceptors(&o)
	final := func(context.Context, string, any, any, *ClientConn, ...CallOption) error {
		order = append(order, "invoker")
		return nil
	}
	o.unaryInt(context.Background(), "/s/m", nil, nil, nil, final)
	if got := strings.Join(order, ","); got != "first,a,b,invoker" {
		t.Fatalf("order %s", got)
	}
}

func TestPickerErrors(t *testing.T) {
	cc, err := NewClient("passthrough:///unused", insecureOpt)
	if err != nil {
		t.Fatal(err)
	}
	// Publish a failing picker without building a resolver or policy.
	cc.mu.Lock()
	cc.inIdle = false
	cc.mu.Unlock()
	cc.updatePicker(balancer.State{
		ConnectivityState: connectivity.TransientFailure,
		Picker:            base.NewErrPicker(connectionError{desc: "transport: Error while dialing: boom"}),
	})
	if s := cc.GetState(); s != connectivity.TransientFailure {
		t.Fatalf("state %v, want TRANSIENT_FAILURE", s)
	}
	_, _, err = cc.pick(context.Background(), true, "/s/m")
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable || st.Message() != `connection error: desc = "transport: Error while dialing: boom"` {
		t.Fatalf("fail-fast pick: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err = cc.pick(ctx, false, "/s/m")
	if st, _ := status.FromError(err); st.Code() != codes.DeadlineExceeded || !strings.Contains(st.Message(), "latest balancer error: ") || !strings.Contains(st.Message(), "boom") {
		t.Fatalf("wait-for-ready pick: %v", err)
	}
	// A status from the picker ends even a wait-for-ready RPC, except for
	// codes the control plane may not produce.
	cc.updatePicker(balancer.State{ConnectivityState: connectivity.Ready, Picker: base.NewErrPicker(status.Error(codes.ResourceExhausted, "dropped"))})
	if _, _, err = cc.pick(context.Background(), false, "/s/m"); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("dropping pick: %v", err)
	}
	cc.updatePicker(balancer.State{ConnectivityState: connectivity.Ready, Picker: base.NewErrPicker(status.Error(codes.NotFound, "nope"))})
	if _, _, err = cc.pick(context.Background(), false, "/s/m"); status.Code(err) != codes.Internal {
		t.Fatalf("pick with a restricted code: %v", err)
	}
	cc.Close()
	if _, _, err := cc.pick(context.Background(), true, "/s/m"); err != ErrClientConnClosing {
		t.Fatalf("pick after Close: %v", err)
	}
}

func TestTooManyPingsDoublesKeepaliveTime(t *testing.T) {
	cc, err := NewClient("passthrough:///unused", insecureOpt, WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	for _, want := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		if got := cc.keepaliveParams().Time; got != want {
			t.Fatalf("keepalive Time %v, want %v", got, want)
		}
		cc.backOffKeepalive()
	}
	// Without keepalive there is nothing to back off.
	cc2, err := NewClient("passthrough:///unused", insecureOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer cc2.Close()
	before := cc2.keepaliveParams().Time
	cc2.backOffKeepalive()
	if got := cc2.keepaliveParams().Time; got != before {
		t.Fatalf("keepalive Time changed from %v to %v without keepalive", before, got)
	}
}
