package test

// Tests in this file play a hostile HTTP/2 peer against a real Server over
// loopback TCP, using golang.org/x/net/http2.Framer to write what a gRPC
// client never would. Each attack must end with the attacker's connection
// cut (or pushed back), while a well-behaved client of the same server keeps
// getting answers, and without runaway goroutines or heap.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/authz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/protobuf/proto"
)

// liveHeap returns the heap in use after full collections, so comparisons
// see retained memory rather than garbage.
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// totalAlloc returns the cumulative bytes allocated by the process.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// atkFrames builds frames into a byte slice with a throwaway Framer, so a
// whole flood can go out in a few large writes.
func atkFrames(build func(fr *http2.Framer)) []byte {
	var b bytes.Buffer
	fr := http2.NewFramer(&b, nil)
	fr.AllowIllegalWrites = true
	build(fr)
	return b.Bytes()
}

// atkBlock HPACK-encodes name/value pairs with a fresh encoder.
func atkBlock(kv ...string) []byte {
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	for i := 0; i+1 < len(kv); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return b.Bytes()
}

// atkRequest is the header list of a normal gRPC call to method.
func atkRequest(method string) []string {
	return []string{":method", "POST", ":scheme", "http", ":path", method, ":authority", "attack",
		"content-type", "application/grpc", "te", "trailers"}
}

// atkMessage frames a request as one uncompressed gRPC message.
func atkMessage(t *testing.T, req *testpb.Request) []byte {
	t.Helper()
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 5, 5+len(b))
	binary.BigEndian.PutUint32(out[1:], uint32(len(b)))
	return append(out, b...)
}

// attacker is a raw HTTP/2 client. Its writes go out as prebuilt bytes; its
// reads never write anything back (no SETTINGS or PING acks), so reading and
// writing may run on different goroutines.
type attacker struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer // reading only
}

func dialAttacker(t *testing.T, addr string) *attacker {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a := &attacker{t: t, conn: c, fr: http2.NewFramer(nil, c)}
	a.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	a.fr.MaxHeaderListSize = 64 << 20
	return a
}

// preface returns the client preface and an initial SETTINGS frame.
func atkPreface(settings ...http2.Setting) []byte {
	return append([]byte(http2.ClientPreface), atkFrames(func(fr *http2.Framer) { fr.WriteSettings(settings...) })...)
}

// send writes b, bounded by the test timeout; errors are returned because
// the server is expected to cut some attackers off mid-write.
func (a *attacker) send(b []byte) error {
	a.conn.SetWriteDeadline(time.Now().Add(testTimeout))
	_, err := a.conn.Write(b)
	return err
}

func (a *attacker) mustSend(b []byte) {
	a.t.Helper()
	if err := a.send(b); err != nil {
		a.t.Fatalf("attacker write: %v", err)
	}
}

// cut describes how the server ended the attacker's connection.
type cut struct {
	goAway  bool
	code    http2.ErrCode
	debug   string
	closed  bool // EOF or reset after whatever came before
	timeout bool // neither within testTimeout
}

// readUntilCut reads and drops frames until the connection ends.
func (a *attacker) readUntilCut() cut {
	var c cut
	a.conn.SetReadDeadline(time.Now().Add(testTimeout))
	for {
		f, err := a.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.timeout = true
			} else {
				c.closed = true
			}
			return c
		}
		if g, ok := f.(*http2.GoAwayFrame); ok && !c.goAway {
			c.goAway, c.code, c.debug = true, g.ErrCode, string(g.DebugData())
		}
	}
}

// readUntil reads frames until pred holds for one (returned), or nil when
// the connection ends first.
func (a *attacker) readUntil(pred func(http2.Frame) bool) http2.Frame {
	a.t.Helper()
	a.conn.SetReadDeadline(time.Now().Add(testTimeout))
	for {
		f, err := a.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				a.t.Fatalf("attacker got no answer within %v", testTimeout)
			}
			return nil
		}
		if pred(f) {
			return f
		}
	}
}

// streamEnd reads until stream id ends and reports its grpc-status ("http
// NNN" when there is none), or "rst" or "closed" for a reset stream or a cut
// connection.
func (a *attacker) streamEnd(id uint32) string {
	a.t.Helper()
	var status string
	f := a.readUntil(func(f http2.Frame) bool {
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				status = "rst"
				return true
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID == id && f.StreamEnded() {
				status = headerOf(f, "grpc-status")
				if status == "" {
					status = "http " + f.PseudoValue("status")
				}
				return true
			}
		}
		return false
	})
	if f == nil {
		return "closed"
	}
	return status
}

func headerOf(f *http2.MetaHeadersFrame, name string) string {
	for _, hf := range f.Fields {
		if hf.Name == name {
			return hf.Value
		}
	}
	return ""
}

func (a *attacker) close() { a.conn.Close() }

// TestAttackPingFlood (CVE-2019-9512): PINGs sent faster than the keepalive
// policy allows earn strikes; past the limit the server answers
// GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings") and closes, as grpc-go does.
func TestAttackPingFlood(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()

	a := dialAttacker(t, e.addr)
	defer a.close()
	flood := atkPreface()
	flood = append(flood, atkFrames(func(fr *http2.Framer) {
		for i := range 10000 {
			fr.WritePing(false, [8]byte{byte(i >> 8), byte(i)})
		}
	})...)
	go a.send(flood) // the server may cut us off mid-write
	c := a.readUntilCut()
	if !c.goAway || c.code != http2.ErrCodeEnhanceYourCalm || c.debug != "too_many_pings" {
		t.Errorf("ping flood ended with %+v, want GOAWAY(ENHANCE_YOUR_CALM, too_many_pings)", c)
	}
	if !c.closed {
		t.Errorf("connection left open after the ping flood: %+v", c)
	}
	checkServerStillWorks(t, e)
}

// floodUntilPushedBack writes chunk repeatedly, up to limit bytes, while
// the server's own writes to us are stuck because we never read. It returns
// how much went out before a write stalled for stall (the server stopped
// reading) or failed (the server cut us off).
func (a *attacker) floodUntilPushedBack(chunk []byte, limit int, stall time.Duration) (sent int, err error) {
	for sent < limit {
		a.conn.SetWriteDeadline(time.Now().Add(stall))
		n, err := a.conn.Write(chunk)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// TestAttackControlFloodNoRead (CVE-2019-9515 settings flood, CVE-2019-9514
// reset flood): the attacker keeps the server's writer stuck by never
// reading a large response, then floods frames that each make the server
// queue an answer (SETTINGS acks; RST_STREAMs for WINDOW_UPDATEs with a zero
// increment). grpc-go stops reading once 10,000 such answers wait to be
// written (and cuts the connection on the zero increment), so the flood
// stalls or ends and the server's memory stays flat.
func TestAttackControlFloodNoRead(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame func(fr *http2.Framer)
	}{
		{"settings", func(fr *http2.Framer) { fr.WriteSettings() }},
		// Stream 3 is never opened; a zero increment is a stream error
		// the server answers with RST_STREAM.
		{"reset", func(fr *http2.Framer) { fr.WriteWindowUpdate(3, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer leakcheck.Check(t)
			e := newEnv(t, nil, nil)
			defer e.stop()
			checkServerStillWorks(t, e)
			before := liveHeap()

			a := dialAttacker(t, e.addr)
			defer a.close()
			// Open every window so the server writes as fast as it can
			// into a socket nobody drains.
			a.mustSend(append(atkPreface(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1<<31 - 1}),
				atkFrames(func(fr *http2.Framer) {
					fr.WriteWindowUpdate(0, 1<<31-1-65535)
					fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
						BlockFragment: atkBlock(atkRequest(testpb.TestService_StreamingOutput_FullMethodName)...)})
					fr.WriteData(1, true, atkMessage(t, &testpb.Request{ResponseSize: 1 << 20, ResponseCount: 1 << 20}))
				})...))

			chunk := atkFrames(func(fr *http2.Framer) {
				for range 4096 {
					tc.frame(fr)
				}
			})
			const limit = 16 << 20
			sent, err := a.floodUntilPushedBack(chunk, limit, 2*time.Second)
			grew := int64(liveHeap()) - int64(before)
			t.Logf("flood: %d bytes sent (%v); live heap grew %d bytes", sent, err, grew)
			if grew > 12<<20 {
				t.Errorf("server heap grew by %d bytes during a %d-byte %s flood it never got to answer", grew, sent, tc.name)
			}
			checkServerStillWorks(t, e)
			a.close()
			checkServerStillWorks(t, e)
		})
	}
}

// TestAttackRapidReset (CVE-2023-44487): streams opened and at once reset.
// Handlers that honour cancellation end with their streams, and the server
// keeps serving. With MaxConcurrentStreams set, grpc-go also bounds the
// handlers still running after their stream was reset: it stops reading
// until one returns.
func TestAttackRapidReset(t *testing.T) {
	const streams = 2000
	flood := func(t *testing.T, req []byte) []byte {
		return atkFrames(func(fr *http2.Framer) {
			blk := atkBlock(atkRequest(testpb.TestService_FullDuplex_FullMethodName)...)
			for i := range streams {
				id := uint32(2*i + 1)
				fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, BlockFragment: blk})
				if req != nil {
					fr.WriteData(id, false, req)
				}
				fr.WriteRSTStream(id, http2.ErrCodeCancel)
			}
			fr.WritePing(false, [8]byte{'d', 'o', 'n', 'e'})
		})
	}
	pingAck := func(f http2.Frame) bool {
		p, ok := f.(*http2.PingFrame)
		return ok && p.IsAck() && p.Data == [8]byte{'d', 'o', 'n', 'e'}
	}

	t.Run("cancellation-aware handlers", func(t *testing.T) {
		defer leakcheck.Check(t)
		e := newEnv(t, nil, nil)
		defer e.stop()
		checkServerStillWorks(t, e)
		before := liveHeap()
		a := dialAttacker(t, e.addr)
		defer a.close()
		go a.send(append(atkPreface(), flood(t, atkMessage(t, &testpb.Request{WaitForCancel: true}))...))
		if a.readUntil(pingAck) == nil {
			t.Log("server closed the connection during the rapid reset flood")
		}
		checkServerStillWorks(t, e)
		if grew := int64(liveHeap()) - int64(before); grew > 16<<20 {
			t.Errorf("live heap grew by %d bytes after %d reset streams", grew, streams)
		}
	})

	t.Run("MaxConcurrentStreams bounds handlers", func(t *testing.T) {
		defer leakcheck.Check(t)
		const maxStreams = 20
		var active, peak, ran atomic.Int32
		ts := &testServer{bidi: func(stream testpb.TestService_FullDuplexServer) error {
			n := active.Add(1)
			defer active.Add(-1)
			ran.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			// A handler that notices cancellation late.
			time.Sleep(2 * time.Millisecond)
			return nil
		}}
		e := newEnv(t, ts, []grpc.ServerOption{grpc.MaxConcurrentStreams(maxStreams)})
		defer e.stop()
		a := dialAttacker(t, e.addr)
		defer a.close()
		go a.send(append(atkPreface(), flood(t, nil)...))
		if a.readUntil(pingAck) == nil {
			t.Log("server closed the connection during the rapid reset flood")
		}
		a.close()
		checkServerStillWorks(t, e)
		t.Logf("%d handlers ran, at most %d at once", ran.Load(), peak.Load())
		if p := peak.Load(); p > maxStreams {
			t.Errorf("%d handlers ran at once on a connection limited to %d concurrent streams", p, maxStreams)
		}
	})
}

// TestAttackContinuationFlood (CVE-2023-45288): a header block that never
// ends. Growing fragments must be cut once the block passes the header list
// limit; empty fragments must at least not cost memory.
func TestAttackContinuationFlood(t *testing.T) {
	t.Run("growing", func(t *testing.T) {
		defer leakcheck.Check(t)
		e := newEnv(t, nil, nil)
		defer e.stop()
		a := dialAttacker(t, e.addr)
		defer a.close()

		// Repeating a whole literal field keeps each fragment decodable.
		frag := bytes.Repeat(atkBlock("x-flood", strings.Repeat("a", 8<<10)), 2)
		const frames = 4096 // 64 MiB, four times the default 16 MiB limit
		done := make(chan int, 1)
		go func() {
			n := 0
			err := a.send(append(atkPreface(), atkFrames(func(fr *http2.Framer) {
				fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1,
					BlockFragment: atkBlock(atkRequest(testpb.TestService_Unary_FullMethodName)...)})
			})...))
			cont := atkFrames(func(fr *http2.Framer) { fr.WriteContinuation(1, false, frag) })
			for ; err == nil && n < frames; n++ {
				err = a.send(cont)
			}
			done <- n
		}()
		c := a.readUntilCut()
		a.close()
		if c.timeout {
			t.Fatal("server kept the connection open during a CONTINUATION flood")
		}
		if n := <-done; n == frames {
			t.Errorf("all %d CONTINUATION frames (%d MiB) were read before the connection was cut", frames, frames*len(frag)>>20)
		}
		checkServerStillWorks(t, e)
	})

	t.Run("empty", func(t *testing.T) {
		defer leakcheck.Check(t)
		e := newEnv(t, nil, nil)
		defer e.stop()
		checkServerStillWorks(t, e)
		before := liveHeap()
		a := dialAttacker(t, e.addr)
		defer a.close()
		a.mustSend(append(atkPreface(), atkFrames(func(fr *http2.Framer) {
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1,
				BlockFragment: atkBlock(atkRequest(testpb.TestService_Unary_FullMethodName)...)})
		})...))
		cont := atkFrames(func(fr *http2.Framer) {
			for range 10000 {
				fr.WriteContinuation(1, false, nil)
			}
		})
		var err error
		for i := 0; i < 20 && err == nil; i++ {
			err = a.send(cont)
		}
		if err == nil {
			checkServerStillWorks(t, e)
			if grew := int64(liveHeap()) - int64(before); grew > 8<<20 {
				t.Errorf("live heap grew by %d bytes after 200,000 empty CONTINUATION frames", grew)
			}
		} else {
			t.Logf("server cut the empty CONTINUATION flood: %v", err)
		}
		a.close()
		checkServerStillWorks(t, e)
	})
}

// TestAttackHPACKBomb: one large header put in the HPACK dynamic table and
// then referenced thousands of times with one byte each. A 16 KiB frame
// would expand to ~48 MiB of headers; the server must refuse the request
// without materialising them.
func TestAttackHPACKBomb(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	checkServerStillWorks(t, e)

	var blk bytes.Buffer
	enc := hpack.NewEncoder(&blk)
	kv := atkRequest(testpb.TestService_Unary_FullMethodName)
	for i := 0; i < len(kv); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1], Sensitive: true})
	}
	// Literal with incremental indexing: lands in dynamic table slot 62.
	bomb := hpack.HeaderField{Name: "x-bomb", Value: strings.Repeat("b", 4000)}
	enc.WriteField(bomb)
	const refs = 12000
	blk.Write(bytes.Repeat([]byte{0x80 | 62}, refs))
	if blk.Len() > 16384 {
		t.Fatalf("bomb block is %d bytes, over the default frame size", blk.Len())
	}

	a := dialAttacker(t, e.addr)
	defer a.close()
	allocBefore := totalAlloc()
	const bombs = 4
	a.mustSend(append(atkPreface(), atkFrames(func(fr *http2.Framer) {
		for i := range bombs {
			// Each block re-adds the entry, so every one is a bomb.
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: uint32(2*i + 1), EndHeaders: true, BlockFragment: blk.Bytes()})
		}
	})...))
	for i := range bombs {
		if st := a.streamEnd(uint32(2*i + 1)); st == "0" {
			t.Fatalf("stream %d carrying a %d MiB header list succeeded", 2*i+1, refs*bomb.Size()>>20)
		} else if st == "closed" {
			break
		}
	}
	allocated := totalAlloc() - allocBefore
	t.Logf("%d bombs of %d MiB each: %d bytes allocated", bombs, refs*bomb.Size()>>20, allocated)
	if allocated > 64<<20 {
		t.Errorf("server allocated %d bytes for %d header bombs", allocated, bombs)
	}
	a.close()
	checkServerStillWorks(t, e)
}

// TestAttackEmptyDataFlood (CVE-2019-9518): empty DATA frames cost nothing
// to send and elicit nothing. They must not accumulate, and the stream they
// arrived on must still work.
func TestAttackEmptyDataFlood(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, nil)
	defer e.stop()
	checkServerStillWorks(t, e)
	before := liveHeap()

	a := dialAttacker(t, e.addr)
	defer a.close()
	a.mustSend(append(atkPreface(), atkFrames(func(fr *http2.Framer) {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
			BlockFragment: atkBlock(atkRequest(testpb.TestService_StreamingInput_FullMethodName)...)})
	})...))
	empty := atkFrames(func(fr *http2.Framer) {
		for range 10000 {
			fr.WriteData(1, false, nil)
		}
	})
	const rounds = 20
	for range rounds {
		if err := a.send(empty); err != nil {
			// Cutting the flooder off is also acceptable.
			t.Logf("server cut the empty DATA flood: %v", err)
			a.close()
			checkServerStillWorks(t, e)
			return
		}
	}
	checkServerStillWorks(t, e)
	if grew := int64(liveHeap()) - int64(before); grew > 8<<20 {
		t.Errorf("live heap grew by %d bytes after %d empty DATA frames", grew, rounds*10000)
	}
	a.mustSend(atkFrames(func(fr *http2.Framer) {
		fr.WriteData(1, true, atkMessage(t, &testpb.Request{Payload: payload(7)}))
	}))
	var resp testpb.Response
	f := a.readUntil(func(f http2.Frame) bool {
		d, ok := f.(*http2.DataFrame)
		return ok && d.StreamID == 1 && len(d.Data()) >= 5
	})
	if f == nil {
		t.Fatal("connection closed before the StreamingInput response")
	}
	if err := proto.Unmarshal(f.(*http2.DataFrame).Data()[5:], &resp); err != nil || resp.GetReceivedCount() != 1 || resp.GetReceivedBytes() != 7 {
		t.Fatalf("StreamingInput after the flood: %v, %v; want one 7-byte message", &resp, err)
	}
}

// TestAttackNeverReads: a client asks for an endless response and never
// reads it. Flow control (default windows) or the socket (windows opened
// wide) must hold the handler back: the server buffers a bounded amount,
// and the handler ends once the connection goes.
func TestAttackNeverReads(t *testing.T) {
	for _, wide := range []bool{false, true} {
		name := "default windows"
		if wide {
			name = "windows opened wide"
		}
		t.Run(name, func(t *testing.T) {
			defer leakcheck.Check(t)
			var sent atomic.Int64
			ended := make(chan error, 1)
			ts := &testServer{bidi: func(stream testpb.TestService_FullDuplexServer) error {
				if _, err := stream.Recv(); err != nil {
					ended <- err
					return err
				}
				resp := &testpb.Response{Payload: payload(16 << 10)}
				for {
					if err := stream.Send(resp); err != nil {
						ended <- err
						return err
					}
					sent.Add(1)
				}
			}}
			e := newEnv(t, ts, nil)
			defer e.stop()
			checkServerStillWorks(t, e)
			before := liveHeap()

			a := dialAttacker(t, e.addr)
			defer a.close()
			var settings []http2.Setting
			if wide {
				settings = append(settings, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1<<31 - 1})
			}
			a.mustSend(append(atkPreface(settings...), atkFrames(func(fr *http2.Framer) {
				if wide {
					fr.WriteWindowUpdate(0, 1<<31-1-65535)
				}
				fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
					BlockFragment: atkBlock(atkRequest(testpb.TestService_FullDuplex_FullMethodName)...)})
				fr.WriteData(1, false, atkMessage(t, &testpb.Request{}))
			})...))

			// Wait for the handler to get stuck: no progress for a while.
			last := int64(-1)
			for deadline := time.Now().Add(testTimeout); time.Now().Before(deadline); {
				time.Sleep(300 * time.Millisecond)
				n := sent.Load()
				if n == last && n > 0 {
					break
				}
				last = n
			}
			grew := int64(liveHeap()) - int64(before)
			t.Logf("handler sent %d messages of 16 KiB, then stalled; live heap grew %d bytes", sent.Load(), grew)
			if grew > 32<<20 {
				t.Errorf("server heap grew by %d bytes for a client that never reads", grew)
			}
			checkServerStillWorks(t, e)
			a.close()
			select {
			case <-ended:
			case <-time.After(testTimeout):
				t.Fatal("handler still blocked after the client went away")
			}
			checkServerStillWorks(t, e)
		})
	}
}

// TestAttackSilentConnections: TCP connections that never send a byte are
// closed once ConnectionTimeout passes, and do not keep others waiting.
func TestAttackSilentConnections(t *testing.T) {
	defer leakcheck.Check(t)
	e := newEnv(t, nil, []grpc.ServerOption{grpc.ConnectionTimeout(200 * time.Millisecond)})
	defer e.stop()

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 50 {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// A half preface is as silent as nothing at all.
	half, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	conns = append(conns, half)
	half.Write([]byte(http2.ClientPreface[:12]))

	checkServerStillWorks(t, e)
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(testTimeout))
		if _, err := io.Copy(io.Discard, c); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("silent connection %d still open after %v", i, testTimeout)
			}
		}
	}
	checkServerStillWorks(t, e)
}

// TestAttackMalformedPath (CVE-2026-33186): a :path without a leading "/"
// must never reach a handler, so a policy written for "/service/method"
// cannot be bypassed by dropping the slash. grpc-go answers Unimplemented
// ("malformed method name") without routing.
func TestAttackMalformedPath(t *testing.T) {
	defer leakcheck.Check(t)
	i, err := authz.NewStatic(`{
		"name": "no-unary",
		"allow_rules": [{"name": "all"}],
		"deny_rules": [{"name": "unary", "request": {"paths": ["/grpc.e2e.TestService/Unary"]}}]
	}`)
	if err != nil {
		t.Fatal(err)
	}
	var reached atomic.Int32
	ts := &testServer{unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		reached.Add(1)
		return &testpb.Response{}, nil
	}}
	e := newEnv(t, ts, authzOptions(i))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	_, err = e.client.Unary(ctx, &testpb.Request{})
	wantDenied(t, "well-formed Unary", err)

	msg := atkMessage(t, &testpb.Request{})
	for _, path := range []string{
		"grpc.e2e.TestService/Unary",
		"grpc.e2e.TestService/Unary/",
		"Unary",
		"*",
		"http://attack/grpc.e2e.TestService/Unary",
		"\\grpc.e2e.TestService/Unary",
	} {
		t.Run(path, func(t *testing.T) {
			c := dialRaw(t, e.addr)
			defer c.conn.Close()
			c.start()
			c.grpcRequest(1, path)
			c.fr.WriteData(1, true, msg)
			wantGRPCStatus(t, c.wait(1), codes.Unimplemented, "")
		})
	}
	// Paths that do start with "/" but name no registered method.
	for _, path := range []string{"//grpc.e2e.TestService/Unary", "/grpc.e2e.TestService/Unary/x", "/grpc.e2e.TestService"} {
		t.Run(path, func(t *testing.T) {
			c := dialRaw(t, e.addr)
			defer c.conn.Close()
			c.start()
			c.grpcRequest(1, path)
			c.fr.WriteData(1, true, msg)
			o := c.wait(1)
			if o.fields == nil || o.fields["grpc-status"] == "0" {
				t.Errorf("%q: got %+v, want a failed RPC", path, o)
			}
		})
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the denied handler ran %d times for malformed paths", n)
	}
	_, err = e.client.Unary(ctx, &testpb.Request{})
	wantDenied(t, "well-formed Unary afterwards", err)
}

// TestAttackAdvertisedStreamLimit: the server's SETTINGS carry
// MAX_CONCURRENT_STREAMS only when a limit was set, as grpc-go's do. A
// 2^32-1 "limit" invites peers that count up to the advertised limit (h2spec
// does) to open streams without end.
func TestAttackAdvertisedStreamLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []grpc.ServerOption
		want uint32 // 0: not advertised
	}{
		{"unlimited", nil, 0},
		{"limit 100", []grpc.ServerOption{grpc.MaxConcurrentStreams(100)}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer leakcheck.Check(t)
			e := newEnv(t, nil, tc.opts)
			defer e.stop()
			a := dialAttacker(t, e.addr)
			defer a.close()
			a.mustSend(atkPreface())
			f := a.readUntil(func(f http2.Frame) bool {
				s, ok := f.(*http2.SettingsFrame)
				return ok && !s.IsAck()
			})
			if f == nil {
				t.Fatal("no SETTINGS from the server")
			}
			got, ok := f.(*http2.SettingsFrame).Value(http2.SettingMaxConcurrentStreams)
			if !ok {
				got = 0
			}
			if got != tc.want {
				t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS = %d (present %v), want %d (0: absent)", got, ok, tc.want)
			}
		})
	}
}
