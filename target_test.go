package grpc

import (
	"testing"

	"google.golang.org/grpc/internal/resolver/networktype"
	"google.golang.org/grpc/resolver"
)

func TestDialAddressForms(t *testing.T) {
	unix := func(addr string) resolver.Address {
		return networktype.Set(resolver.Address{Addr: addr}, "unix")
	}
	for _, tc := range []struct {
		in            resolver.Address
		network, addr string
		forDialer     string
	}{
		{resolver.Address{Addr: "host:1"}, "tcp", "host:1", "host:1"},
		{resolver.Address{Addr: "unix:///tmp/s"}, "unix", "/tmp/s", "unix:///tmp/s"},
		{resolver.Address{Addr: "unix:rel/s"}, "unix", "rel/s", "unix:rel/s"},
		{unix("/abs/s"), "unix", "/abs/s", "unix:///abs/s"},
		{unix("rel/s"), "unix", "rel/s", "unix:rel/s"},
		{unix("@abstract"), "unix", "@abstract", "@abstract"},
	} {
		n, a := networkAndAddress(tc.in)
		if n != tc.network || a != tc.addr {
			t.Errorf("networkAndAddress(%v) = %q, %q; want %q, %q", tc.in, n, a, tc.network, tc.addr)
		}
		if got := dialerAddress(n, tc.in.Addr, a); got != tc.forDialer {
			t.Errorf("dialerAddress(%v) = %q, want %q", tc.in, got, tc.forDialer)
		}
	}
}
