package grpc

import "testing"

func TestDialAddressForms(t *testing.T) {
	for _, tc := range []struct {
		in            dialAddress
		network, addr string
		forDialer     string
	}{
		{dialAddress{"", "host:1"}, "tcp", "host:1", "host:1"},
		{dialAddress{"", "unix:///tmp/s"}, "unix", "/tmp/s", "unix:///tmp/s"},
		{dialAddress{"", "unix:rel/s"}, "unix", "rel/s", "unix:rel/s"},
		{dialAddress{"unix", "/abs/s"}, "unix", "/abs/s", "unix:///abs/s"},
		{dialAddress{"unix", "rel/s"}, "unix", "rel/s", "unix:rel/s"},
		{dialAddress{"tcp", "1.2.3.4:5"}, "tcp", "1.2.3.4:5", "1.2.3.4:5"},
	} {
		if n, a := networkAndAddress(tc.in); n != tc.network || a != tc.addr {
			t.Errorf("networkAndAddress(%v) = %q, %q; want %q, %q", tc.in, n, a, tc.network, tc.addr)
		}
		if got := dialerAddress(tc.in); got != tc.forDialer {
			t.Errorf("dialerAddress(%v) = %q, want %q", tc.in, got, tc.forDialer)
		}
	}
}

func TestSplitHostPort(t *testing.T) {
	for _, tc := range []struct{ in, host, port string }{
		{"example.com", "example.com", "443"},
		{"example.com:80", "example.com", "80"},
		{"[::1]:80", "::1", "80"},
		{"::1", "::1", "443"},
		{":80", "localhost", "80"},
	} {
		h, p, err := splitHostPort(tc.in)
		if err != nil || h != tc.host || p != tc.port {
			t.Errorf("splitHostPort(%q) = %q, %q, %v; want %q, %q", tc.in, h, p, err, tc.host, tc.port)
		}
	}
	for _, bad := range []string{"", "host:", "a:b:c"} {
		if _, _, err := splitHostPort(bad); err == nil {
			t.Errorf("splitHostPort(%q) succeeded", bad)
		}
	}
}
