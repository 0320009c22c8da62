package grpc

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// connectProxy is a minimal HTTP CONNECT proxy that records each request.
type connectProxy struct {
	lis net.Listener
	wg  sync.WaitGroup

	mu       sync.Mutex
	requests []*http.Request
	conns    []net.Conn
}

func startConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{lis: lis}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go p.serve(c)
		}
	}()
	return p
}

func (p *connectProxy) serve(c net.Conn) {
	defer p.wg.Done()
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil || req.Method != http.MethodConnect {
		c.Close()
		return
	}
	p.mu.Lock()
	p.requests = append(p.requests, req)
	p.mu.Unlock()
	up, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\n")
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		io.Copy(up, c)
		up.Close()
	}()
	io.Copy(c, up)
	c.Close()
}

func (p *connectProxy) close() {
	p.lis.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *connectProxy) seen() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.requests...)
}

// useProxyForTest routes every address through proxyURL, loopback included,
// for the rest of the test.
func useProxyForTest(t *testing.T, proxyURL *url.URL) {
	old := proxyForAddr
	proxyForAddr = func(string) (*url.URL, error) { return proxyURL, nil }
	t.Cleanup(func() { proxyForAddr = old })
}

func TestHTTPConnectProxy(t *testing.T) {
	defer leakcheck.Check(t)
	srv := startEchoServer(t, &echoServer{})
	defer srv.stop(t)
	_, port, _ := net.SplitHostPort(srv.addr)
	p := startConnectProxy(t)
	defer p.close()
	useProxyForTest(t, &url.URL{Scheme: "http", Host: p.lis.Addr().String(), User: url.UserPassword("alice", "s3cret")})

	for _, tc := range []struct {
		name        string
		opts        []DialOption
		wantConnect string // "" means the proxy must not be used
	}{
		{"the proxy resolves the name", nil, "localhost:" + port},
		{"WithLocalDNSResolution", []DialOption{WithLocalDNSResolution()}, "127.0.0.1:" + port},
		{"WithNoProxy", []DialOption{WithNoProxy()}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(p.seen())
			cc, err := NewClient("dns:///localhost:"+port, append([]DialOption{insecureOpt}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out := new(wrapperspb.StringValue)
			if err := cc.Invoke(ctx, "/grpc.test.Echo/Echo", wrapperspb.String("hi"), out); err != nil {
				t.Fatalf("RPC through the proxy: %v", err)
			}
			reqs := p.seen()[before:]
			if tc.wantConnect == "" {
				if len(reqs) != 0 {
					t.Fatalf("proxy used despite WithNoProxy: %v", reqs[0].URL.Host)
				}
				return
			}
			if len(reqs) != 1 {
				t.Fatalf("proxy saw %d CONNECTs, want 1", len(reqs))
			}
			r := reqs[0]
			if r.URL.Host != tc.wantConnect && !(tc.wantConnect == "127.0.0.1:"+port && r.URL.Host == "[::1]:"+port) {
				t.Errorf("CONNECT %s, want %s", r.URL.Host, tc.wantConnect)
			}
			if got := r.Header.Get("Proxy-Authorization"); got != "Basic YWxpY2U6czNjcmV0" {
				t.Errorf("Proxy-Authorization %q", got)
			}
			if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "grpc-go/") {
				t.Errorf("User-Agent %q", ua)
			}
		})
	}
}

func TestHTTPConnectProxyRefusal(t *testing.T) {
	defer leakcheck.Check(t)
	p := startConnectProxy(t)
	defer p.close()
	useProxyForTest(t, &url.URL{Scheme: "http", Host: p.lis.Addr().String()})
	// Nothing listens on the target, so the proxy answers 502.
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := lis.Addr().String()
	lis.Close()
	cc, err := NewClient(addr, insecureOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	err = cc.Invoke(context.Background(), "/grpc.test.Echo/Echo", wrapperspb.String("hi"), new(wrapperspb.StringValue))
	if err == nil || !strings.Contains(err.Error(), "failed to do connect handshake") {
		t.Fatalf("RPC through a refusing proxy: %v", err)
	}
}
