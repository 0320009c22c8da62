package grpc

import (
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// replayReader serves the same framed message over and over.
type replayReader struct {
	msg []byte
	off int
}

func (r *replayReader) Read(n int) (mem.BufferSlice, error) {
	b := make([]byte, n)
	for i := 0; i < n; {
		k := copy(b[i:], r.msg[r.off:])
		i += k
		r.off = (r.off + k) % len(r.msg)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func benchMsg(size int) *wrapperspb.BytesValue {
	return wrapperspb.Bytes(make([]byte, size))
}

func benchPrepare(b *testing.B, size int) {
	codec, _ := getCodec("")
	msg := benchMsg(size)
	var hdr [headerLen]byte
	b.ReportAllocs()
	for b.Loop() {
		h, data, err := prepareMsgTo(hdr[:], codec, nil, msg, maxInt)
		if err != nil || len(h) != headerLen {
			b.Fatal(err)
		}
		data.Free()
	}
}

func BenchmarkPrepareMsg16B(b *testing.B)   { benchPrepare(b, 16) }
func BenchmarkPrepareMsg1KiB(b *testing.B)  { benchPrepare(b, 1024) }
func BenchmarkPrepareMsg64KiB(b *testing.B) { benchPrepare(b, 64<<10) }

func benchRecv(b *testing.B, size int) {
	codec, _ := getCodec("")
	hdr, data, err := prepareMsg(codec, nil, benchMsg(size), maxInt)
	if err != nil {
		b.Fatal(err)
	}
	r := &replayReader{msg: append(hdr, data.Materialize()...)}
	out := &wrapperspb.BytesValue{}
	b.ReportAllocs()
	for b.Loop() {
		if err := recvAndDecode(r, codec, "", maxInt, out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecvMsg16B(b *testing.B)  { benchRecv(b, 16) }
func BenchmarkRecvMsg1KiB(b *testing.B) { benchRecv(b, 1024) }
