package grpc

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestLegacyGZIPRoundTrip(t *testing.T) {
	if _, err := NewGZIPCompressorWithLevel(gzip.BestCompression + 1); err == nil || err.Error() != "grpc: invalid compression level: 10" {
		t.Fatalf("bad level: %v", err)
	}
	codec := protoCodec(t)
	msg := wrapperspb.String(strings.Repeat("legacy ", 500))
	hdr, data, err := prepareMsg(codec, newLegacyCompressor(NewGZIPCompressor()), msg, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if hdr[0] != compressionMade || data.Len() >= proto.Size(msg) {
		t.Fatalf("not compressed: flag %d, %d bytes", hdr[0], data.Len())
	}
	wire := append(hdr, data.Materialize()...)
	data.Free()

	var got wrapperspb.StringValue
	if err := recvAndDecodeWithDecompressor(&byteReader{data: wire}, codec, "gzip", 1<<20, NewGZIPDecompressor(), &got); err != nil {
		t.Fatal(err)
	}
	if got.GetValue() != msg.GetValue() {
		t.Fatal("round trip changed the message")
	}
	limit := proto.Size(msg) - 1
	_, err = recvMsgWithDecompressor(&byteReader{data: wire}, "gzip", limit, NewGZIPDecompressor())
	wantRPCStatus(t, err, codes.ResourceExhausted, fmt.Sprintf("grpc: message after decompression larger than max (%d vs. %d)", limit+1, limit))
}

// reverseCodec is a legacy compressor known to no registry: it reverses the
// bytes, so only the legacy code path can read what it writes.
type reverseCodec struct{}

func (reverseCodec) Do(w io.Writer, p []byte) error {
	r := slices.Clone(p)
	slices.Reverse(r)
	_, err := w.Write(r)
	return err
}

func (reverseCodec) Type() string { return "reverse" }

type reverseDecompressor struct{}

func (reverseDecompressor) Do(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(r)
	slices.Reverse(b)
	return b, err
}

func (reverseDecompressor) Type() string { return "reverse" }

func TestServerLegacyCompressors(t *testing.T) {
	defer leakcheck.Check(t)
	ts := startEchoServer(t, &echoServer{}, RPCCompressor(reverseCodec{}), RPCDecompressor(reverseDecompressor{}))
	defer ts.stop(t)
	ct := dialRawTransport(t, ts.addr, nil)
	defer ct.Close(errors.New("test done"))
	ctx := srvTestCtx(t)

	res := rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"abc"}, callOpts{compress: "reverse", comp: newLegacyCompressor(reverseCodec{}), dc: reverseDecompressor{}})
	if res.err != nil || res.encoding != "reverse" || !slices.Equal(res.replies, []string{"abc"}) {
		t.Fatalf("%+v (err %v)", res, res.err)
	}
	// Uncompressed requests still get compressed responses.
	res = rawInvoke(ctx, ct, "/grpc.test.Echo/Echo", []string{"xyz"}, callOpts{dc: reverseDecompressor{}})
	if res.err != nil || res.encoding != "reverse" || !slices.Equal(res.replies, []string{"xyz"}) {
		t.Fatalf("%+v (err %v)", res, res.err)
	}
}
