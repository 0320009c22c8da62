// Package gzip provides the gzip compressor, registered as "gzip" when the
// package is imported.
//
// This package is experimental.
package gzip

import (
	"compress/gzip"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc/encoding"
)

// Name is the grpc-encoding of the gzip compressor.
const Name = "gzip"

// compressor pools gzip writers and readers: each holds tens of KiB of
// state, too much to allocate per message.
type compressor struct {
	writers *sync.Pool
	readers sync.Pool
}

var registered = &compressor{}

func init() {
	registered.writers = writerPool(gzip.DefaultCompression)
	encoding.RegisterCompressor(registered)
}

func writerPool(level int) *sync.Pool {
	p := &sync.Pool{}
	p.New = func() any {
		// level has been validated, so this cannot fail.
		w, _ := gzip.NewWriterLevel(io.Discard, level)
		return &writer{Writer: w, pool: p}
	}
	return p
}

// SetLevel sets the compression level of the registered gzip compressor,
// from gzip.DefaultCompression (-1) to gzip.BestCompression (9);
// gzip.HuffmanOnly is rejected. Call only from init functions: it is not
// synchronised with compression in progress.
func SetLevel(level int) error {
	if level < gzip.DefaultCompression || level > gzip.BestCompression {
		return fmt.Errorf("grpc: invalid gzip compression level: %d", level)
	}
	// A fresh pool drops writers built with the previous level.
	registered.writers = writerPool(level)
	return nil
}

type writer struct {
	*gzip.Writer
	pool *sync.Pool
}

// Close flushes the gzip stream and returns the writer to its pool.
func (w *writer) Close() error {
	defer w.pool.Put(w)
	return w.Writer.Close()
}

func (c *compressor) Compress(w io.Writer) (io.WriteCloser, error) {
	z := c.writers.Get().(*writer)
	z.Writer.Reset(w)
	return z, nil
}

type reader struct {
	*gzip.Reader
	pool   *sync.Pool
	closed bool
}

// Close returns the reader to its pool; gzip.Reader.Close does not close the
// source, which is what we want.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Reader.Close()
	r.pool.Put(r)
	return err
}

func (c *compressor) Decompress(r io.Reader) (io.Reader, error) {
	if z, ok := c.readers.Get().(*reader); ok {
		if err := z.Reset(r); err != nil {
			c.readers.Put(z)
			return nil, err
		}
		z.closed = false
		return z, nil
	}
	z, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	return &reader{Reader: z, pool: &c.readers}, nil
}

func (c *compressor) Name() string { return Name }
