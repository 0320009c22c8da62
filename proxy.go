package grpc

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"golang.org/x/net/http/httpproxy"
	"google.golang.org/grpc/resolver"
)

// proxyForAddr returns the HTTP CONNECT proxy that the environment
// (HTTPS_PROXY, NO_PROXY) names for a connection to addr, or nil. It is
// read on every call, and never applies to localhost or loopback addresses.
// A variable so tests can install a proxy for loopback.
var proxyForAddr = func(addr string) (*url.URL, error) {
	return httpproxy.FromEnvironment().ProxyFunc()(&url.URL{Scheme: "https", Host: addr})
}

// useProxy reports whether connections of this channel may go through an
// environment proxy: not with WithNoProxy or a custom dialer, as in grpc-go.
func (o *dialOptions) useProxy() bool {
	return !o.noProxy && o.dialer == nil
}

// proxyTarget decides, before the resolver is built, whether the target's
// host should be left for the proxy to resolve. grpc-go sends the target's
// name in CONNECT rather than an address resolved here, unless
// WithLocalDNSResolution is set; networks that only reach the outside
// through a proxy often cannot resolve outside names at all.
func (cc *ClientConn) proxyTarget() (string, bool) {
	if !cc.dopts.useProxy() || cc.dopts.localDNSResolution || cc.parsedTarget.URL.Scheme != "dns" {
		return "", false
	}
	host := cc.parsedTarget.Endpoint()
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "443")
	}
	p, err := proxyForAddr(host)
	if err != nil || p == nil {
		return "", false
	}
	return host, true
}

// staticResolver reports one fixed address; it stands in for DNS when the
// proxy resolves the name.
type staticResolver struct{}

func (staticResolver) ResolveNow(resolver.ResolveNowOptions) {}
func (staticResolver) Close()                                {}

// dialProxy connects to addr through the proxy p with an HTTP CONNECT
// handshake.
func dialProxy(ctx context.Context, p *url.URL, addr, userAgent string) (_ net.Conn, err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.Host)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			conn.Close()
		}
	}()
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Host: addr},
		Header: http.Header{"User-Agent": {userAgent}},
	}
	if u := p.User; u != nil {
		pass, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pass)))
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
		defer conn.SetDeadline(time.Time{})
	}
	if err := req.Write(conn); err != nil {
		return nil, fmt.Errorf("failed to write the HTTP request: %v", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, fmt.Errorf("reading server HTTP response: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		dump, derr := httputil.DumpResponse(resp, true)
		if derr != nil {
			return nil, fmt.Errorf("failed to do connect handshake, status code: %s", resp.Status)
		}
		return nil, fmt.Errorf("failed to do connect handshake, response: %q", dump)
	}
	if br.Buffered() > 0 {
		// The server spoke first; keep what the reader already took.
		return &bufferedConn{Conn: conn, r: br}, nil
	}
	return conn, nil
}

// bufferedConn is a net.Conn whose first bytes were read into r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }
