package mem

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// A Buffer represents a reference counted piece of data (in bytes) that can be
// acquired by a call to NewBuffer() or Copy(). A reference to a Buffer may be
// released by calling Free(), which invokes the free function given at
// creation only after all references are released.
//
// Note that a Buffer is not safe for concurrent access and instead each
// goroutine should use its own reference to the data, which can be acquired
// via a call to Ref().
//
// Attempts to access the underlying data after releasing the reference to the
// Buffer will panic.
type Buffer interface {
	// ReadOnlyData returns the underlying byte slice. Note that it is undefined
	// behavior to modify the contents of this slice in any way.
	ReadOnlyData() []byte
	// Ref increases the reference counter for this Buffer.
	Ref()
	// Free decrements this Buffer's reference counter and frees the underlying
	// byte slice if the counter reaches 0 as a result of this call.
	Free()
	// Len returns the Buffer's size.
	Len() int
	// Slice returns a new Buffer that is a view into this buffer's data
	// from [start:end). The buffer is not modified. Panics if the buffer
	// has been freed or if start/end are out of bounds.
	Slice(start, end int) Buffer

	split(n int) (left, right Buffer)
	read(dst []byte) (int, Buffer)
}

// poolingThreshold is the size at or below which data is not worth pooling:
// a plain allocation is cheaper than the bookkeeping.
const poolingThreshold = 1 << 10

// IsBelowBufferPoolingThreshold returns true if the given size is less than or
// equal to the threshold for buffer pooling. This is used to determine whether
// to pool buffers or allocate them directly.
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

// NewBuffer creates a new Buffer from the given data, initializing the reference
// counter to 1. The data will then be returned to the given pool when all
// references to the returned Buffer are released. As a special case to avoid
// additional allocations, if the given buffer pool is nil, the returned buffer
// will be a "no-op" Buffer where invoking Buffer.Free() does nothing and the
// underlying data is never freed.
//
// Note that the backing array of the given data is not copied.
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

// Copy creates a new Buffer from the given data, initializing the reference
// counter to 1.
//
// It acquires a []byte from the given pool and copies over the backing array
// of the given data. The []byte acquired from the pool is returned to the
// pool when all references to the returned Buffer are released.
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

// ReadUnsafe reads bytes from the given Buffer into the provided slice.
// It does not perform safety checks.
func ReadUnsafe(dst []byte, buf Buffer) (int, Buffer) {
	return buf.read(dst)
}

// SplitUnsafe modifies the receiver to point to the first n bytes while it
// returns a new reference to the remaining bytes. The returned Buffer
// functions just like a normal reference acquired using Ref().
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

// SliceBuffer is a Buffer implementation that wraps a byte slice. It provides
// methods for reading, splitting, and managing the byte slice.
type SliceBuffer []byte

// ReadOnlyData returns the byte slice.
func (s SliceBuffer) ReadOnlyData() []byte { return s }

// Ref is a noop implementation of Ref.
func (s SliceBuffer) Ref() {}

// Free is a noop implementation of Free.
func (s SliceBuffer) Free() {}

// Len is a noop implementation of Len.
func (s SliceBuffer) Len() int { return len(s) }

// Slice returns a new SliceBuffer that is a view into the receiver from
// [start:end).
func (s SliceBuffer) Slice(start, end int) Buffer { return s[start:end] }

func (s SliceBuffer) split(n int) (Buffer, Buffer) { return s[:n], s[n:] }

func (s SliceBuffer) read(dst []byte) (int, Buffer) {
	n := copy(dst, s)
	if n == len(s) {
		return n, nil
	}
	return n, s[n:]
}
