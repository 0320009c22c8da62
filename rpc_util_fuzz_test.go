package grpc

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// fuzzStream is a messageReader over a fixed byte stream: Read(n) returns
// exactly n bytes, io.EOF at a clean end and io.ErrUnexpectedEOF when the
// stream ends inside a read, as the transport streams do.
type fuzzStream struct{ data []byte }

func (r *fuzzStream) Read(n int) (mem.BufferSlice, error) {
	if len(r.data) == 0 {
		return nil, io.EOF
	}
	if len(r.data) < n {
		r.data = nil
		return nil, io.ErrUnexpectedEOF
	}
	b := mem.BufferSlice{mem.SliceBuffer(r.data[:n])}
	r.data = r.data[n:]
	return b, nil
}

// fuzzRawCodec passes []byte through unchanged.
type fuzzRawCodec struct{}

func (fuzzRawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (fuzzRawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (fuzzRawCodec) Name() string { return "fuzzraw" }

var fuzzEncodings = []string{"", "identity", "gzip", "no-such-compressor"}

// FuzzRecvMsg reads messages from arbitrary bytes under every kind of
// grpc-encoding: no panic, nothing over the size limit (before or after
// decompression) and only the statuses a peer's bad input may cause.
func FuzzRecvMsg(f *testing.F) {
	gz := encoding.GetCompressor("gzip")
	var zipped bytes.Buffer
	w, _ := gz.Compress(&zipped)
	w.Write(bytes.Repeat([]byte("bomb"), 1<<12))
	w.Close()
	f.Add(append([]byte{1, 0, 0, 0, byte(zipped.Len())}, zipped.Bytes()...), uint8(2), uint16(100))
	f.Add([]byte{0, 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0, 0}, uint8(0), uint16(10))
	f.Add([]byte{1, 0, 0, 0, 2, 'x', 'y'}, uint8(1), uint16(10))
	f.Add([]byte{2, 0, 0, 0, 0}, uint8(2), uint16(10))
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff}, uint8(0), uint16(0xffff))
	f.Add([]byte{1, 0, 0, 0, 4, 0x1f, 0x8b, 8, 0}, uint8(2), uint16(10))
	f.Fuzz(func(t *testing.T, data []byte, enc uint8, maxRecv uint16) {
		r := &fuzzStream{data: data}
		recvCompress := fuzzEncodings[int(enc)%len(fuzzEncodings)]
		for range 64 {
			body, err := recvMsg(r, recvCompress, int(maxRecv))
			if err == io.EOF {
				return
			}
			if err != nil {
				switch status.Code(err) {
				case codes.Internal, codes.ResourceExhausted, codes.Unimplemented:
				default:
					t.Fatalf("recvMsg: unexpected error %v", err)
				}
				return
			}
			if n := body.Len(); n > int(maxRecv) {
				t.Fatalf("recvMsg returned %d bytes, over the %d limit", n, maxRecv)
			}
			body.Free()
		}
	})
}

// FuzzMessageRoundTrip frames a payload as a sender does, with and without
// gzip, and reads it back: it must come back unchanged, or be refused as
// too large when it is over the receiver's limit.
func FuzzMessageRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), true, uint32(100))
	f.Add([]byte{}, true, uint32(0))
	f.Add(bytes.Repeat([]byte{0}, 5000), true, uint32(100))
	f.Add(bytes.Repeat([]byte{7}, 300), false, uint32(299))
	f.Fuzz(func(t *testing.T, payload []byte, gzip bool, maxRecv uint32) {
		limit := int(maxRecv % (1 << 20))
		var comp encoding.Compressor
		recvCompress := ""
		if gzip {
			comp = encoding.GetCompressor("gzip")
			recvCompress = "gzip"
		}
		hdr, data, err := prepareMsg(fuzzRawCodec{}, comp, payload, 1<<30)
		if err != nil {
			t.Fatalf("prepareMsg: %v", err)
		}
		wire := append(hdr, data.Materialize()...)
		data.Free()

		var got []byte
		err = recvAndDecode(&fuzzStream{data: wire}, fuzzRawCodec{}, recvCompress, limit, &got)
		wireLen := len(wire) - headerLen
		switch {
		case len(payload) > limit || wireLen > limit:
			if status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("%d-byte payload (%d on the wire) with limit %d: got %v, want ResourceExhausted", len(payload), wireLen, limit, err)
			}
		case err != nil:
			t.Fatalf("round trip of %d bytes (gzip %v): %v", len(payload), gzip, err)
		case !bytes.Equal(got, payload) && !(len(got) == 0 && len(payload) == 0):
			t.Fatalf("round trip changed the payload: %q became %q", payload, got)
		}
		// Nothing may follow the message.
		if _, err := recvMsg(&fuzzStream{}, recvCompress, limit); !errors.Is(err, io.EOF) {
			t.Fatalf("empty stream: %v, want io.EOF", err)
		}
	})
}
