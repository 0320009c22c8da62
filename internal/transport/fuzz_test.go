package transport

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// seedFrames returns a plausible request (HEADERS + DATA + PING ...) used to
// seed the fuzzer with structurally valid input.
func seedFrames() []byte {
	var buf, hb bytes.Buffer
	fr := http2.NewFramer(&buf, nil)
	enc := hpack.NewEncoder(&hb)
	for _, f := range validRequest("/svc/M") {
		enc.WriteField(f)
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	fr.WriteData(1, true, []byte{0, 0, 0, 0, 2, 'h', 'i'})
	fr.WritePing(false, [8]byte{1})
	fr.WriteWindowUpdate(0, 100)
	fr.WriteRSTStream(1, http2.ErrCodeCancel)
	return buf.Bytes()
}

func FuzzServerTransport(f *testing.F) {
	f.Add(seedFrames())
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 4, 1, 0, 0, 0, 0})             // SETTINGS ack
	f.Add([]byte{0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0}) // zero WINDOW_UPDATE
	f.Add([]byte{0, 0, 1, 9, 4, 0, 0, 0, 1, 0x82})       // stray CONTINUATION
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := net.Pipe()
		go io.Copy(io.Discard, a)
		stc := make(chan *ServerTransport, 1)
		go func() {
			st, _ := NewServerTransport(b, ServerOptions{MaxConcurrentStreams: 4})
			stc <- st
		}()
		a.Write([]byte(http2.ClientPreface))
		http2.NewFramer(a, nil).WriteSettings()
		st := <-stc
		if st == nil {
			t.Fatal("valid preface rejected")
		}
		var wg sync.WaitGroup
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			st.HandleStreams(context.Background(), func(s *ServerStream) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.Read(7)
					s.WriteStatus(status.New(codes.OK, ""))
				}()
			})
		}()
		a.Write(data)
		a.Close()
		select {
		case <-returned:
		case <-time.After(10 * time.Second):
			t.Fatal("HandleStreams did not return after the connection closed")
		}
		wg.Wait()
	})
}
