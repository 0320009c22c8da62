package backoff

import (
	"testing"
	"time"

	grpcbackoff "google.golang.org/grpc/backoff"
)

func TestDefaults(t *testing.T) {
	c := grpcbackoff.DefaultConfig
	if c.BaseDelay != time.Second || c.Multiplier != 1.6 || c.Jitter != 0.2 || c.MaxDelay != 120*time.Second {
		t.Fatalf("DefaultConfig = %+v", c)
	}
}

func TestExponential(t *testing.T) {
	e := DefaultExponential
	if got := e.Backoff(0); got != time.Second {
		t.Fatalf("Backoff(0) = %v, want exactly BaseDelay", got)
	}
	tests := []struct {
		retries int
		nominal time.Duration
	}{
		{1, 1600 * time.Millisecond},
		{2, 2560 * time.Millisecond},
		{10, 109951162777}, // 1.6^10 s, just under the cap
		{100, 120 * time.Second},
		{1 << 30, 120 * time.Second},
	}
	for _, tt := range tests {
		for i := 0; i < 50; i++ {
			got := e.Backoff(tt.retries)
			lo := time.Duration(float64(tt.nominal) * 0.8)
			hi := time.Duration(float64(tt.nominal) * 1.2)
			if got < lo-1 || got > hi+1 {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v]", tt.retries, got, lo, hi)
			}
		}
	}
}

func TestNoJitter(t *testing.T) {
	e := Exponential{Config: grpcbackoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 2, MaxDelay: time.Second}}
	for retries, want := range map[int]time.Duration{1: 20 * time.Millisecond, 3: 80 * time.Millisecond, 20: time.Second} {
		if got := e.Backoff(retries); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", retries, got, want)
		}
	}
	var s Strategy = e
	_ = s
}
