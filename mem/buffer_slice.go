package mem

import (
	"errors"
	"io"
)

// BufferSlice offers a means to represent data that spans one or more Buffer
// instances. A BufferSlice is meant to be immutable after creation, and methods
// like Ref create and return copies of the slice. This is why all methods have
// value receivers rather than pointer receivers.
//
// Note that any of the methods that read the underlying buffers such as Ref,
// Len or CopyTo etc., will panic if any underlying buffers have already been
// freed. It is recommended to not directly interact with any of the underlying
// buffers directly, rather such interactions should be mediated through the
// various methods on this type.
//
// By convention, any APIs that return (mem.BufferSlice, error) should reduce
// the burden on the caller by never returning a mem.BufferSlice that needs to
// be freed if the error is non-nil, unless explicitly stated.
type BufferSlice []Buffer

// Len returns the sum of the length of all the Buffers in this slice.
//
// # Warning
//
// Invoking the built-in len on a BufferSlice will return the number of buffers
// in the slice, and *not* the value returned by this function.
func (s BufferSlice) Len() int {
	n := 0
	for _, b := range s {
		n += b.Len()
	}
	return n
}

// Ref invokes Ref on each buffer in the slice.
func (s BufferSlice) Ref() {
	for _, b := range s {
		b.Ref()
	}
}

// Free invokes Buffer.Free() on each Buffer in the slice.
func (s BufferSlice) Free() {
	for _, b := range s {
		b.Free()
	}
}

// CopyTo copies each of the underlying Buffer's data into the given buffer,
// returning the number of bytes copied. Has the same semantics as the copy
// builtin in that it will copy as many bytes as it can, stopping when either
// dst is full or s runs out of data, returning the minimum of s.Len() and
// len(dst).
func (s BufferSlice) CopyTo(dst []byte) int {
	off := 0
	for _, b := range s {
		off += copy(dst[off:], b.ReadOnlyData())
		if off == len(dst) {
			break
		}
	}
	return off
}

// Materialize concatenates all the underlying Buffer's data into a single
// contiguous buffer using CopyTo.
func (s BufferSlice) Materialize() []byte {
	n := s.Len()
	if n == 0 {
		return nil
	}
	out := make([]byte, n)
	s.CopyTo(out)
	return out
}

// MaterializeToBuffer functions like Materialize except that it writes the
// data to a single Buffer pulled from the given BufferPool.
//
// As a special case, if the input BufferSlice only actually has one Buffer,
// this function simply increases the refcount before returning said Buffer.
// Freeing this buffer won't release it until the BufferSlice is itself
// released.
func (s BufferSlice) MaterializeToBuffer(pool BufferPool) Buffer {
	if len(s) == 1 {
		s[0].Ref()
		return s[0]
	}
	n := s.Len()
	if n == 0 {
		return emptyBuffer{}
	}
	bp := pool.Get(n)
	s.CopyTo(*bp)
	return NewBuffer(bp, pool)
}

// Reader returns a new Reader for the input slice after taking references to
// each underlying buffer.
func (s BufferSlice) Reader() *Reader {
	s.Ref()
	return &Reader{data: s, len: s.Len()}
}

// Reader exposes a BufferSlice's data as an io.Reader, allowing it to
// interface with other systems.
//
// Buffers will be freed as they are read.
//
// A Reader can be constructed from a BufferSlice; alternatively the zero value
// of a Reader may be used after calling Reset on it.
type Reader struct {
	data BufferSlice // unread buffers; data[0] is partly read up to off
	off  int
	len  int // unread bytes in total
}

var errInsufficient = errors.New("insufficient bytes in reader")

// Remaining returns the number of unread bytes remaining in the slice.
func (r *Reader) Remaining() int {
	return r.len
}

// Reset frees the currently held buffer slice and starts reading from the
// provided slice. This allows reusing the reader object.
func (r *Reader) Reset(s BufferSlice) {
	r.data.Free()
	s.Ref()
	r.data, r.off, r.len = s, 0, s.Len()
}

// Close frees the underlying BufferSlice and never returns an error. Subsequent
// calls to Read will return (0, io.EOF).
func (r *Reader) Close() error {
	r.data.Free()
	r.data, r.off, r.len = nil, 0, 0
	return nil
}

// advance consumes n bytes of data[0], freeing it once exhausted.
func (r *Reader) advance(n int) {
	r.off += n
	r.len -= n
	for len(r.data) > 0 && r.off >= r.data[0].Len() {
		r.data[0].Free()
		r.data = r.data[1:]
		r.off = 0
	}
}

// Read implements io.Reader.
func (r *Reader) Read(buf []byte) (n int, _ error) {
	if r.len == 0 {
		return 0, io.EOF
	}
	for len(buf) > 0 && r.len > 0 {
		c := copy(buf, r.data[0].ReadOnlyData()[r.off:])
		buf = buf[c:]
		n += c
		r.advance(c)
	}
	return n, nil
}

// ReadByte reads a single byte.
func (r *Reader) ReadByte() (byte, error) {
	if r.len == 0 {
		return 0, io.EOF
	}
	// advance drops exhausted buffers, so data[0] has a byte at off.
	c := r.data[0].ReadOnlyData()[r.off]
	r.advance(1)
	return c, nil
}

// Discard skips the next n bytes, returning the number of bytes discarded.
//
// It frees buffers as they are fully consumed.
//
// If Discard skips fewer than n bytes, it also returns an error.
func (r *Reader) Discard(n int) (discarded int, err error) {
	for n > 0 && r.len > 0 {
		c := min(n, r.data[0].Len()-r.off)
		r.advance(c)
		n -= c
		discarded += c
	}
	if n > 0 {
		return discarded, errInsufficient
	}
	return discarded, nil
}

// Peek returns the next n bytes without advancing the reader.
//
// Peek appends results to the provided res slice and returns the updated
// slice. This pattern allows re-using the storage of res if it has sufficient
// capacity.
//
// The returned subslices are views into the underlying buffers and are only
// valid until the reader is advanced past the corresponding buffer.
//
// If Peek returns fewer than n bytes, it also returns an error.
func (r *Reader) Peek(n int, res [][]byte) ([][]byte, error) {
	off := r.off
	for i := 0; n > 0 && i < len(r.data); i++ {
		d := r.data[i].ReadOnlyData()[off:]
		off = 0
		if len(d) == 0 {
			continue
		}
		c := min(n, len(d))
		res = append(res, d[:c])
		n -= c
	}
	if n > 0 {
		return nil, errInsufficient
	}
	return res, nil
}

// writer appends a pooled copy of every Write to a BufferSlice.
type writer struct {
	buffers *BufferSlice
	pool    BufferPool
}

func (w *writer) Write(p []byte) (int, error) {
	*w.buffers = append(*w.buffers, Copy(p, w.pool))
	return len(p), nil
}

// NewWriter wraps the given BufferSlice and BufferPool to implement the
// io.Writer interface. Every call to Write copies the contents of the given
// buffer into a new Buffer pulled from the given pool and the Buffer is added
// to the given BufferSlice.
func NewWriter(buffers *BufferSlice, pool BufferPool) io.Writer {
	return &writer{buffers: buffers, pool: pool}
}

// readAllChunk is the size of the buffers ReadAll fills.
const readAllChunk = 32 << 10

// ReadAll reads from r until an error or EOF and returns the data it read.
// A successful call returns err == nil, not err == EOF. Because ReadAll is
// defined to read from src until EOF, it does not treat an EOF from Read as an
// error to be reported.
//
// Important: A failed call returns a non-nil error and may also return
// partially read buffers. It is the responsibility of the caller to free the
// BufferSlice returned, or its memory will not be reused.
func ReadAll(r io.Reader, pool BufferPool) (BufferSlice, error) {
	var out BufferSlice
	if wt, ok := r.(io.WriterTo); ok {
		// Avoid an intermediate copy when r can hand us its data directly.
		_, err := wt.WriteTo(NewWriter(&out, pool))
		return out, err
	}
	for {
		bp := pool.Get(readAllChunk)
		buf := (*bp)[:cap(*bp)]
		used := 0
		for used < len(buf) {
			n, err := r.Read(buf[used:])
			used += n
			if err != nil {
				if used == 0 {
					pool.Put(bp)
				} else {
					*bp = buf[:used]
					out = append(out, NewBuffer(bp, pool))
				}
				if err == io.EOF {
					err = nil
				}
				return out, err
			}
		}
		*bp = buf
		out = append(out, NewBuffer(bp, pool))
	}
}
