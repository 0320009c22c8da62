package grpc

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// Compressor compresses whole messages (the original compression API).
//
// Deprecated: use package encoding.
type Compressor interface {
	// Do compresses p and writes the result to w.
	Do(w io.Writer, p []byte) error
	// Type is the grpc-encoding name of the compression.
	Type() string
}

// Decompressor decompresses whole messages (the original compression API).
//
// Deprecated: use package encoding.
type Decompressor interface {
	// Do reads compressed data from r and returns it decompressed.
	Do(r io.Reader) ([]byte, error)
	// Type is the grpc-encoding name of the compression.
	Type() string
}

type gzipCompressor struct {
	pool sync.Pool // *gzip.Writer at the configured level
}

// NewGZIPCompressor returns a gzip Compressor at the default level.
//
// Deprecated: use package encoding/gzip.
func NewGZIPCompressor() Compressor {
	c, _ := NewGZIPCompressorWithLevel(gzip.DefaultCompression)
	return c
}

// NewGZIPCompressorWithLevel returns a gzip Compressor at level, which must
// be gzip.DefaultCompression or between gzip.NoCompression and
// gzip.BestCompression.
//
// Deprecated: use package encoding/gzip.
func NewGZIPCompressorWithLevel(level int) (Compressor, error) {
	if level < gzip.DefaultCompression || level > gzip.BestCompression {
		return nil, fmt.Errorf("grpc: invalid compression level: %d", level)
	}
	c := &gzipCompressor{}
	c.pool.New = func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, level) // level was checked above
		return w
	}
	return c, nil
}

func (c *gzipCompressor) Do(w io.Writer, p []byte) error {
	z := c.pool.Get().(*gzip.Writer)
	defer c.pool.Put(z)
	z.Reset(w)
	if _, err := z.Write(p); err != nil {
		return err
	}
	return z.Close()
}

func (c *gzipCompressor) Type() string { return "gzip" }

type gzipDecompressor struct{}

// NewGZIPDecompressor returns a gzip Decompressor.
//
// Deprecated: use package encoding/gzip.
func NewGZIPDecompressor() Decompressor {
	return gzipDecompressor{}
}

func (d gzipDecompressor) Do(r io.Reader) ([]byte, error) {
	return d.doMax(r, math.MaxInt64)
}

// doMax stops inflating one byte past limit, so the caller's size check
// fires before a compression bomb expands in memory.
func (gzipDecompressor) doMax(r io.Reader, limit int64) ([]byte, error) {
	z, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	var src io.Reader = z
	if limit < math.MaxInt64 {
		src = io.LimitReader(z, limit+1)
	}
	return io.ReadAll(src)
}

func (gzipDecompressor) Type() string { return "gzip" }

// legacyCompressor adapts a Compressor to encoding.Compressor so prepareMsg
// can use it. Only compression is supported.
type legacyCompressor struct{ cp Compressor }

// newLegacyCompressor adapts cp for prepareMsg (RPCCompressor, WithCompressor).
func newLegacyCompressor(cp Compressor) encoding.Compressor {
	return legacyCompressor{cp: cp}
}

func (l legacyCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
	return &legacyWriter{cp: l.cp, dst: w}, nil
}

func (l legacyCompressor) Decompress(io.Reader) (io.Reader, error) {
	return nil, fmt.Errorf("grpc: legacy compressor %q cannot decompress", l.cp.Type())
}

func (l legacyCompressor) Name() string { return l.cp.Type() }

// legacyWriter collects the message, since the old API compresses it whole.
type legacyWriter struct {
	cp  Compressor
	dst io.Writer
	buf bytes.Buffer
}

func (w *legacyWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *legacyWriter) Close() error { return w.cp.Do(w.dst, w.buf.Bytes()) }

// recvMsgWithDecompressor is recvMsg for callers that also have a legacy
// Decompressor (RPCDecompressor, WithDecompressor): when dc's type matches
// recvCompress it is used instead of the encoding registry. dc may be nil.
func recvMsgWithDecompressor(r messageReader, recvCompress string, maxRecv int, dc Decompressor) (mem.BufferSlice, error) {
	if dc == nil || dc.Type() != recvCompress {
		return recvMsg(r, recvCompress, maxRecv)
	}
	// Read the body as if uncompressed (same prefix and size checks), then
	// inflate it with dc.
	body, flag, err := recvRaw(r, recvCompress, maxRecv, true)
	if err != nil || flag == compressionNone {
		return body, err
	}
	defer body.Free()
	src := body.Reader()
	defer src.Close()
	var out []byte
	if gz, ok := dc.(gzipDecompressor); ok {
		out, err = gz.doMax(src, int64(maxRecv))
	} else {
		out, err = dc.Do(src)
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "grpc: failed to decompress the received message: %v", err)
	}
	if len(out) > maxRecv {
		return nil, status.Errorf(codes.ResourceExhausted, "grpc: message after decompression larger than max (%d vs. %d)", len(out), maxRecv)
	}
	return mem.BufferSlice{mem.SliceBuffer(out)}, nil
}
