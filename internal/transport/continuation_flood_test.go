package transport

import (
	"bytes"
	"errors"
	"net"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/internal/leakcheck"
)

// TestContinuationFloodCutsConnection sends a header block that never ends
// (HEADERS without END_HEADERS, then CONTINUATION frames far past the
// header list limit), the attack of CVE-2023-45288. The server must drop the
// connection while the flood is still being sent, and keep serving others.
func TestContinuationFloodCutsConnection(t *testing.T) {
	defer leakcheck.Check(t)
	limit := uint32(16 << 10)
	srv := startServer(t, ServerOptions{MaxHeaderListSize: &limit}, echoHandler)
	defer srv.stop()

	rc := dialRaw(t, srv.addr())
	defer rc.close()

	// One 8 KiB literal field, encoded once; repeating a complete HPACK
	// representation keeps every fragment decodable.
	var blk bytes.Buffer
	enc := hpack.NewEncoder(&blk)
	enc.WriteField(hpack.HeaderField{Name: "x-flood", Value: string(bytes.Repeat([]byte{'a'}, 8<<10))})
	chunk := bytes.Repeat(blk.Bytes(), 2) // ~16 KiB, within the default max frame size

	const frames = 1000 // ~16 MiB in all, 1000x the limit
	sent := make(chan int, 1)
	go func() {
		n := 0
		if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: encodeFields(t, validRequest("/svc/Echo"))}); err == nil {
			for ; n < frames; n++ {
				if rc.fr.WriteContinuation(1, false, chunk) != nil {
					break
				}
			}
		}
		sent <- n
	}()

	// Read until the server ends the connection: a GOAWAY, EOF or reset.
	for {
		f, err := rc.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("server kept the connection open during a CONTINUATION flood")
			}
			break // EOF or reset: cut
		}
		if _, ok := f.(*http2.GoAwayFrame); ok {
			break
		}
	}
	rc.close()
	if n := <-sent; n == frames {
		t.Errorf("all %d CONTINUATION frames were accepted before the connection was cut", frames)
	}
	checkHealthy(t, srv)
}

// encodeFields HPACK-encodes hf with a fresh encoder.
func encodeFields(t *testing.T, hf []hpack.HeaderField) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	for _, f := range hf {
		if err := enc.WriteField(f); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}
