package dns

import (
	"testing"
	"time"

	"google.golang.org/grpc/internal/resolver/dns"
	"google.golang.org/grpc/resolver"
)

func TestSetters(t *testing.T) {
	origTimeout, origInterval := dns.ResolvingTimeout, dns.MinResolutionInterval
	defer func() { dns.ResolvingTimeout, dns.MinResolutionInterval = origTimeout, origInterval }()

	if origTimeout != 30*time.Second || origInterval != 30*time.Second {
		t.Errorf("defaults = %v, %v; want 30s, 30s", origTimeout, origInterval)
	}
	SetResolvingTimeout(5 * time.Second)
	SetMinResolutionInterval(time.Second)
	if dns.ResolvingTimeout != 5*time.Second || dns.MinResolutionInterval != time.Second {
		t.Errorf("after setters: %v, %v; want 5s, 1s", dns.ResolvingTimeout, dns.MinResolutionInterval)
	}
}

func TestBuilder(t *testing.T) {
	if s := NewBuilder().Scheme(); s != "dns" {
		t.Errorf("NewBuilder().Scheme() = %q; want dns", s)
	}
	if resolver.Get("dns") == nil {
		t.Error("dns resolver not registered")
	}
}
