package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// waitFor polls cond, yielding the processor, until it holds or the test's
// context ends. It observes state no channel announces (who holds the
// read turn), and never sleeps for a guessed time.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.Gosched()
	}
}

// gatedHandler reads one request per stream and answers it only once the
// test sends the reply on the channel registered for the request's text.
type gatedHandler struct {
	replies map[string]chan string
}

func (g *gatedHandler) handle(s *ServerStream) {
	m, err := readMsg(s)
	if err != nil {
		return
	}
	ch := g.replies[string(m)]
	select {
	case r := <-ch:
		writeServerMsg(s, []byte(r))
		s.WriteStatus(status.New(codes.OK, ""))
	case <-s.Context().Done():
	}
}

// startGated connects a client to a gated server. The read turn, once
// free, stays free for grace; a first exchange (reply pre-filled) warms the
// connection up, leaving the turn free as after any delivered response.
func startGated(t *testing.T, grace time.Duration, keys ...string) (*ClientTransport, *gatedHandler, *testServer, func()) {
	return startGatedOver(t, false, grace, keys...)
}

// startGatedOver is startGated, over TLS if useTLS.
func startGatedOver(t *testing.T, useTLS bool, grace time.Duration, keys ...string) (*ClientTransport, *gatedHandler, *testServer, func()) {
	g := &gatedHandler{replies: map[string]chan string{"warm": make(chan string, 1)}}
	for _, k := range keys {
		g.replies[k] = make(chan string, 1)
	}
	defer func(g time.Duration) { vacancyGrace = g }(vacancyGrace)
	vacancyGrace = grace
	var wrap func(net.Conn) net.Conn
	if useTLS {
		wrap = tlsServerWrap(t)
	}
	srv := startServerWrapped(t, ServerOptions{}, g.handle, wrap)
	var ct *ClientTransport
	if useTLS {
		ct = dialTLS(t, srv.addr())
	} else {
		ct = dial(t, srv.addr(), ClientOptions{})
	}
	stop := func() {
		ct.Close(errors.New("test done"))
		srv.stop()
	}
	fail := func(format string, args ...any) {
		stop()
		t.Fatalf(format, args...)
	}
	if !ct.turn.enabled {
		fail("a client on a plain TCP socket should lend its read turn")
	}
	ctx := testCtx(t)
	// The reader goroutine keeps the turn when frames nobody waited for
	// (SETTINGS, PING) came last; warm up until it was given away.
	for i := 0; i == 0 || ct.turn.held.Load(); i++ {
		if i == 100 {
			fail("the reader goroutine never gave the turn up")
		}
		s, err := ct.NewStream(ctx, &CallHdr{Method: "/test.Svc/Gated"})
		if err == nil {
			err = writeClientMsg(s, []byte("warm"), true)
		}
		if err != nil {
			fail("warm-up: %v", err)
		}
		g.replies["warm"] <- "warm"
		if _, err := readMsg(s); err != nil {
			fail("warm-up: %v", err)
		}
		if _, err := readMsg(s); err != io.EOF {
			fail("warm-up: got %v, want io.EOF", err)
		}
	}
	return ct, g, srv, stop
}

func openWith(t *testing.T, ctx context.Context, ct *ClientTransport, req string) *ClientStream {
	t.Helper()
	s, err := ct.NewStream(ctx, &CallHdr{Method: "/test.Svc/Gated"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeClientMsg(s, []byte(req), true); err != nil {
		t.Fatal(err)
	}
	return s
}

// tlsServerWrap returns the server side of TLS with the repository's test
// certificate.
func tlsServerWrap(t *testing.T) func(net.Conn) net.Conn {
	t.Helper()
	cert, err := tls.LoadX509KeyPair("../../testdata/x509/server_cert.pem", "../../testdata/x509/server_key.pem")
	if err != nil {
		t.Fatal(err)
	}
	return func(c net.Conn) net.Conn {
		return tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	}
}

// dialTLS connects to addr over TLS, trusting the test CA.
func dialTLS(t *testing.T, addr string) *ClientTransport {
	t.Helper()
	ca, err := os.ReadFile("../../testdata/x509/server_ca_cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn := tls.Client(raw, &tls.Config{RootCAs: roots, ServerName: "x.test.example.com", NextProtos: []string{"h2"}})
	if err := conn.Handshake(); err != nil {
		t.Fatal(err)
	}
	ct, err := NewClientTransport(conn, ClientOptions{Authority: "test.server", UserAgent: "test-agent"})
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// A stream goroutine blocked on the socket as the holder of the read turn
// must notice that its stream was cancelled or closed, and the connection
// must stay usable: the interruption happens at a frame boundary. Over TLS
// too, whose reads resume after a deadline.
func TestReadTurnHolderInterrupted(t *testing.T) {
	defer leakcheck.Check(t)
	for _, tc := range []struct {
		how    string
		useTLS bool
	}{{"cancel", false}, {"close", false}, {"cancel", true}, {"close", true}} {
		how := tc.how
		name := how
		if tc.useTLS {
			name += "/tls"
		}
		t.Run(name, func(t *testing.T) {
			ct, g, _, stop := startGatedOver(t, tc.useTLS, time.Hour, "a", "b")
			defer stop()
			tctx := testCtx(t)
			ctx, cancel := context.WithCancel(tctx)
			defer cancel()
			s := openWith(t, ctx, ct, "a")
			got := make(chan error, 1)
			go func() {
				_, err := readMsg(s)
				got <- err
			}()
			waitFor(t, tctx, "the reading stream holds the turn", func() bool {
				return ct.turn.owner.Load() == &s.stream
			})
			if how == "cancel" {
				cancel()
			} else {
				s.Close(status.Error(codes.Aborted, "given up"))
			}
			want := map[string]codes.Code{"cancel": codes.Canceled, "close": codes.Aborted}[how]
			wantCode(t, <-got, want)

			s2 := openWith(t, tctx, ct, "b")
			g.replies["b"] <- "pong"
			m, err := readMsg(s2)
			if err != nil || string(m) != "pong" {
				t.Fatalf("after the interruption: got %q, %v; want pong", m, err)
			}
		})
	}
}

// A goroutine that parks while another stream's goroutine holds the turn
// must still be served when that holder leaves: the reader goroutine is
// asked to take over at once, not after the vacancy grace (an hour here,
// so the test fails if the hand-over is missing).
func TestReadTurnHolderHandsOverToParked(t *testing.T) {
	defer leakcheck.Check(t)
	ct, g, _, stop := startGated(t, time.Hour, "a", "b")
	defer stop()
	ctx := testCtx(t)

	sa := openWith(t, ctx, ct, "a")
	gotA := make(chan string, 1)
	go func() {
		m, _ := readMsg(sa)
		gotA <- string(m)
	}()
	waitFor(t, ctx, "stream a holds the turn", func() bool { return ct.turn.owner.Load() == &sa.stream })

	sb := openWith(t, ctx, ct, "b")
	gotB := make(chan string, 1)
	go func() {
		m, _ := readMsg(sb)
		gotB <- string(m)
	}()
	waitFor(t, ctx, "stream b parks", func() bool { return ct.turn.parked.Load() == 1 })

	g.replies["a"] <- "for a"
	if m := <-gotA; m != "for a" {
		t.Fatalf("stream a got %q", m)
	}
	g.replies["b"] <- "for b"
	select {
	case m := <-gotB:
		if m != "for b" {
			t.Fatalf("stream b got %q", m)
		}
	case <-ctx.Done():
		t.Fatal("stream b was never served after stream a left the turn")
	}
}

// With the turn left free and nobody waiting, the reader goroutine takes
// it back (here after 100ms), so the client still learns of a server
// going away.
func TestReadTurnVacancyStillReads(t *testing.T) {
	defer leakcheck.Check(t)
	ct, g, srv, stop := startGated(t, 100*time.Millisecond, "a")
	defer stop()
	ctx := testCtx(t)
	s := openWith(t, ctx, ct, "a")
	g.replies["a"] <- "done"
	if _, err := readMsg(s); err != nil {
		t.Fatal(err)
	}
	if _, err := readMsg(s); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
	srv.stopTransports()
	select {
	case <-ct.Done():
	case <-ctx.Done():
		t.Fatal("the client never noticed the server closing the connection")
	}
}

// An interrupted read gives up only at a frame boundary; inside a frame
// it resumes, so no byte is lost.
func TestBufReaderInterruptOnlyAtBoundary(t *testing.T) {
	defer leakcheck.Check(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	peer, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nc, err := lis.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	br := newBufReader(nc, defaultBufSize, mem.DefaultBufferPool())
	if br.ready == nil {
		t.Fatal("a TCP connection should get a readiness reader")
	}
	br.interruptible = true
	fr := http2.NewFramer(nil, br)

	var frame [frameHeaderLen + 4]byte
	frame[2] = 4                         // length 4
	frame[3] = byte(http2.FramePing)     // type: any
	copy(frame[frameHeaderLen:], "data") // payload
	rest := frame[4:]

	// The hook runs whenever the reader is about to block.
	blocks := 0
	br.beforeBlock = func() {
		blocks++
		nc.SetReadDeadline(time.Unix(1, 0))
	}

	// At a boundary: the interruption surfaces, and nothing is consumed.
	br.boundary = true
	if _, err := fr.ReadFrameHeader(); err != errInterrupted {
		t.Fatalf("interrupted at a boundary: got %v, want errInterrupted", err)
	}
	// With the deadline cleared, a read waits for data again: send the
	// first 4 bytes; when the reader is about to block inside the frame
	// header (its third block), interrupt it and let the rest arrive.
	if _, err := peer.Write(frame[:4]); err != nil {
		t.Fatal(err)
	}
	br.beforeBlock = func() {
		blocks++
		if blocks == 3 {
			nc.SetReadDeadline(time.Unix(1, 0))
			if _, err := peer.Write(rest); err != nil {
				t.Error(err)
			}
		}
	}
	br.boundary = true
	fh, err := fr.ReadFrameHeader()
	if err != nil {
		t.Fatalf("interrupted inside a frame: got %v, want the frame", err)
	}
	if blocks != 3 {
		t.Fatalf("the reader blocked %d times, want 3 (the test did not interrupt inside the frame)", blocks)
	}
	if fh.Length != 4 || fh.Type != http2.FramePing {
		t.Fatalf("got frame header %+v", fh)
	}
	var payload [4]byte
	if _, err := io.ReadFull(br, payload[:]); err != nil || string(payload[:]) != "data" {
		t.Fatalf("payload: got %q, %v", payload, err)
	}
}
