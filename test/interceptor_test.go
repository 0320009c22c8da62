package test

//lint:file-ignore SA1019 these tests exercise grpc-go's deprecated API on purpose: a drop-in keeps it working.

import (
	"context"
	"io"
	"reflect"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
)

// recorder collects the order interceptors run in.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

func unaryRec(r *recorder, name string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		r.add(name + ">")
		err := invoker(ctx, method, req, reply, cc, opts...)
		r.add("<" + name)
		return err
	}
}

func streamRec(r *recorder, name string) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		r.add(name)
		return streamer(ctx, desc, cc, method, opts...)
	}
}

func TestClientInterceptorOrder(t *testing.T) {
	defer leakcheck.Check(t)
	r := &recorder{}
	e := newEnv(t, nil, nil,
		grpc.WithChainUnaryInterceptor(unaryRec(r, "c1"), unaryRec(r, "c2")),
		grpc.WithUnaryInterceptor(unaryRec(r, "single")),
		grpc.WithChainUnaryInterceptor(unaryRec(r, "c3")),
		grpc.WithChainStreamInterceptor(streamRec(r, "s1"), streamRec(r, "s2")),
		grpc.WithStreamInterceptor(streamRec(r, "ssingle")),
	)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"single>", "c1>", "c2>", "c3>", "<c3", "<c2", "<c1", "<single"}
	if got := r.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("unary interceptor order %v, want %v", got, want)
	}

	stream, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv = %v", err)
	}
	if got, want := r.take(), []string{"ssingle", "s1", "s2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("stream interceptor order %v, want %v", got, want)
	}
}

func TestInterceptorSeesDefaultCallOptionsAndCanFail(t *testing.T) {
	defer leakcheck.Check(t)
	var nopts int
	intercept := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		nopts = len(opts)
		if md, _ := metadata.FromOutgoingContext(ctx); len(md.Get("x-reject")) > 0 {
			return grpc.Errorf(codes.PermissionDenied, "rejected by interceptor")
		}
		// Interceptors may add metadata for the server.
		ctx = metadata.AppendToOutgoingContext(ctx, "x-from-interceptor", "yes")
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	e := newEnv(t, nil, nil, grpc.WithUnaryInterceptor(intercept), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<20)))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	var hdr metadata.MD
	if _, err := e.client.Unary(ctx, &testpb.Request{}, grpc.Header(&hdr)); err != nil {
		t.Fatal(err)
	}
	// The default, grpc.StaticMethod() added by the generated code, and Header.
	if nopts != 3 {
		t.Fatalf("interceptor saw %d call options, want 3", nopts)
	}
	if got := hdr.Get("x-from-interceptor"); len(got) != 1 || got[0] != "yes" {
		t.Fatalf("server did not see interceptor metadata: header %v", hdr)
	}
	_, err := e.client.Unary(metadata.AppendToOutgoingContext(ctx, "x-reject", "1"), &testpb.Request{})
	wantCode(t, err, codes.PermissionDenied)
}
