package mem

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Buffer is reference-counted, read-only data, made by NewBuffer or Copy.
// Each holder takes a reference with Ref and releases it with Free; when the
// last one is released the memory goes back to its pool. Using a Buffer after
// releasing it panics. A Buffer is not safe for concurrent use: give each
// goroutine its own reference.
type Buffer interface {
	// ReadOnlyData returns the bytes; they must not be modified.
	ReadOnlyData() []byte
	// Ref adds a reference.
	Ref()
	// Free drops a reference, releasing the memory with the last one.
	Free()
	// Len returns the number of bytes.
	Len() int
	// Slice returns a new reference to bytes [start:end), leaving this one
	// unchanged. It panics if the Buffer is freed or the range is invalid.
	Slice(start, end int) Buffer

	split(n int) (left, right Buffer)
	read(dst []byte) (int, Buffer)
}

// poolingThreshold is the size at or below which data is not worth pooling:
// a plain allocation is cheaper than the bookkeeping.
const poolingThreshold = 1 << 10

// IsBelowBufferPoolingThreshold reports whether size is small enough (1KiB
// or less) that allocating directly beats pooling.
func IsBelowBufferPoolingThreshold(size int) bool {
	return size <= poolingThreshold
}

// buffer is a view of pooled memory. Every view has its own reference count;
// views made by Slice or split also hold one reference on the root, which
// owns the memory and returns it to the pool when its count reaches zero.
type buffer struct {
	refs atomic.Int32
	data []byte
	root *buffer // nil once freed; itself for a root

	// Set on roots only.
	orig *[]byte
	pool BufferPool
}

// bufferObjs recycles buffer headers: one is needed per message on the hot
// path.
var bufferObjs = sync.Pool{New: func() any { return new(buffer) }}

// NewBuffer wraps *data, without copying, in a Buffer with one reference;
// when the last reference is freed, data is Put back into pool. With a nil
// pool, or a capacity under the pooling threshold, the result is a plain
// SliceBuffer whose Free does nothing.
func NewBuffer(data *[]byte, pool BufferPool) Buffer {
	// Capacity, not length, decides: a large pooled buffer holding little
	// data must still go back to its pool.
	if pool == nil || IsBelowBufferPoolingThreshold(cap(*data)) {
		return SliceBuffer(*data)
	}
	b := bufferObjs.Get().(*buffer)
	b.data = *data
	b.root = b
	b.orig = data
	b.pool = pool
	b.refs.Store(1)
	return b
}

// Copy returns a Buffer with one reference holding a copy of data in memory
// taken from pool (or a plain SliceBuffer for small data).
func Copy(data []byte, pool BufferPool) Buffer {
	if IsBelowBufferPoolingThreshold(len(data)) {
		b := make(SliceBuffer, len(data))
		copy(b, data)
		return b
	}
	bp := pool.Get(len(data))
	copy(*bp, data)
	return NewBuffer(bp, pool)
}

func (b *buffer) ReadOnlyData() []byte {
	if b.root == nil {
		panic("Cannot read freed buffer")
	}
	return b.data
}

func (b *buffer) Ref() {
	if b.refs.Add(1) <= 1 {
		panic("Cannot ref freed buffer")
	}
}

func (b *buffer) Free() {
	n := b.refs.Add(-1)
	if n < 0 {
		panic("Cannot free freed buffer")
	}
	if n > 0 {
		return
	}
	root := b.root
	b.data = nil
	b.root = nil
	if root == b {
		if b.pool != nil {
			b.pool.Put(b.orig)
		}
		b.orig, b.pool = nil, nil
	} else {
		root.Free()
	}
	bufferObjs.Put(b)
}

func (b *buffer) Len() int {
	return len(b.ReadOnlyData())
}

func (b *buffer) Slice(start, end int) Buffer {
	if b.root == nil {
		panic("Cannot slice freed buffer")
	}
	data := b.data[start:end]
	if len(data) == 0 {
		return emptyBuffer{}
	}
	if len(data) == len(b.data) {
		b.Ref()
		return b
	}
	return b.view(data)
}

// view returns a new reference-counted view of data, which must lie within
// b's memory.
func (b *buffer) view(data []byte) *buffer {
	b.root.Ref()
	v := bufferObjs.Get().(*buffer)
	v.data = data
	v.root = b.root
	v.refs.Store(1)
	return v
}

func (b *buffer) split(n int) (Buffer, Buffer) {
	if b.root == nil {
		panic("Cannot split freed buffer")
	}
	right := b.view(b.data[n:])
	b.data = b.data[:n]
	return b, right
}

func (b *buffer) read(dst []byte) (int, Buffer) {
	if b.root == nil {
		panic("Cannot read freed buffer")
	}
	n := copy(dst, b.data)
	if n == len(b.data) {
		b.Free()
		return n, nil
	}
	b.data = b.data[n:]
	return n, b
}

func (b *buffer) String() string {
	return fmt.Sprintf("mem.Buffer(%p, data: %p, length: %d)", b, b.ReadOnlyData(), len(b.ReadOnlyData()))
}

// ReadUnsafe copies the start of buf into dst and returns the count and the
// unread remainder, or nil once buf is used up (buf is then freed). buf must
// not be used afterwards, only the returned Buffer.
func ReadUnsafe(dst []byte, buf Buffer) (int, Buffer) {
	return buf.read(dst)
}

// SplitUnsafe shrinks buf to its first n bytes, returned as left, and
// returns the rest as right, a new reference to be freed separately.
func SplitUnsafe(buf Buffer, n int) (left, right Buffer) {
	return buf.split(n)
}

// emptyBuffer is the zero-length Buffer; it owns nothing.
type emptyBuffer struct{}

func (emptyBuffer) ReadOnlyData() []byte { return nil }
func (emptyBuffer) Ref()                 {}
func (emptyBuffer) Free()                {}
func (emptyBuffer) Len() int             { return 0 }

func (emptyBuffer) Slice(start, end int) Buffer {
	if start != 0 || end != 0 {
		panic(fmt.Sprintf("slice bounds out of range [%d:%d] with length 0", start, end))
	}
	return emptyBuffer{}
}

func (emptyBuffer) split(int) (Buffer, Buffer) { return emptyBuffer{}, emptyBuffer{} }
func (emptyBuffer) read([]byte) (int, Buffer)  { return 0, nil }

// SliceBuffer is a Buffer over an ordinary slice: nothing is pooled, so Ref
// and Free do nothing.
type SliceBuffer []byte

// ReadOnlyData returns s itself.
func (s SliceBuffer) ReadOnlyData() []byte { return s }

// Ref does nothing.
func (s SliceBuffer) Ref() {}

// Free does nothing.
func (s SliceBuffer) Free() {}

// Len returns len(s).
func (s SliceBuffer) Len() int { return len(s) }

// Slice returns s[start:end], sharing memory.
func (s SliceBuffer) Slice(start, end int) Buffer { return s[start:end] }

func (s SliceBuffer) split(n int) (Buffer, Buffer) { return s[:n], s[n:] }

func (s SliceBuffer) read(dst []byte) (int, Buffer) {
	n := copy(dst, s)
	if n == len(s) {
		return n, nil
	}
	return n, s[n:]
}
