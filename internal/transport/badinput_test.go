package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/status"
)

// rawClient speaks HTTP/2 directly to a ServerTransport.
type rawClient struct {
	c    net.Conn
	fr   *http2.Framer
	hbuf bytes.Buffer
	henc *hpack.Encoder
}

func dialRaw(t testing.TB, addr string) *rawClient {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rc := &rawClient{c: c, fr: http2.NewFramer(c, c)}
	rc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	rc.henc = hpack.NewEncoder(&rc.hbuf)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(http2.ClientPreface))
	rc.fr.WriteSettings()
	return rc
}

func (rc *rawClient) close() { rc.c.Close() }

func fields(kv ...string) []hpack.HeaderField {
	var hf []hpack.HeaderField
	for i := 0; i+1 < len(kv); i += 2 {
		hf = append(hf, hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return hf
}

func validRequest(path string) []hpack.HeaderField {
	return fields(":method", "POST", ":scheme", "http", ":path", path, ":authority", "x",
		"content-type", "application/grpc", "te", "trailers")
}

func (rc *rawClient) headers(id uint32, hf []hpack.HeaderField, end bool) {
	rc.hbuf.Reset()
	for _, f := range hf {
		rc.henc.WriteField(f)
	}
	rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: rc.hbuf.Bytes(), EndHeaders: true, EndStream: end})
}

// waitFor reads frames until pred matches one; it fails on read errors.
func (rc *rawClient) waitFor(t testing.TB, pred func(http2.Frame) bool) http2.Frame {
	t.Helper()
	for {
		f, err := rc.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading frames: %v", err)
		}
		if pred(f) {
			return f
		}
	}
}

// waitGoAway reads until GOAWAY and then expects the connection to close.
func (rc *rawClient) waitGoAway(t testing.TB, code http2.ErrCode) {
	t.Helper()
	ga := rc.waitFor(t, func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok }).(*http2.GoAwayFrame)
	if ga.ErrCode != code {
		t.Fatalf("GOAWAY code %v, want %v (debug %q)", ga.ErrCode, code, ga.DebugData())
	}
	for {
		if _, err := rc.fr.ReadFrame(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("connection not closed after GOAWAY")
			}
			return
		}
	}
}

// pingPong checks the connection still works.
func (rc *rawClient) pingPong(t testing.TB) {
	t.Helper()
	data := [8]byte{1, 2, 3}
	rc.fr.WritePing(false, data)
	rc.waitFor(t, func(f http2.Frame) bool {
		p, ok := f.(*http2.PingFrame)
		return ok && p.IsAck() && p.Data == data
	})
}

// badInputServer runs a server whose handler answers every stream with
// Unimplemented (like the root for an unknown or malformed method).
func badInputServer(t testing.TB) *testServer {
	return startServer(t, ServerOptions{}, func(s *ServerStream) {
		if s.Method() == "" {
			s.WriteStatus(status.New(codes.Unimplemented, "malformed method name: \"\""))
			return
		}
		echoHandler(s)
	})
}

// checkHealthy verifies a well-behaved client still gets service.
func checkHealthy(t *testing.T, srv *testServer) {
	t.Helper()
	ct := dial(t, srv.addr(), ClientOptions{})
	defer ct.Close(nil)
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
	if err != nil {
		t.Fatal(err)
	}
	writeClientMsg(cs, []byte("ok"), true)
	if m, err := readMsg(cs); err != nil || string(m) != "ok" {
		t.Fatalf("healthy client: %q, %v", m, err)
	}
}

func TestBadPreface(t *testing.T) {
	defer leakcheck.Check(t)
	for _, in := range [][]byte{
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		bytes.Repeat([]byte{0xff}, 100),
		[]byte("PRI * HTTP/2.0\r\n"), // truncated, then EOF
	} {
		a, b := net.Pipe()
		errc := make(chan error, 1)
		go func() {
			_, err := NewServerTransport(b, ServerOptions{})
			errc <- err
		}()
		go io.Copy(io.Discard, a)
		a.Write(in)
		a.Close()
		if err := <-errc; err == nil {
			t.Errorf("NewServerTransport accepted preface %q", in)
		}
	}
}

func TestPrefaceThenNonSettings(t *testing.T) {
	defer leakcheck.Check(t)
	a, b := net.Pipe()
	defer a.Close()
	go io.Copy(io.Discard, a)
	errc := make(chan error, 1)
	go func() {
		_, err := NewServerTransport(b, ServerOptions{})
		errc <- err
	}()
	a.Write([]byte(http2.ClientPreface))
	http2.NewFramer(a, nil).WritePing(false, [8]byte{})
	if err := <-errc; err == nil {
		t.Fatal("NewServerTransport accepted a PING instead of SETTINGS")
	}
}

func TestBadFrames(t *testing.T) {
	defer leakcheck.Check(t)
	srv := badInputServer(t)
	defer srv.stop()

	t.Run("garbage after preface", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.c.Write(bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 64))
		rc.waitGoAway(t, http2.ErrCodeFrameSize)
	})
	t.Run("truncated frame then close", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		rc.c.Write([]byte{0, 0, 10, 0, 0, 0, 0, 0, 1, 'a', 'b'})
		rc.close()
	})
	t.Run("HEADERS without :path", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.headers(1, fields(":method", "POST", ":scheme", "http", ":authority", "x", "content-type", "application/grpc"), true)
		h := rc.waitFor(t, func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok }).(*http2.MetaHeadersFrame)
		if got := h.PseudoValue("status"); got != "200" {
			t.Fatalf(":status %q", got)
		}
		if got := headerValue(h, "grpc-status"); got != "12" {
			t.Fatalf("grpc-status %q, want 12", got)
		}
		rc.pingPong(t)
	})
	t.Run("wrong content-type", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.headers(1, fields(":method", "POST", ":scheme", "http", ":path", "/a/b", ":authority", "x", "content-type", "text/plain"), false)
		h := rc.waitFor(t, func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok }).(*http2.MetaHeadersFrame)
		if got := h.PseudoValue("status"); got != "415" {
			t.Fatalf(":status %q, want 415", got)
		}
		if got := headerValue(h, "grpc-status"); got != "3" {
			t.Fatalf("grpc-status %q, want 3", got)
		}
		if !h.StreamEnded() {
			t.Fatal("415 response without END_STREAM")
		}
		rst := rc.waitFor(t, func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok }).(*http2.RSTStreamFrame)
		if rst.ErrCode != http2.ErrCodeNo {
			t.Fatalf("RST code %v", rst.ErrCode)
		}
		rc.pingPong(t)
	})
	t.Run("bad grpc-timeout", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.headers(1, append(validRequest("/a/b"), hpack.HeaderField{Name: "grpc-timeout", Value: "tomorrow"}), true)
		h := rc.waitFor(t, func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok }).(*http2.MetaHeadersFrame)
		if got := headerValue(h, "grpc-status"); got != "13" {
			t.Fatalf("grpc-status %q, want 13", got)
		}
	})
	t.Run("DATA on closed stream", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.headers(1, validRequest("/a/b"), true)
		rc.waitFor(t, func(f http2.Frame) bool {
			h, ok := f.(*http2.MetaHeadersFrame)
			return ok && h.StreamEnded()
		})
		rc.fr.WriteData(1, false, []byte("late data"))
		rc.pingPong(t)
	})
	t.Run("DATA on idle stream", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.fr.WriteData(5, false, []byte("x"))
		rc.waitGoAway(t, http2.ErrCodeProtocol)
	})
	t.Run("HEADERS on even id", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.headers(2, validRequest("/a/b"), true)
		rc.waitGoAway(t, http2.ErrCodeProtocol)
	})
	t.Run("stream window overflow", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.headers(1, validRequest("/a/b"), false)
		chunk := make([]byte, 16384)
		for range 5 { // 80 KiB > 64 KiB window
			rc.fr.WriteData(1, false, chunk)
		}
		// Either the stream is reset or (conn window exceeded) the connection.
		rc.waitFor(t, func(f http2.Frame) bool {
			switch f := f.(type) {
			case *http2.RSTStreamFrame:
				return f.ErrCode == http2.ErrCodeFlowControl
			case *http2.GoAwayFrame:
				return f.ErrCode == http2.ErrCodeFlowControl
			}
			return false
		})
	})
	t.Run("WINDOW_UPDATE overflow", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.fr.WriteWindowUpdate(0, 1<<31-1)
		rc.waitGoAway(t, http2.ErrCodeFlowControl)
	})
	t.Run("CONTINUATION without HEADERS", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.fr.WriteContinuation(1, true, []byte{0x82})
		rc.waitGoAway(t, http2.ErrCodeProtocol)
	})
	t.Run("bad hpack", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff, 0xff}, EndHeaders: true})
		rc.waitGoAway(t, http2.ErrCodeCompression)
	})
	t.Run("too many pings", func(t *testing.T) {
		rc := dialRaw(t, srv.addr())
		defer rc.close()
		for i := range 10 {
			rc.fr.WritePing(false, [8]byte{byte(i)})
		}
		ga := rc.waitFor(t, func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok }).(*http2.GoAwayFrame)
		if ga.ErrCode != http2.ErrCodeEnhanceYourCalm || string(ga.DebugData()) != "too_many_pings" {
			t.Fatalf("GOAWAY %v %q", ga.ErrCode, ga.DebugData())
		}
	})
	checkHealthy(t, srv)
}

func headerValue(h *http2.MetaHeadersFrame, name string) string {
	for _, f := range h.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func TestClientRejectsBadServer(t *testing.T) {
	defer leakcheck.Check(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	go func() {
		c, err := lis.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		pre := make([]byte, len(http2.ClientPreface))
		io.ReadFull(c, pre)
		c.Write(bytes.Repeat([]byte{0xff}, 64))
		io.Copy(io.Discard, c)
	}()
	closed := make(chan error, 1)
	ct := dial(t, lis.Addr().String(), ClientOptions{OnClose: func(err error) { closed <- err }})
	defer ct.Close(nil)
	select {
	case err := <-closed:
		if err == nil {
			t.Fatal("nil close error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("client did not close on garbage from the server")
	}
	_, err = ct.NewStream(context.Background(), &CallHdr{Method: "/a/b"})
	if !IsTransparentRetryable(err) {
		t.Fatalf("NewStream on closed transport: %v", err)
	}
	if errors.Is(err, ErrConnClosing) == false {
		t.Logf("NewStream error: %v", err)
	}
}
