package test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// mdServer reports the request metadata the handler saw.
func mdServer(got chan<- metadata.MD) *testServer {
	return &testServer{unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		got <- md
		return respond(ctx, req)
	}}
}

func TestUserAgentAndAuthority(t *testing.T) {
	defer leakcheck.Check(t)
	got := make(chan metadata.MD, 1)
	e := newEnv(t, mdServer(got), nil, grpc.WithUserAgent("e2e-app/2.0"), grpc.WithAuthority("svc.example.com"))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatal(err)
	}
	md := <-got
	if ua := md.Get("user-agent"); len(ua) != 1 || ua[0] != "e2e-app/2.0 grpc-go/"+grpc.Version {
		t.Errorf("user-agent %q", ua)
	}
	if a := md.Get(":authority"); len(a) != 1 || a[0] != "svc.example.com" {
		t.Errorf(":authority %q", a)
	}
	// CallAuthority overrides it per call (insecure credentials allow any).
	if _, err := e.client.Unary(ctx, &testpb.Request{}, grpc.CallAuthority("call.example.com")); err != nil {
		t.Fatal(err)
	}
	if a := (<-got).Get(":authority"); len(a) != 1 || a[0] != "call.example.com" {
		t.Errorf("CallAuthority: :authority %q", a)
	}
}

type tokenCreds struct {
	key, value string
	secure     bool
	fail       error
	gotURI     chan string
}

func (c *tokenCreds) GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error) {
	if c.fail != nil {
		return nil, c.fail
	}
	if ri, ok := credentials.RequestInfoFromContext(ctx); !ok || ri.Method == "" {
		return nil, errors.New("no RequestInfo in context")
	}
	if c.gotURI != nil {
		c.gotURI <- uri[0]
	}
	return map[string]string{c.key: c.value}, nil
}

func (c *tokenCreds) RequireTransportSecurity() bool { return c.secure }

func TestPerRPCCredentials(t *testing.T) {
	defer leakcheck.Check(t)
	got := make(chan metadata.MD, 10)
	uris := make(chan string, 10)
	e := newEnv(t, mdServer(got), nil, grpc.WithPerRPCCredentials(&tokenCreds{key: "Authorization", value: "Bearer dial", gotURI: uris}))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatal(err)
	}
	if a := (<-got).Get("authorization"); len(a) != 1 || a[0] != "Bearer dial" {
		t.Errorf("authorization %q, want [Bearer dial]", a)
	}
	if uri, want := <-uris, "https://"+e.addr+"/grpc.e2e.TestService"; uri != want {
		t.Errorf("audience %q, want %q", uri, want)
	}

	// Call credentials add to the dial ones.
	if _, err := e.client.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(&tokenCreds{key: "x-call", value: "yes"})); err != nil {
		t.Fatal(err)
	}
	md := <-got
	if len(md.Get("x-call")) != 1 || len(md.Get("authorization")) != 1 {
		t.Errorf("metadata %v lacks call or dial credentials", md)
	}

	// Call credentials that need security are refused on an insecure
	// connection.
	_, err := e.client.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(&tokenCreds{key: "k", value: "v", secure: true}))
	st := wantCode(t, err, codes.Unauthenticated)
	if st.Message() != "transport: cannot send secure credentials on an insecure connection" {
		t.Errorf("message %q", st.Message())
	}
	// A failing credential fails the RPC with Unauthenticated.
	_, err = e.client.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(&tokenCreds{fail: errors.New("no token")}))
	wantCode(t, err, codes.Unauthenticated)
	// ... unless it returned a status with a permitted code.
	_, err = e.client.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(&tokenCreds{fail: status.Error(codes.Unavailable, "later")}))
	wantCode(t, err, codes.Unavailable)
}

func TestUnixSocketTargets(t *testing.T) {
	defer leakcheck.Check(t)
	path := filepath.Join(t.TempDir(), "grpc.sock")
	lis, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	srv, _, served := serveOn(t, lis, nil)
	defer func() { srv.Stop(); <-served }()
	ctx, cancel := testCtx(t)
	defer cancel()

	for _, target := range []string{"unix://" + path, "unix:" + path} {
		cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatalf("NewClient(%q): %v", target, err)
		}
		if _, err := testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{}); err != nil {
			t.Errorf("Unary via %q: %v", target, err)
		}
		cc.Close()
	}
}

func TestResetConnectBackoff(t *testing.T) {
	defer leakcheck.Check(t)
	addr := closedPort(t)
	// A long backoff: only ResetConnectBackoff can make the client retry in
	// time.
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: time.Second, Backoff: backoff.Config{BaseDelay: time.Hour, Multiplier: 1.6, MaxDelay: time.Hour}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	cc.Connect()
	waitForState(ctx, t, cc, connectivity.TransientFailure)

	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot re-listen on %s: %v", addr, err)
	}
	srv, _, served := serveOn(t, lis, nil)
	defer func() { srv.Stop(); <-served }()
	cc.ResetConnectBackoff()
	waitForState(ctx, t, cc, connectivity.Ready)
}

func TestContentSubtypeAndForceCodec(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	if _, err := e.client.Unary(ctx, &testpb.Request{}, grpc.CallContentSubtype("proto")); err != nil {
		t.Fatalf("content-subtype proto: %v", err)
	}
	_, err := e.client.Unary(ctx, &testpb.Request{}, grpc.CallContentSubtype("no-such-codec"))
	wantCode(t, err, codes.Internal)
}
