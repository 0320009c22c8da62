package test

//lint:file-ignore SA1019 these tests exercise grpc-go's deprecated API on purpose: a drop-in keeps it working.

import (
	"io"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
)

// countingGzip is gzip under another name, counting its use so that tests
// can see that both directions were compressed.
type countingGzip struct {
	encoding.Compressor
	compressed, decompressed atomic.Int32
}

func (c *countingGzip) Name() string { return "counting-gzip" }

func (c *countingGzip) Compress(w io.Writer) (io.WriteCloser, error) {
	c.compressed.Add(1)
	return c.Compressor.Compress(w)
}

func (c *countingGzip) Decompress(r io.Reader) (io.Reader, error) {
	c.decompressed.Add(1)
	return c.Compressor.Decompress(r)
}

var counting = &countingGzip{}

func init() {
	counting.Compressor = encoding.GetCompressor("gzip")
	encoding.RegisterCompressor(counting)
}

func TestCompressionBothWays(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	c0, d0 := counting.compressed.Load(), counting.decompressed.Load()
	if _, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(5000), ResponseSize: 5000}, grpc.UseCompressor("counting-gzip")); err != nil {
		t.Fatal(err)
	}
	// Client compresses the request, server decompresses it, mirrors the
	// encoding for its response, and the client decompresses that.
	if c, d := counting.compressed.Load()-c0, counting.decompressed.Load()-d0; c != 2 || d != 2 {
		t.Fatalf("compressed %d and decompressed %d messages, want 2 and 2", c, d)
	}
}

func TestLegacyCompressorDialOptions(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil, grpc.WithCompressor(grpc.NewGZIPCompressor()), grpc.WithDecompressor(grpc.NewGZIPDecompressor()))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	resp, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(50000), ResponseSize: 50000})
	if err != nil {
		t.Fatalf("Unary with WithCompressor(gzip): %v", err)
	}
	if len(resp.GetPayload().GetBody()) != 50000 {
		t.Fatalf("got %d bytes", len(resp.GetPayload().GetBody()))
	}
	// UseCompressor takes priority over WithCompressor.
	c0 := counting.compressed.Load()
	if _, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(100)}, grpc.UseCompressor("counting-gzip")); err != nil {
		t.Fatal(err)
	}
	if counting.compressed.Load() == c0 {
		t.Fatal("UseCompressor did not override WithCompressor")
	}
}
