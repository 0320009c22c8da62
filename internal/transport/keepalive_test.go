package transport

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/keepalive"
)

func lowerKeepaliveFloors(t *testing.T) {
	oc, os := minClientKATime, minServerKATime
	minClientKATime, minServerKATime = time.Millisecond, time.Millisecond
	t.Cleanup(func() { minClientKATime, minServerKATime = oc, os })
}

// silentServer completes the HTTP/2 handshake and then never answers.
func silentServer(t *testing.T) (addr string, stop func()) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := lis.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		http2.NewFramer(c, nil).WriteSettings()
		io.Copy(io.Discard, c)
	}()
	return lis.Addr().String(), func() { lis.Close(); <-done }
}

func TestClientKeepaliveDetectsDeadServer(t *testing.T) {
	defer leakcheck.Check(t)
	lowerKeepaliveFloors(t)
	addr, stop := silentServer(t)
	defer stop()
	closed := make(chan error, 1)
	ct := dial(t, addr, ClientOptions{
		Keepalive: keepalive.ClientParameters{Time: 20 * time.Millisecond, Timeout: 20 * time.Millisecond, PermitWithoutStream: true},
		OnClose:   func(err error) { closed <- err },
	})
	defer ct.Close(nil)
	select {
	case err := <-closed:
		if !strings.Contains(err.Error(), "keepalive ping failed to receive ACK within timeout") {
			t.Fatalf("closed with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("keepalive did not detect the dead server")
	}
}

func TestClientKeepaliveKeepsHealthyConn(t *testing.T) {
	defer leakcheck.Check(t)
	lowerKeepaliveFloors(t)
	ct, _, done := setup(t, ServerOptions{KeepalivePolicy: keepalive.EnforcementPolicy{MinTime: time.Millisecond, PermitWithoutStream: true}},
		ClientOptions{Keepalive: keepalive.ClientParameters{Time: 5 * time.Millisecond, Timeout: time.Second, PermitWithoutStream: true}},
		echoHandler)
	defer done()
	// A stream after many keepalive intervals still works.
	deadline := time.Now().Add(100 * time.Millisecond)
	for time.Now().Before(deadline) {
		cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
		if err != nil {
			t.Fatal(err)
		}
		writeClientMsg(cs, []byte("x"), true)
		if _, err := readMsg(cs); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerMaxConnectionAge(t *testing.T) {
	defer leakcheck.Check(t)
	goAway := make(chan struct{})
	ct, _, done := setup(t, ServerOptions{Keepalive: keepalive.ServerParameters{MaxConnectionAge: 20 * time.Millisecond, MaxConnectionAgeGrace: time.Minute}},
		ClientOptions{OnGoAway: func() { close(goAway) }}, echoHandler)
	defer done()
	select {
	case <-goAway:
	case <-time.After(10 * time.Second):
		t.Fatal("no GOAWAY after MaxConnectionAge")
	}
	select {
	case <-ct.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("idle client transport not closed after GOAWAY")
	}
}

func TestServerMaxConnectionIdle(t *testing.T) {
	defer leakcheck.Check(t)
	goAway := make(chan struct{})
	ct, _, done := setup(t, ServerOptions{Keepalive: keepalive.ServerParameters{MaxConnectionIdle: 20 * time.Millisecond}},
		ClientOptions{OnGoAway: func() { close(goAway) }}, echoHandler)
	defer done()
	select {
	case <-goAway:
	case <-time.After(10 * time.Second):
		t.Fatal("no GOAWAY after MaxConnectionIdle")
	}
	<-ct.Done()
}

func TestServerKeepaliveClosesUnresponsiveClient(t *testing.T) {
	defer leakcheck.Check(t)
	lowerKeepaliveFloors(t)
	srv := startServer(t, ServerOptions{Keepalive: keepalive.ServerParameters{Time: 10 * time.Millisecond, Timeout: 10 * time.Millisecond}}, echoHandler)
	defer srv.stop()
	rc := dialRaw(t, srv.addr())
	defer rc.close()
	// Read without ever acking the server's PINGs: the server must hang up.
	for {
		if _, err := rc.fr.ReadFrame(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("server kept an unresponsive connection open")
			}
			return
		}
	}
}

// TestClientToleratesLateSettings runs a hand-written server that sends its
// SETTINGS only after the client's first request arrived.
func TestClientToleratesLateSettings(t *testing.T) {
	defer leakcheck.Check(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	srvDone := make(chan struct{})
	go func() {
		defer close(srvDone)
		c, err := lis.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		pre := make([]byte, len(http2.ClientPreface))
		io.ReadFull(c, pre)
		fr := http2.NewFramer(c, c)
		fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		var id uint32
		for id == 0 {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			if h, ok := f.(*http2.MetaHeadersFrame); ok {
				id = h.StreamID
			}
		}
		fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 10})
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		enc.WriteField(hpack.HeaderField{Name: "content-type", Value: "application/grpc"})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true})
		fr.WriteData(id, false, append(prefix(2), 'o', 'k'))
		hb.Reset()
		enc.WriteField(hpack.HeaderField{Name: "grpc-status", Value: "0"})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true, EndStream: true})
		io.Copy(io.Discard, c)
	}()
	ct := dial(t, lis.Addr().String(), ClientOptions{})
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/M"})
	if err != nil {
		t.Fatal(err)
	}
	writeClientMsg(cs, []byte("hi"), true)
	if m, err := readMsg(cs); err != nil || string(m) != "ok" {
		t.Fatalf("readMsg = %q, %v", m, err)
	}
	if _, err := readMsg(cs); err != io.EOF {
		t.Fatal(err)
	}
	if cs.Status().Code() != codes.OK {
		t.Fatal(cs.Status())
	}
	ct.Close(nil)
	<-srvDone
}

func TestStreamIDExhaustion(t *testing.T) {
	defer leakcheck.Check(t)
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, echoHandler)
	defer done()
	ct.mu.Lock()
	ct.nextID = maxStreamID
	ct.mu.Unlock()
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
	if !IsTransparentRetryable(err) {
		t.Fatalf("NewStream after id exhaustion: %v", err)
	}
	writeClientMsg(cs, []byte("last"), true)
	if m, err := readMsg(cs); err != nil || string(m) != "last" {
		t.Fatalf("last stream: %q %v", m, err)
	}
	readMsg(cs)
	select {
	case <-ct.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("transport not closed after its last stream id was used")
	}
}

func TestClientPingingTooOftenGetsGoAway(t *testing.T) {
	defer leakcheck.Check(t)
	lowerKeepaliveFloors(t)
	tooMany := make(chan struct{})
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{
		Keepalive:      keepalive.ClientParameters{Time: time.Millisecond, Timeout: time.Second, PermitWithoutStream: true},
		OnTooManyPings: func() { close(tooMany) },
	}, echoHandler)
	defer done()
	select {
	case <-tooMany:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not send GOAWAY too_many_pings")
	}
	<-ct.Done()
}
