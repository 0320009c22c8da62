package grpc

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

type fakeAuthInfo struct{}

func (fakeAuthInfo) AuthType() string { return "fake" }

// fakeCreds runs a one-byte "handshake": the client must send 'H' first.
// Any other byte makes the handshake fail; 'D' dispatches the connection
// away from gRPC (it is handed to dispatched).
type fakeCreds struct {
	dispatched chan net.Conn
}

func (c *fakeCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	b := make([]byte, 1)
	if _, err := io.ReadFull(conn, b); err != nil {
		return nil, nil, err
	}
	switch b[0] {
	case 'H':
		return conn, fakeAuthInfo{}, nil
	case 'D':
		c.dispatched <- conn
		return nil, nil, credentials.ErrConnDispatched
	}
	return nil, nil, errors.New("bad handshake byte")
}

func (c *fakeCreds) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("server-only credentials")
}
func (c *fakeCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "fake"}
}
func (c *fakeCreds) Clone() credentials.TransportCredentials { return c }
func (c *fakeCreds) OverrideServerName(string) error         { return nil }

func TestServerCreds(t *testing.T) {
	defer leakcheck.Check(t)
	creds := &fakeCreds{dispatched: make(chan net.Conn, 1)}
	impl := &echoServer{echo: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		p, ok := peer.FromContext(ctx)
		if !ok || p.AuthInfo == nil || p.AuthInfo.AuthType() != "fake" {
			return nil, status.Errorf(codes.Unauthenticated, "peer %+v", p)
		}
		return in, nil
	}}
	ts := startEchoServer(t, impl, Creds(creds), ConnectionTimeout(time.Second))
	defer ts.stop(t)

	handshake := func(b byte) net.Conn {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
		return c
	}

	conn := handshake('H')
	ct, err := transport.NewClientTransport(conn, transport.ClientOptions{Authority: ts.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer ct.Close(errors.New("test done"))
	if res := rawInvoke(srvTestCtx(t), ct, "/grpc.test.Echo/Echo", []string{"x"}, callOpts{}); res.err != nil {
		t.Fatal(res.err)
	}

	// A failed handshake closes the connection.
	bad := handshake('X')
	defer bad.Close()
	bad.SetReadDeadline(time.Now().Add(srvTestTimeout))
	if _, err := bad.Read(make([]byte, 1)); err == nil {
		t.Fatal("read succeeded on a connection whose handshake failed")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("connection left open after a failed handshake")
	}

	// A dispatched connection is left open for whoever took it.
	d := handshake('D')
	defer d.Close()
	server := <-creds.dispatched
	defer server.Close()
	if _, err := d.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	server.SetReadDeadline(time.Now().Add(srvTestTimeout))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("dispatched conn: %q, %v", buf, err)
	}
}
