package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// testServer accepts TCP connections and runs a ServerTransport on each.
type testServer struct {
	t       testing.TB
	lis     net.Listener
	opts    ServerOptions
	handler func(*ServerStream)
	wrap    func(net.Conn) net.Conn // optional: e.g. a TLS server handshake
	wg      sync.WaitGroup
	mu      sync.Mutex
	sts     []*ServerTransport
	newST   chan *ServerTransport
}

func startServer(t testing.TB, opts ServerOptions, handler func(*ServerStream)) *testServer {
	return startServerWrapped(t, opts, handler, nil)
}

// startServerWrapped is startServer with every accepted connection passed
// through wrap (nil: none) first.
func startServerWrapped(t testing.TB, opts ServerOptions, handler func(*ServerStream), wrap func(net.Conn) net.Conn) *testServer {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, lis: lis, opts: opts, handler: handler, wrap: wrap, newST: make(chan *ServerTransport, 16)}
	s.wg.Add(1)
	go s.serve()
	return s
}

func (s *testServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.lis.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if s.wrap != nil {
				c = s.wrap(c)
			}
			st, err := NewServerTransport(c, s.opts)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.sts = append(s.sts, st)
			s.mu.Unlock()
			select {
			case s.newST <- st:
			default:
			}
			st.HandleStreams(context.Background(), func(ss *ServerStream) {
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					s.handler(ss)
				}()
			})
		}()
	}
}

func (s *testServer) addr() string { return s.lis.Addr().String() }

// stopTransports closes the server side of every connection so far.
func (s *testServer) stopTransports() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.sts {
		st.Close(errors.New("test server closed the connection"))
	}
}

func (s *testServer) stop() {
	s.lis.Close()
	s.mu.Lock()
	for _, st := range s.sts {
		st.Close(errors.New("test server stopped"))
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func dial(t testing.TB, addr string, opts ClientOptions) *ClientTransport {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Authority == "" {
		opts.Authority = "test.server"
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "test-agent grpc-go/1.85.0"
	}
	ct, err := NewClientTransport(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// setup starts a server and a client connected to it; the returned func
// tears both down.
func setup(t testing.TB, sopts ServerOptions, copts ClientOptions, h func(*ServerStream)) (*ClientTransport, *testServer, func()) {
	srv := startServer(t, sopts, h)
	ct := dial(t, srv.addr(), copts)
	return ct, srv, func() {
		ct.Close(errors.New("test done"))
		srv.stop()
	}
}

// Test framing: a 5-byte prefix (flag + big-endian length) like gRPC's.
type reader interface {
	Read(n int) (mem.BufferSlice, error)
}

func prefix(n int) []byte {
	h := make([]byte, 5)
	binary.BigEndian.PutUint32(h[1:], uint32(n))
	return h
}

func readMsg(r reader) ([]byte, error) {
	h, err := r.Read(5)
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(h.Materialize()[1:]))
	h.Free()
	if n == 0 {
		return []byte{}, nil
	}
	b, err := r.Read(n)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	defer b.Free()
	return b.Materialize(), nil
}

func writeServerMsg(s *ServerStream, p []byte) error {
	return s.Write(prefix(len(p)), mem.BufferSlice{mem.SliceBuffer(p)})
}

func writeClientMsg(s *ClientStream, p []byte, last bool) error {
	return s.Write(prefix(len(p)), mem.BufferSlice{mem.SliceBuffer(p)}, last)
}

// echoHandler echoes every message, then ends with OK.
func echoHandler(s *ServerStream) {
	for {
		m, err := readMsg(s)
		if err == io.EOF {
			s.WriteStatus(status.New(codes.OK, ""))
			return
		}
		if err != nil {
			s.WriteStatus(status.Convert(err))
			return
		}
		if err := writeServerMsg(s, m); err != nil {
			return
		}
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t testing.TB, err error, c codes.Code) {
	t.Helper()
	if got := status.Code(err); got != c {
		t.Fatalf("got error %v (code %v), want code %v", err, got, c)
	}
}
