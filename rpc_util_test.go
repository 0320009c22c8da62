package grpc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// byteReader is a messageReader over a fixed byte stream with the
// transport's end-of-stream semantics. It records the sizes requested.
type byteReader struct {
	data  []byte
	sizes []int
}

func (r *byteReader) Read(n int) (mem.BufferSlice, error) {
	r.sizes = append(r.sizes, n)
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

func frameMsg(flag byte, payload []byte) []byte {
	out := make([]byte, headerLen, headerLen+len(payload))
	out[0] = flag
	binary.BigEndian.PutUint32(out[1:], uint32(len(payload)))
	return append(out, payload...)
}

func wantRPCStatus(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != code || (msg != "" && st.Message() != msg) {
		t.Fatalf("got error %v, want status %v %q", err, code, msg)
	}
}

func protoCodec(t *testing.T) encoding.CodecV2 {
	t.Helper()
	c, err := getCodec("")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGetCodec(t *testing.T) {
	for _, sub := range []string{"", "proto"} {
		c, err := getCodec(sub)
		if err != nil || c.Name() != "proto" {
			t.Fatalf("getCodec(%q) = %v, %v; want proto codec", sub, c, err)
		}
	}
	_, err := getCodec("nosuchcodec")
	wantRPCStatus(t, err, codes.Internal, "no codec registered for content-subtype nosuchcodec")
}

func TestFramingRoundTrip(t *testing.T) {
	codec := protoCodec(t)
	var wire bytes.Buffer
	msgs := []string{"hello", "", strings.Repeat("x", 3<<20)} // the last spans several reads
	for _, s := range msgs {
		hdr, data, err := prepareMsg(codec, nil, wrapperspb.String(s), defaultServerMaxSendMsgSize)
		if err != nil {
			t.Fatal(err)
		}
		if hdr[0] != compressionNone || int(binary.BigEndian.Uint32(hdr[1:])) != data.Len() {
			t.Fatalf("bad prefix %v for %d bytes", hdr, data.Len())
		}
		wire.Write(hdr)
		wire.Write(data.Materialize())
		data.Free()
	}
	r := &byteReader{data: wire.Bytes()}
	for _, s := range msgs {
		var got wrapperspb.StringValue
		if err := recvAndDecode(r, codec, "", 8<<20, &got); err != nil {
			t.Fatal(err)
		}
		if got.GetValue() != s {
			t.Fatalf("got %d bytes, want %d", len(got.GetValue()), len(s))
		}
	}
	if err := recvAndDecode(r, codec, "", 8<<20, new(wrapperspb.StringValue)); err != io.EOF {
		t.Fatalf("after last message got %v, want io.EOF", err)
	}
	for _, n := range r.sizes {
		if n > recvChunk {
			t.Fatalf("read of %d bytes exceeds the chunk bound", n)
		}
	}
}

func TestPrepareMsgNilIsEmpty(t *testing.T) {
	hdr, data, err := prepareMsg(protoCodec(t), nil, nil, 10)
	if err != nil || data.Len() != 0 || !bytes.Equal(hdr, make([]byte, headerLen)) {
		t.Fatalf("prepareMsg(nil) = %v, %d bytes, %v", hdr, data.Len(), err)
	}
}

func TestSendSizeLimit(t *testing.T) {
	msg := wrapperspb.String(strings.Repeat("a", 100))
	size := proto.Size(msg)
	_, _, err := prepareMsg(protoCodec(t), nil, msg, size-1)
	wantRPCStatus(t, err, codes.ResourceExhausted, "trying to send message larger than max (102 vs. 101)")
	if _, data, err := prepareMsg(protoCodec(t), nil, msg, size); err != nil {
		t.Fatalf("message of exactly the limit: %v", err)
	} else {
		data.Free()
	}
}

func TestRecvSizeLimitBeforeReading(t *testing.T) {
	// A prefix announcing 4 GiB - 1 bytes, with no body behind it.
	r := &byteReader{data: []byte{0, 0xff, 0xff, 0xff, 0xff}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := recvMsg(r, "", defaultServerMaxRecvMsgSize)
	runtime.ReadMemStats(&after)
	wantRPCStatus(t, err, codes.ResourceExhausted, "grpc: received message larger than max (4294967295 vs. 4194304)")
	if len(r.sizes) != 1 || r.sizes[0] != headerLen {
		t.Fatalf("reads = %v, want only the %d-byte prefix", r.sizes, headerLen)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("allocated %d bytes while rejecting the message", grew)
	}

	r = &byteReader{data: frameMsg(0, make([]byte, 11))}
	_, err = recvMsg(r, "", 10)
	wantRPCStatus(t, err, codes.ResourceExhausted, "grpc: received message larger than max (11 vs. 10)")
}

func TestRecvTruncated(t *testing.T) {
	for _, data := range [][]byte{
		{0, 0, 0},                         // truncated prefix
		frameMsg(0, []byte("abcdef"))[:8], // truncated body
	} {
		_, err := recvMsg(&byteReader{data: data}, "", 100)
		wantRPCStatus(t, err, codes.Internal, "unexpected EOF")
	}
}

func TestRecvPassesStreamErrors(t *testing.T) {
	want := status.Error(codes.Canceled, "stream terminated by RST_STREAM with error code: CANCEL")
	_, err := recvMsg(errReader{want}, "", 100)
	if !errors.Is(err, want) && status.Convert(err).Message() != status.Convert(want).Message() {
		t.Fatalf("got %v, want %v", err, want)
	}
}

type errReader struct{ err error }

func (r errReader) Read(int) (mem.BufferSlice, error) { return nil, r.err }

func TestCompressionRoundTrip(t *testing.T) {
	codec := protoCodec(t)
	gz := encoding.GetCompressor("gzip")
	if gz == nil {
		t.Fatal("gzip not registered")
	}
	msg := wrapperspb.String(strings.Repeat("compress me ", 1000))
	hdr, data, err := prepareMsg(codec, gz, msg, defaultServerMaxSendMsgSize)
	if err != nil {
		t.Fatal(err)
	}
	if hdr[0] != compressionMade || data.Len() >= proto.Size(msg) {
		t.Fatalf("flag %d, %d bytes: not compressed", hdr[0], data.Len())
	}
	wire := append(hdr, data.Materialize()...)
	data.Free()

	var got wrapperspb.StringValue
	if err := recvAndDecode(&byteReader{data: wire}, codec, "gzip", 1<<20, &got); err != nil {
		t.Fatal(err)
	}
	if got.GetValue() != msg.GetValue() {
		t.Fatal("round trip changed the message")
	}

	// The decompressed size is limited too, even though the wire size fits.
	_, err = recvMsg(&byteReader{data: wire}, "gzip", proto.Size(msg)-1)
	wantRPCStatus(t, err, codes.ResourceExhausted, fmt.Sprintf("grpc: received message after decompression larger than max %d", proto.Size(msg)-1))
}

func TestRecvBadCompressedFlag(t *testing.T) {
	for _, rc := range []string{"", "identity"} {
		_, err := recvMsg(&byteReader{data: frameMsg(1, []byte("x"))}, rc, 100)
		wantRPCStatus(t, err, codes.Internal, "grpc: compressed flag set with identity or empty encoding")
	}
	_, err := recvMsg(&byteReader{data: frameMsg(1, []byte("x"))}, "snappy", 100)
	wantRPCStatus(t, err, codes.Unimplemented, `grpc: Decompressor is not installed for grpc-encoding "snappy"`)
	_, err = recvMsg(&byteReader{data: frameMsg(7, []byte("x"))}, "", 100)
	wantRPCStatus(t, err, codes.Internal, "grpc: received unexpected payload format 7")
	_, err = recvMsg(&byteReader{data: frameMsg(1, []byte("not gzip"))}, "gzip", 100)
	if status.Code(err) != codes.Internal {
		t.Fatalf("corrupt gzip: got %v, want Internal", err)
	}
}

func TestRecvUnmarshalError(t *testing.T) {
	err := recvAndDecode(&byteReader{data: frameMsg(0, []byte{0xff})}, protoCodec(t), "", 100, new(wrapperspb.StringValue))
	if status.Code(err) != codes.Internal || !strings.HasPrefix(status.Convert(err).Message(), "grpc: failed to unmarshal the received message: ") {
		t.Fatalf("got %v", err)
	}
}

func TestValidateMetadata(t *testing.T) {
	for _, tc := range []struct {
		md metadata.MD
		ok bool
	}{
		{metadata.MD{"good-key_1.x": {"printable value"}}, true},
		{metadata.MD{"bin-bin": {"\x00\xff"}}, true},
		{metadata.MD{":authority": {"x"}}, true},
		{metadata.MD{"": {"x"}}, false},
		{metadata.MD{"Upper": {"x"}}, false},
		{metadata.MD{"key": {"bad\nvalue"}}, false},
	} {
		if err := validateMetadata(tc.md); (err == nil) != tc.ok {
			t.Errorf("validateMetadata(%v) = %v, want ok=%v", tc.md, err, tc.ok)
		}
	}
}

func TestDeprecatedErrorHelpers(t *testing.T) {
	err := Errorf(codes.NotFound, "no %s", "thing")
	if Code(err) != codes.NotFound || ErrorDesc(err) != "no thing" {
		t.Fatalf("Code/ErrorDesc = %v/%q", Code(err), ErrorDesc(err))
	}
	if Errorf(codes.OK, "x") != nil || Code(nil) != codes.OK || ErrorDesc(nil) != "" {
		t.Fatal("OK handling wrong")
	}
	if Code(errors.New("plain")) != codes.Unknown {
		t.Fatal("plain error should be Unknown")
	}
}
