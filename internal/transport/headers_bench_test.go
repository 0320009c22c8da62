package transport

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
)

// loopReader replays b forever.
type loopReader struct {
	b   []byte
	off int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}

func benchRequestFields() []hpack.HeaderField {
	return []hpack.HeaderField{
		{Name: ":method", Value: "POST"},
		{Name: ":scheme", Value: "http"},
		{Name: ":path", Value: "/grpc.testing.TestService/UnaryCall"},
		{Name: ":authority", Value: "localhost:50051"},
		{Name: "content-type", Value: "application/grpc"},
		{Name: "user-agent", Value: "grpc-go/1.85.0"},
		{Name: "te", Value: "trailers"},
		{Name: "grpc-timeout", Value: "999859u"},
		{Name: "x-user", Value: "alice"},
	}
}

func BenchmarkHeaderDecode(b *testing.B) {
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range benchRequestFields() {
		enc.WriteField(f)
	}
	var frame bytes.Buffer
	http2.NewFramer(&frame, nil).WriteHeaders(http2.HeadersFrameParam{
		StreamID: 1, BlockFragment: block.Bytes(), EndHeaders: true,
	})
	br := newBufReader(&loopReader{b: frame.Bytes()}, defaultBufSize, mem.DefaultBufferPool())
	fr := http2.NewFramer(nil, br)
	fr.SetMaxReadFrameSize(maxFrameLen)
	var hr headerReader
	hr.init(fr, br, defaultMaxHeaderListSize, mem.DefaultBufferPool())
	b.ReportAllocs()
	for b.Loop() {
		fh, err := fr.ReadFrameHeader()
		if err != nil {
			b.Fatal(err)
		}
		hb, err := hr.read(fh)
		if err != nil || len(hb.Fields) != 9 {
			b.Fatal(err)
		}
		hr.release()
	}
}

func BenchmarkParseRequest(b *testing.B) {
	fields := benchRequestFields()
	b.ReportAllocs()
	for b.Loop() {
		var r request
		parseRequest(fields, &r)
	}
}

func BenchmarkHeaderEncode(b *testing.B) {
	var w writer
	w.init(nopConn{}, defaultBufSize, mem.DefaultBufferPool())
	t := &ClientTransport{opts: ClientOptions{Authority: "localhost:50051", UserAgent: "grpc-go/1.85.0"}, scheme: "http"}
	h := &CallHdr{Method: "/grpc.testing.TestService/UnaryCall", Metadata: metadata.Pairs("x-user", "alice")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var arr [16]hpack.HeaderField
		hf := t.requestFields(ctx, h, arr[:0])
		w.mu.Lock()
		w.headers(1, hf, false)
		w.bw.Flush()
		w.mu.Unlock()
	}
}

// nopConn is a net.Conn that discards writes.
type nopConn struct{ net.Conn }

func (nopConn) Write(p []byte) (int, error) { return len(p), nil }
func (nopConn) Read([]byte) (int, error)    { return 0, io.EOF }
