package mem

import (
	"errors"
	"io"
)

// BufferSlice is data made of several Buffers in order, e.g. one message
// spread over several frames. It is treated as immutable, hence the value
// receivers. Methods that read the data panic if a Buffer has been freed.
//
// By convention, a function returning (BufferSlice, error) returns nothing
// that needs freeing when the error is non-nil, unless documented otherwise.
type BufferSlice []Buffer

// Len returns the total number of bytes. (The built-in len gives the number
// of Buffers instead.)
func (s BufferSlice) Len() int {
	n := 0
	for _, b := range s {
		n += b.Len()
	}
	return n
}

// Ref adds a reference to every Buffer.
func (s BufferSlice) Ref() {
	for _, b := range s {
		b.Ref()
	}
}

// Free drops a reference from every Buffer.
func (s BufferSlice) Free() {
	for _, b := range s {
		b.Free()
	}
}

// CopyTo copies the data into dst like the copy built-in, returning
// min(s.Len(), len(dst)).
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

// Materialize returns the data as one newly allocated slice.
func (s BufferSlice) Materialize() []byte {
	n := s.Len()
	if n == 0 {
		return nil
	}
	out := make([]byte, n)
	s.CopyTo(out)
	return out
}

// MaterializeToBuffer returns the data as one Buffer from pool, which the
// caller must Free. When s holds a single Buffer, that Buffer is returned
// with an extra reference instead of being copied.
func (s BufferSlice) MaterializeToBuffer(pool BufferPool) Buffer {
	if len(s) == 1 {
		s[0].Ref()
		return s[0]
	}
	n := s.Len()
	if n == 0 {
		return emptyBuffer{}
	}
	bp := getForOverwrite(pool, n)
	s.CopyTo(*bp)
	return NewBuffer(bp, pool)
}

// Reader returns a Reader over s holding its own references, so s may be
// freed independently.
func (s BufferSlice) Reader() *Reader {
	s.Ref()
	r := &Reader{data: s, len: s.Len()}
	r.advance(0) // drop leading empty buffers so data[0] always has a byte
	return r
}

// Reader reads a BufferSlice as an io.Reader, freeing each Buffer once it
// has been read. Make one with BufferSlice.Reader, or Reset a zero Reader.
type Reader struct {
	data BufferSlice // unread buffers; data[0] is partly read up to off
	off  int
	len  int // unread bytes in total
}

var errInsufficient = errors.New("insufficient bytes in reader")

// Remaining returns the number of unread bytes.
func (r *Reader) Remaining() int {
	return r.len
}

// Reset frees what is left unread and starts reading s, taking references
// to it.
func (r *Reader) Reset(s BufferSlice) {
	r.data.Free()
	s.Ref()
	r.data, r.off, r.len = s, 0, s.Len()
	r.advance(0)
}

// Close frees what is left unread; later reads return io.EOF. It always
// returns nil.
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

// Read implements io.Reader; it returns io.EOF only when nothing is left.
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

// ReadByte implements io.ByteReader.
func (r *Reader) ReadByte() (byte, error) {
	if r.len == 0 {
		return 0, io.EOF
	}
	// advance drops exhausted buffers, so data[0] has a byte at off.
	c := r.data[0].ReadOnlyData()[r.off]
	r.advance(1)
	return c, nil
}

// Discard skips up to n bytes and returns how many it skipped, with an
// error if that is fewer than n.
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

// Peek appends to res views of the next n bytes, without consuming them,
// and returns the extended res. The views are valid until the reader moves
// past them. It fails if fewer than n bytes remain.
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

// NewWriter returns an io.Writer that appends a pooled copy of each write to
// *buffers.
func NewWriter(buffers *BufferSlice, pool BufferPool) io.Writer {
	return &writer{buffers: buffers, pool: pool}
}

// readAllChunk is the size of the buffers ReadAll fills.
const readAllChunk = 32 << 10

// ReadAll reads r to EOF into pooled buffers, like io.ReadAll: reaching EOF
// is success (nil error). Unlike the usual convention, when reading fails the
// data read so far is returned with the error, and the caller must free it.
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
