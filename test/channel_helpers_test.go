package test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/resolver"
)

// backend is one of several servers behind a channel. It answers Unary with
// its name, so a test can tell where each RPC went.
type backend struct {
	t      *testing.T
	name   string
	addr   string
	ts     *testServer
	srv    *grpc.Server
	served chan struct{}
	hits   atomic.Int64
	health *health.Server // registered on every backend; all SERVING at start
}

func startBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{t: t, name: name, health: health.NewServer()}
	b.ts = &testServer{unary: func(context.Context, *testpb.Request) (*testpb.Response, error) {
		b.hits.Add(1)
		return &testpb.Response{Payload: &testpb.Payload{Body: []byte(b.name)}}, nil
	}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.addr = lis.Addr().String()
	b.serve(lis)
	return b
}

func (b *backend) serve(lis net.Listener) {
	b.srv = grpc.NewServer()
	testpb.RegisterTestServiceServer(b.srv, b.ts)
	healthpb.RegisterHealthServer(b.srv, b.health)
	b.served = make(chan struct{})
	go func() {
		defer close(b.served)
		b.srv.Serve(lis)
	}()
}

// stop kills the backend: its connections close at once.
func (b *backend) stop() {
	b.srv.Stop()
	<-b.served
}

// restart serves again on the same address.
func (b *backend) restart() {
	b.t.Helper()
	lis, err := net.Listen("tcp", b.addr)
	if err != nil {
		b.t.Fatalf("listen again on %s: %v", b.addr, err)
	}
	b.serve(lis)
}

func (b *backend) address() resolver.Address { return resolver.Address{Addr: b.addr} }

func addrsOf(bs ...*backend) []resolver.Address {
	var out []resolver.Address
	for _, b := range bs {
		out = append(out, b.address())
	}
	return out
}

// dialManual connects through r with the given service config.
func dialManual(t *testing.T, r resolver.Builder, serviceConfig string, opts ...grpc.DialOption) (*grpc.ClientConn, testpb.TestServiceClient) {
	t.Helper()
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(r),
	}, opts...)
	if serviceConfig != "" {
		opts = append(opts, grpc.WithDefaultServiceConfig(serviceConfig))
	}
	cc, err := grpc.NewClient(r.Scheme()+":///test.service", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cc, testpb.NewTestServiceClient(cc)
}

// whoAnswers makes one RPC and returns the name of the backend that served
// it.
func whoAnswers(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) (string, error) {
	resp, err := c.Unary(ctx, &testpb.Request{}, opts...)
	if err != nil {
		return "", err
	}
	return string(resp.GetPayload().GetBody()), nil
}

// waitForBackends makes RPCs until every named backend has answered one;
// the test fails if ctx ends first.
func waitForBackends(ctx context.Context, t *testing.T, c testpb.TestServiceClient, names ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for len(want) > 0 {
		name, err := whoAnswers(ctx, c)
		if ctx.Err() != nil {
			t.Fatalf("backends %v never answered (last error %v)", want, err)
		}
		delete(want, name)
	}
}
