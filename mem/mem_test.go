package mem

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// countingPool records Puts so tests can see when memory is returned.
type countingPool struct {
	BufferPool
	puts int
}

func (p *countingPool) Put(b *[]byte) {
	p.puts++
	p.BufferPool.Put(b)
}

func newCounting() *countingPool { return &countingPool{BufferPool: NopBufferPool{}} }

func bigData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestSmallDataIsNotPooled(t *testing.T) {
	p := newCounting()
	b := Copy([]byte("small"), p)
	if _, ok := b.(SliceBuffer); !ok {
		t.Fatalf("Copy of small data = %T, want SliceBuffer", b)
	}
	b.Free()
	b.Free() // no-op for unpooled data
	if p.puts != 0 {
		t.Fatal("small buffer returned to pool")
	}
	data := []byte("x")
	if _, ok := NewBuffer(&data, nil).(SliceBuffer); !ok {
		t.Fatal("NewBuffer with nil pool should not be refcounted")
	}
	if !IsBelowBufferPoolingThreshold(1024) || IsBelowBufferPoolingThreshold(1025) {
		t.Fatal("threshold is not 1 KiB")
	}
}

func TestRefCounting(t *testing.T) {
	p := newCounting()
	data := bigData(4096)
	b := Copy(data, p)
	if !bytes.Equal(b.ReadOnlyData(), data) || b.Len() != 4096 {
		t.Fatal("Copy content mismatch")
	}
	b.Ref()
	s := b.Slice(10, 20)
	if !bytes.Equal(s.ReadOnlyData(), data[10:20]) {
		t.Fatal("Slice content mismatch")
	}
	b.Free()
	b.Free()
	if p.puts != 0 {
		t.Fatal("freed while a slice is still alive")
	}
	s.Free()
	if p.puts != 1 {
		t.Fatalf("puts = %d after last reference, want 1", p.puts)
	}
}

func TestFreedBufferPanics(t *testing.T) {
	for name, f := range map[string]func(Buffer){
		"Free":         func(b Buffer) { b.Free() },
		"Ref":          func(b Buffer) { b.Ref() },
		"ReadOnlyData": func(b Buffer) { b.ReadOnlyData() },
		"Slice":        func(b Buffer) { b.Slice(0, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			b := Copy(bigData(2000), NopBufferPool{})
			b.Free()
			defer func() {
				if recover() == nil {
					t.Fatal("no panic on freed buffer")
				}
			}()
			f(b)
		})
	}
}

func TestSliceEdgeCases(t *testing.T) {
	b := Copy(bigData(2000), newCounting())
	defer b.Free()
	if e := b.Slice(5, 5); e.Len() != 0 {
		t.Fatal("empty slice has data")
	}
	whole := b.Slice(0, 2000)
	whole.Free()
	if b.Len() != 2000 {
		t.Fatal("whole-slice Free released the original")
	}
	var sb Buffer = SliceBuffer("abcdef")
	if got := string(sb.Slice(1, 3).ReadOnlyData()); got != "bc" {
		t.Fatalf("SliceBuffer.Slice = %q", got)
	}
}

func TestSplitAndReadUnsafe(t *testing.T) {
	p := newCounting()
	data := bigData(3000)
	b := Copy(data, p)
	left, right := SplitUnsafe(b, 1000)
	if !bytes.Equal(left.ReadOnlyData(), data[:1000]) || !bytes.Equal(right.ReadOnlyData(), data[1000:]) {
		t.Fatal("split content mismatch")
	}
	dst := make([]byte, 500)
	n, rest := ReadUnsafe(dst, right)
	if n != 500 || !bytes.Equal(dst, data[1000:1500]) || rest.Len() != 1500 {
		t.Fatalf("ReadUnsafe: n=%d", n)
	}
	n, rest = ReadUnsafe(make([]byte, 5000), rest)
	if n != 1500 || rest != nil {
		t.Fatalf("ReadUnsafe to end: n=%d rest=%v", n, rest)
	}
	left.Free()
	if p.puts != 1 {
		t.Fatalf("puts = %d, want 1", p.puts)
	}
	l2, r2 := SplitUnsafe(SliceBuffer("abc"), 1)
	if string(l2.ReadOnlyData()) != "a" || string(r2.ReadOnlyData()) != "bc" {
		t.Fatal("SliceBuffer split")
	}
}

func TestBufferSlice(t *testing.T) {
	p := newCounting()
	big := bigData(5000)
	s := BufferSlice{SliceBuffer("ab"), Copy(big, p), SliceBuffer("cd")}
	if s.Len() != 5004 {
		t.Fatalf("Len = %d", s.Len())
	}
	want := append(append([]byte("ab"), big...), "cd"...)
	if !bytes.Equal(s.Materialize(), want) {
		t.Fatal("Materialize mismatch")
	}
	dst := make([]byte, 10)
	if n := s.CopyTo(dst); n != 10 || !bytes.Equal(dst, want[:10]) {
		t.Fatalf("CopyTo = %d", n)
	}
	m := s.MaterializeToBuffer(p)
	if !bytes.Equal(m.ReadOnlyData(), want) {
		t.Fatal("MaterializeToBuffer mismatch")
	}
	m.Free()
	s.Free()
	if p.puts != 2 {
		t.Fatalf("puts = %d, want 2", p.puts)
	}
	if BufferSlice(nil).Materialize() != nil || BufferSlice(nil).MaterializeToBuffer(p).Len() != 0 {
		t.Fatal("empty slice")
	}
	one := BufferSlice{Copy(big, p)}
	m = one.MaterializeToBuffer(p)
	one.Free()
	if !bytes.Equal(m.ReadOnlyData(), big) {
		t.Fatal("single-buffer MaterializeToBuffer should share the buffer")
	}
	m.Free()
}

func TestReader(t *testing.T) {
	p := newCounting()
	big := bigData(3000)
	s := BufferSlice{SliceBuffer("hello "), Copy(big, p), SliceBuffer("!")}
	want := append(append([]byte("hello "), big...), '!')
	r := s.Reader()
	s.Free() // the reader holds its own references
	if r.Remaining() != len(want) {
		t.Fatalf("Remaining = %d", r.Remaining())
	}
	c, err := r.ReadByte()
	if err != nil || c != 'h' {
		t.Fatalf("ReadByte = %q, %v", c, err)
	}
	peek, err := r.Peek(7, nil)
	if err != nil || !bytes.Equal(bytes.Join(peek, nil), want[1:8]) {
		t.Fatalf("Peek = %q, %v", peek, err)
	}
	if _, err := r.Peek(1<<20, nil); err == nil {
		t.Fatal("Peek past end: want error")
	}
	if n, err := r.Discard(5); n != 5 || err != nil {
		t.Fatalf("Discard = %d, %v", n, err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, want[6:]) {
		t.Fatalf("ReadAll mismatch: %v", err)
	}
	if p.puts != 1 {
		t.Fatalf("puts = %d: reader did not free consumed buffers", p.puts)
	}
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read at end = %d, %v", n, err)
	}
	if n, err := r.Discard(3); n != 0 || err == nil {
		t.Fatalf("Discard at end = %d, %v", n, err)
	}
	r.Reset(BufferSlice{SliceBuffer("xy")})
	if b, _ := io.ReadAll(r); string(b) != "xy" {
		t.Fatal("Reset")
	}
	r.Close()
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatal("ReadByte after Close")
	}
}

func TestReaderEmptyBuffers(t *testing.T) {
	s := BufferSlice{SliceBuffer{}, SliceBuffer("a"), SliceBuffer{}, SliceBuffer{}, SliceBuffer("b"), SliceBuffer{}}
	r := s.Reader()
	for _, want := range []byte("ab") {
		if c, err := r.ReadByte(); c != want || err != nil {
			t.Fatalf("ReadByte = %q, %v; want %q", c, err, want)
		}
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("ReadByte at end: %v", err)
	}
	r.Reset(BufferSlice{SliceBuffer{}, SliceBuffer("z")})
	if c, _ := r.ReadByte(); c != 'z' {
		t.Fatal("Reset with leading empty buffer")
	}
}

func TestReaderReleasesOnClose(t *testing.T) {
	p := newCounting()
	s := BufferSlice{Copy(bigData(2000), p)}
	r := s.Reader()
	s.Free()
	r.Close()
	if p.puts != 1 {
		t.Fatal("Close did not free")
	}
}

func TestWriterAndReadAll(t *testing.T) {
	var s BufferSlice
	w := NewWriter(&s, DefaultBufferPool())
	w.Write([]byte("abc"))
	w.Write(bigData(2000))
	if len(s) != 2 || s.Len() != 2003 {
		t.Fatalf("writer produced %d buffers, %d bytes", len(s), s.Len())
	}
	s.Free()

	data := bigData(100_000)
	for name, r := range map[string]io.Reader{
		"plain":    iotest.OneByteReader(bytes.NewReader(data)),
		"halves":   iotest.HalfReader(bytes.NewReader(data)),
		"writerTo": bytes.NewBuffer(data),
	} {
		got, err := ReadAll(r, DefaultBufferPool())
		if err != nil || !bytes.Equal(got.Materialize(), data) {
			t.Errorf("%s: ReadAll mismatch, err=%v", name, err)
		}
		got.Free()
	}
	got, err := ReadAll(strings.NewReader(""), DefaultBufferPool())
	if err != nil || got.Len() != 0 {
		t.Fatal("empty ReadAll")
	}
	boom := errors.New("boom")
	got, err = ReadAll(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), DefaultBufferPool())
	if err != boom || string(got.Materialize()) != "abc" {
		t.Fatalf("error ReadAll = %q, %v", got.Materialize(), err)
	}
	got.Free()
}

func TestPools(t *testing.T) {
	binary, err := NewBinaryTieredBufferPool(14, 8, 12, 12)
	if err != nil {
		t.Fatal(err)
	}
	pools := map[string]BufferPool{
		"default": DefaultBufferPool(),
		"tiered":  NewTieredBufferPool(256, 4096, 16384),
		"binary":  binary,
		"nop":     NopBufferPool{},
	}
	for name, p := range pools {
		for _, n := range []int{0, 1, 255, 256, 257, 4096, 5000, 16384, 16385, 2 << 20} {
			b := p.Get(n)
			if len(*b) != n {
				t.Fatalf("%s: Get(%d) len %d", name, n, len(*b))
			}
			for i := range *b {
				(*b)[i] = 0xAA
			}
			p.Put(b)
			b = p.Get(n)
			for _, c := range *b {
				if c != 0 {
					t.Fatalf("%s: Get(%d) returned dirty memory", name, n)
				}
			}
			p.Put(b)
		}
	}
	if _, err := NewBinaryTieredBufferPool(200); err == nil {
		t.Fatal("huge exponent: want error")
	}
	empty, _ := NewBinaryTieredBufferPool()
	b := empty.Get(10)
	empty.Put(b)
	NewTieredBufferPool().Put(b)
}

func BenchmarkCopyFree(b *testing.B) {
	data := bigData(16 << 10)
	p := DefaultBufferPool()
	for b.Loop() {
		Copy(data, p).Free()
	}
}

// Get always hands out zeroed memory, as make does, even when it reuses a
// buffer someone wrote to; GetUninitialized (for callers that overwrite
// everything) hands out the right length without the zeroing guarantee.
func TestDefaultPoolZeroing(t *testing.T) {
	pool := DefaultBufferPool()
	for _, n := range []int{100, 16 << 10, 2 << 20} {
		for range 3 { // sync.Pool may drop a buffer; try to get one back
			bp := pool.Get(n)
			for i := range *bp {
				(*bp)[i] = 0xff
			}
			pool.Put(bp)
			got := pool.Get(n)
			if len(*got) != n {
				t.Fatalf("Get(%d) returned %d bytes", n, len(*got))
			}
			for i, b := range *got {
				if b != 0 {
					t.Fatalf("Get(%d) reused a buffer without zeroing it (byte %d is %#x)", n, i, b)
				}
			}
			pool.Put(got)
		}
		u, ok := pool.(interface{ GetUninitialized(int) *[]byte })
		if !ok {
			t.Fatal("the default pool has no GetUninitialized")
		}
		bp := u.GetUninitialized(n)
		if len(*bp) != n {
			t.Fatalf("GetUninitialized(%d) returned %d bytes", n, len(*bp))
		}
		pool.Put(bp)
	}
}
