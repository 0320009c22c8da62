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

// FuzzClientTransport feeds arbitrary server bytes (after the server's
// SETTINGS) to a ClientTransport with two open streams.
func FuzzClientTransport(f *testing.F) {
	var buf, hb bytes.Buffer
	fr := http2.NewFramer(&buf, nil)
	enc := hpack.NewEncoder(&hb)
	enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	enc.WriteField(hpack.HeaderField{Name: "content-type", Value: "application/grpc"})
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	fr.WriteData(1, false, []byte{0, 0, 0, 0, 1, 'x'})
	fr.WriteRSTStream(3, http2.ErrCodeRefusedStream)
	fr.WriteGoAway(1, http2.ErrCodeNo, []byte("bye"))
	f.Add(buf.Bytes())
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := net.Pipe()
		go io.Copy(io.Discard, a)
		ct, err := NewClientTransport(b, ClientOptions{Authority: "x"})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		s1, err1 := ct.NewStream(ctx, &CallHdr{Method: "/a/b"})
		s2, err2 := ct.NewStream(ctx, &CallHdr{Method: "/a/b"})
		go func() {
			http2.NewFramer(a, nil).WriteSettings()
			a.Write(data)
			a.Close()
		}()
		select {
		case <-ct.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("client transport not closed after the connection closed")
		}
		for i, s := range []*ClientStream{s1, s2} {
			if []error{err1, err2}[i] != nil {
				continue
			}
			<-s.Done()
			s.Header()
			s.Read(1)
			if s.Status() == nil {
				t.Fatal("finished stream without status")
			}
		}
	})
}
