package test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
)

// prefaceServer accepts one connection, reads the client preface and then
// lets the test decide what the server sends first.
type prefaceServer struct {
	lis  net.Listener
	conn chan net.Conn
}

func newPrefaceServer(t *testing.T) *prefaceServer {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &prefaceServer{lis: lis, conn: make(chan net.Conn, 1)}
	go func() {
		c, err := lis.Accept()
		if err != nil {
			close(s.conn)
			return
		}
		preface := make([]byte, len(http2.ClientPreface))
		if _, err := io.ReadFull(c, preface); err != nil {
			c.Close()
			close(s.conn)
			return
		}
		s.conn <- c
	}()
	return s
}

// client returns a ClientConn to s (insecure, plus opts).
func (s *prefaceServer) client(t *testing.T, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	cc, err := grpc.NewClient(s.lis.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// A connection is READY only once the server's SETTINGS arrived (as in
// grpc-go): before, the server's stream limit is unknown.
func TestReadyWaitsForServerPreface(t *testing.T) {
	defer leakcheck.Check(t)
	s := newPrefaceServer(t)
	defer s.lis.Close()
	cc := s.client(t)
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	cc.Connect()
	c, ok := <-s.conn
	if !ok {
		t.Fatal("the client never connected")
	}
	defer c.Close()
	// The client has connected and sent its preface; with no SETTINGS
	// from the server it must still be CONNECTING.
	if st := cc.GetState(); st != connectivity.Connecting {
		t.Fatalf("state before the server's SETTINGS = %v, want CONNECTING", st)
	}
	fr := http2.NewFramer(c, c)
	if err := fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 1}); err != nil {
		t.Fatal(err)
	}
	for st := cc.GetState(); st != connectivity.Ready; st = cc.GetState() {
		if !cc.WaitForStateChange(ctx, st) {
			t.Fatalf("never READY after the server's SETTINGS (last state %v)", st)
		}
	}
}

// A server whose first frame is not SETTINGS is not an HTTP/2 server the
// client can use: the connection fails with grpc-go's message.
func TestServerPrefaceMustBeSettings(t *testing.T) {
	defer leakcheck.Check(t)
	s := newPrefaceServer(t)
	defer s.lis.Close()
	cc := s.client(t)
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	go func() {
		c, ok := <-s.conn
		if !ok {
			return
		}
		defer c.Close()
		http2.NewFramer(c, c).WritePing(false, [8]byte{})
		io.Copy(io.Discard, c) // until the client hangs up
	}()
	_, err := testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{})
	st := wantCode(t, err, codes.Unavailable)
	if !strings.Contains(st.Message(), "initial http2 frame from server is not a settings frame: *http2.PingFrame") {
		t.Fatalf("error %q does not say the server's first frame was not SETTINGS", st.Message())
	}
}

// A server that never sends its SETTINGS fails the connection attempt
// once the connect deadline passes, with grpc-go's message.
func TestServerPrefaceTimeout(t *testing.T) {
	defer leakcheck.Check(t)
	s := newPrefaceServer(t)
	defer s.lis.Close()
	cc := s.client(t, grpc.WithConnectParams(grpc.ConnectParams{
		MinConnectTimeout: 100 * time.Millisecond,
		// The connect deadline is the longer of this and the backoff delay.
		Backoff: backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, MaxDelay: 50 * time.Millisecond},
	}))
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()
	go func() {
		if c, ok := <-s.conn; ok {
			defer c.Close()
			io.Copy(io.Discard, c) // silent until the client hangs up
		}
	}()
	_, err := testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{})
	st := wantCode(t, err, codes.Unavailable)
	if !strings.Contains(st.Message(), "failed to receive server preface within timeout") {
		t.Fatalf("error %q does not say the server preface never came", st.Message())
	}
}
