package test

//lint:file-ignore SA1019 RPCCompressor is deprecated; the test needs a server that compresses regardless of the client.

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
)

// countingPool is the default pool, counting Gets.
type countingPool struct {
	mem.BufferPool
	gets atomic.Int64
}

func (p *countingPool) Get(n int) *[]byte {
	p.gets.Add(1)
	return p.BufferPool.Get(n)
}

// The transports take their buffers from the pools given by
// experimental.WithBufferPool and experimental.BufferPool.
func TestExperimentalBufferPools(t *testing.T) {
	defer leakcheck.Check(t)
	cpool := &countingPool{BufferPool: mem.DefaultBufferPool()}
	spool := &countingPool{BufferPool: mem.DefaultBufferPool()}
	e := newEnv(t, nil, []grpc.ServerOption{experimental.BufferPool(spool)}, experimental.WithBufferPool(cpool))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(50000), ResponseSize: 50000}); err != nil {
		t.Fatal(err)
	}
	if cpool.gets.Load() == 0 || spool.gets.Load() == 0 {
		t.Fatalf("buffers taken from the client pool: %d, from the server pool: %d; want some from each", cpool.gets.Load(), spool.gets.Load())
	}
}

// experimental.SetDefaultBufferPool changes what mem.DefaultBufferPool
// returns, and so the buffers of clients and servers without a pool.
func TestExperimentalSetDefaultBufferPool(t *testing.T) {
	defer leakcheck.Check(t)
	orig := mem.DefaultBufferPool()
	pool := &countingPool{BufferPool: orig}
	experimental.SetDefaultBufferPool(pool)
	defer experimental.SetDefaultBufferPool(orig)
	if mem.DefaultBufferPool() != mem.BufferPool(pool) {
		t.Fatal("mem.DefaultBufferPool() is not the pool just set")
	}
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(50000), ResponseSize: 50000}); err != nil {
		t.Fatal(err)
	}
	if pool.gets.Load() == 0 {
		t.Fatal("no buffer was taken from the new default pool")
	}
}

// experimental.AcceptCompressors limits grpc-accept-encoding, rejects
// unregistered names, and a response compressed otherwise fails the call.
func TestExperimentalAcceptCompressors(t *testing.T) {
	defer leakcheck.Check(t)
	var gotAccept atomic.Value
	ts := &testServer{unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		gotAccept.Store(strings.Join(md["grpc-accept-encoding"], ","))
		return &testpb.Response{Payload: payload(1000)}, nil
	}}
	e := newEnv(t, ts, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	if _, err := e.client.Unary(ctx, &testpb.Request{}, experimental.AcceptCompressors("counting-gzip", "identity", "counting-gzip")); err != nil {
		t.Fatal(err)
	}
	if got := gotAccept.Load(); got != "counting-gzip" {
		t.Errorf("grpc-accept-encoding = %q, want %q", got, "counting-gzip")
	}

	_, err := e.client.Unary(ctx, &testpb.Request{}, experimental.AcceptCompressors("no-such-compressor"))
	wantCode(t, err, codes.InvalidArgument)

	// Only "identity": the default advertisement (every registered
	// compressor) stays, as in grpc-go.
	if _, err := e.client.Unary(ctx, &testpb.Request{}, experimental.AcceptCompressors("identity")); err != nil {
		t.Fatal(err)
	}
	if got, _ := gotAccept.Load().(string); !strings.Contains(got, "gzip") {
		t.Errorf("grpc-accept-encoding = %q, want the registered compressors", got)
	}

	// A server that compresses every response with gzip (the legacy
	// RPCCompressor ignores what the client advertised): the client
	// rejects it, as grpc-go does.
	legacy := newEnv(t, ts, []grpc.ServerOption{grpc.RPCCompressor(grpc.NewGZIPCompressor())})
	defer legacy.stop()
	_, err = legacy.client.Unary(ctx, &testpb.Request{}, experimental.AcceptCompressors("counting-gzip"))
	st := wantCode(t, err, codes.Internal)
	if want := `grpc: peer compressed the response with "gzip" which is not allowed by AcceptCompressors`; st.Message() != want {
		t.Fatalf("got %q, want %q", st.Message(), want)
	}
}
