package mem

import (
	"bytes"
	"io"
	"testing"
)

// FuzzReader splits data into buffers at the given cut points and checks
// that Reader's operations agree with a plain bytes.Reader.
func FuzzReader(f *testing.F) {
	f.Add([]byte("hello world"), []byte{3, 0, 5}, []byte{1, 2, 3, 4})
	f.Add(bytes.Repeat([]byte{9}, 3000), []byte{200, 100}, []byte{0, 7, 255})
	f.Fuzz(func(t *testing.T, data, cuts, ops []byte) {
		pool := DefaultBufferPool()
		var s BufferSlice
		rest := data
		for _, c := range cuts {
			n := min(int(c)*8, len(rest))
			s = append(s, Copy(rest[:n], pool))
			rest = rest[n:]
		}
		s = append(s, Copy(rest, pool))
		if !bytes.Equal(s.Materialize(), data) && len(data) > 0 {
			t.Fatal("Materialize mismatch")
		}
		r := s.Reader()
		s.Free()
		defer r.Close()
		want := bytes.NewReader(data)
		for _, op := range ops {
			n := int(op >> 2)
			switch op & 3 {
			case 0:
				c, err := r.ReadByte()
				wc, werr := want.ReadByte()
				if c != wc || (err == nil) != (werr == nil) {
					t.Fatalf("ReadByte = %q,%v want %q,%v", c, err, wc, werr)
				}
			case 1:
				got := make([]byte, n)
				exp := make([]byte, n)
				gn, _ := io.ReadFull(r, got)
				wn, _ := io.ReadFull(want, exp)
				if gn != wn || !bytes.Equal(got[:gn], exp[:wn]) {
					t.Fatalf("Read(%d) = %d, want %d", n, gn, wn)
				}
			case 2:
				peek, err := r.Peek(n, nil)
				if n <= want.Len() {
					exp := make([]byte, n)
					want.ReadAt(exp, want.Size()-int64(want.Len()))
					if err != nil || !bytes.Equal(bytes.Join(peek, nil), exp) {
						t.Fatalf("Peek(%d) mismatch: %v", n, err)
					}
				} else if err == nil {
					t.Fatalf("Peek(%d) past end succeeded", n)
				}
			case 3:
				d, _ := r.Discard(n)
				wd := min(n, want.Len())
				want.Seek(int64(wd), io.SeekCurrent)
				if d != wd {
					t.Fatalf("Discard(%d) = %d, want %d", n, d, wd)
				}
			}
			if r.Remaining() != want.Len() {
				t.Fatalf("Remaining = %d, want %d", r.Remaining(), want.Len())
			}
		}
	})
}
