package test

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
)

// rawConn speaks HTTP/2 to the server by hand, to send what a real client
// never would.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
	hbuf bytes.Buffer
	henc *hpack.Encoder
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// Whatever the server does, the test must not hang.
	c.SetDeadline(time.Now().Add(testTimeout))
	rc := &rawConn{t: t, conn: c, fr: http2.NewFramer(c, c)}
	rc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	rc.henc = hpack.NewEncoder(&rc.hbuf)
	return rc
}

// start sends the client preface and SETTINGS.
func (c *rawConn) start() {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(http2.ClientPreface)); err != nil {
		c.t.Fatal(err)
	}
	if err := c.fr.WriteSettings(); err != nil {
		c.t.Fatal(err)
	}
}

// headers sends a HEADERS frame with the given fields, in order.
func (c *rawConn) headers(id uint32, end bool, kv ...string) {
	c.t.Helper()
	c.hbuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		c.henc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.hbuf.Bytes(), EndStream: end, EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
}

// grpcRequest sends the headers of a normal gRPC request.
func (c *rawConn) grpcRequest(id uint32, path string) {
	c.headers(id, false, ":method", "POST", ":scheme", "http", ":path", path, ":authority", "test", "content-type", "application/grpc", "te", "trailers")
}

// outcome is how the server ended a stream (or the connection).
type outcome struct {
	fields  map[string]string // fields of the last HEADERS frame for the stream
	rst     *http2.ErrCode
	goAway  bool
	closed  bool // the connection ended (EOF or reset)
	timeout bool
}

// wait reads frames until stream id ends or the connection closes.
func (c *rawConn) wait(id uint32) outcome {
	var o outcome
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				o.timeout = true
			} else {
				o.closed = true
			}
			return o
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				c.fr.WritePing(true, f.Data)
			}
		case *http2.GoAwayFrame:
			o.goAway = true
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				code := f.ErrCode
				o.rst = &code
				return o
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID == id {
				o.fields = map[string]string{}
				for _, hf := range f.Fields {
					o.fields[hf.Name] = hf.Value
				}
				if f.StreamEnded() {
					return o
				}
			}
		}
	}
}

// drainUntilClosed reads until the server closes the connection.
func (c *rawConn) drainUntilClosed() {
	c.t.Helper()
	if o := c.wait(0); o.timeout {
		c.t.Fatal("server kept the connection open")
	}
}

// checkServerStillWorks runs a normal RPC on the shared client.
func checkServerStillWorks(t *testing.T, e *env) {
	t.Helper()
	ctx, cancel := testCtx(t)
	defer cancel()
	resp, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(3)})
	if err != nil || len(resp.GetPayload().GetBody()) != 3 {
		t.Fatalf("normal RPC after bad input: %v, %v", resp, err)
	}
}

func wantGRPCStatus(t *testing.T, o outcome, code codes.Code, msg string) {
	t.Helper()
	if o.fields == nil {
		t.Fatalf("no trailers; outcome %+v", o)
	}
	if got := o.fields["grpc-status"]; got != strconv.Itoa(int(code)) {
		t.Fatalf("grpc-status = %q, want %d (fields %v)", got, code, o.fields)
	}
	if msg != "" && o.fields["grpc-message"] != msg {
		t.Fatalf("grpc-message = %q, want %q", o.fields["grpc-message"], msg)
	}
}

func TestServerBadInput(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()

	t.Run("garbage", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		defer c.conn.Close()
		c.conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\x13garbage"))
		c.drainUntilClosed()
		checkServerStillWorks(t, e)
	})

	t.Run("truncated frame then close", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		c.start()
		// Half a frame header of a HEADERS frame, then hang up.
		c.conn.Write([]byte{0, 0, 20, byte(http2.FrameHeaders)})
		c.conn.Close()
		checkServerStillWorks(t, e)
	})

	t.Run("truncated preface", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		c.conn.Write([]byte(http2.ClientPreface[:10]))
		c.conn.Close()
		checkServerStillWorks(t, e)
	})

	t.Run("headers without path", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		defer c.conn.Close()
		c.start()
		c.headers(1, true, ":method", "POST", ":scheme", "http", ":authority", "test", "content-type", "application/grpc")
		o := c.wait(1)
		if o.timeout {
			t.Fatal("no answer to HEADERS without :path")
		}
		if o.fields != nil && o.fields["grpc-status"] == "0" {
			t.Fatalf("request without :path succeeded: %v", o.fields)
		}
		checkServerStillWorks(t, e)
	})

	t.Run("4 GiB length prefix", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		defer c.conn.Close()
		c.start()
		c.grpcRequest(1, "/grpc.e2e.TestService/Unary")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := c.fr.WriteData(1, false, []byte{0, 0xff, 0xff, 0xff, 0xff}); err != nil {
			t.Fatal(err)
		}
		o := c.wait(1)
		runtime.ReadMemStats(&after)
		wantGRPCStatus(t, o, codes.ResourceExhausted, "grpc: received message larger than max (4294967295 vs. 4194304)")
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Fatalf("server allocated %d bytes for an announced 4 GiB message", grew)
		}
		checkServerStillWorks(t, e)
	})

	t.Run("unknown method", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		defer c.conn.Close()
		c.start()
		c.grpcRequest(1, "/grpc.e2e.TestService/Nope")
		c.fr.WriteData(1, true, []byte{0, 0, 0, 0, 0})
		o := c.wait(1)
		wantGRPCStatus(t, o, codes.Unimplemented, "unknown method Nope for service grpc.e2e.TestService")
		if o.fields[":status"] != "200" {
			t.Fatalf("not a trailers-only response: %v", o.fields)
		}
		checkServerStillWorks(t, e)
	})

	t.Run("message cut short by END_STREAM", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		defer c.conn.Close()
		c.start()
		c.grpcRequest(1, "/grpc.e2e.TestService/Unary")
		c.fr.WriteData(1, true, []byte{0, 0, 0, 0, 10, 1, 2})
		wantGRPCStatus(t, c.wait(1), codes.Internal, "")
		checkServerStillWorks(t, e)
	})

	t.Run("undecodable message", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		defer c.conn.Close()
		c.start()
		c.grpcRequest(1, "/grpc.e2e.TestService/Unary")
		c.fr.WriteData(1, true, []byte{0, 0, 0, 0, 2, 0xff, 0xff})
		wantGRPCStatus(t, c.wait(1), codes.Internal, "")
		checkServerStillWorks(t, e)
	})

	t.Run("bad compressed flag", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		defer c.conn.Close()
		c.start()
		c.grpcRequest(1, "/grpc.e2e.TestService/Unary")
		c.fr.WriteData(1, true, []byte{1, 0, 0, 0, 1, 0})
		wantGRPCStatus(t, c.wait(1), codes.Internal, "grpc: compressed flag set with identity or empty encoding")
		checkServerStillWorks(t, e)
	})

	t.Run("client vanishes mid-message", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		c.start()
		c.grpcRequest(1, "/grpc.e2e.TestService/Unary")
		c.fr.WriteData(1, false, []byte{0, 0, 0, 1, 0, 1, 2, 3})
		c.conn.Close()
		checkServerStillWorks(t, e)
	})
}
