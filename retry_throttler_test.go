package grpc

import (
	"sync"
	"testing"
)

func TestRetryThrottlerNilIsNoThrottling(t *testing.T) {
	rt := newRetryThrottler(nil)
	if rt != nil {
		t.Fatalf("newRetryThrottler(nil) = %+v, want nil", rt)
	}
	for i := 0; i < 10; i++ {
		if rt.throttle() {
			t.Fatalf("nil throttler throttled on call %d", i)
		}
		rt.successfulRPC()
	}
}

// throttleStep is one event fed to a throttler: a failure (throttle) or a
// success, with the expected outcome and bucket level afterwards.
type throttleStep struct {
	fail      bool
	want      bool  // throttle's result; ignored for successes
	wantMilli int64 // tokens after the step, in thousandths
}

func TestRetryThrottlerArithmetic(t *testing.T) {
	fail := func(want bool, milli int64) throttleStep {
		return throttleStep{fail: true, want: want, wantMilli: milli}
	}
	ok := func(milli int64) throttleStep { return throttleStep{wantMilli: milli} }
	tests := []struct {
		name   string
		policy retryThrottlingPolicy
		steps  []throttleStep
	}{
		{
			name:   "throttles once at or below half",
			policy: retryThrottlingPolicy{MaxTokens: 10, TokenRatio: 0.1},
			steps: []throttleStep{
				fail(false, 9000), fail(false, 8000), fail(false, 7000), fail(false, 6000),
				fail(true, 5000), // exactly half counts as throttled
				ok(5100), ok(5200),
				fail(true, 4200),
			},
		},
		{
			name:   "recovers above half",
			policy: retryThrottlingPolicy{MaxTokens: 4, TokenRatio: 0.5},
			steps: []throttleStep{
				fail(false, 3000), fail(true, 2000),
				ok(2500), ok(3000), ok(3500),
				fail(false, 2500),
			},
		},
		{
			name:   "odd bucket size",
			policy: retryThrottlingPolicy{MaxTokens: 3, TokenRatio: 1},
			steps:  []throttleStep{fail(false, 2000), fail(true, 1000), ok(2000), fail(true, 1000)},
		},
		{
			name:   "never below zero",
			policy: retryThrottlingPolicy{MaxTokens: 1, TokenRatio: 0.25},
			steps: []throttleStep{
				fail(true, 0), fail(true, 0), fail(true, 0),
				ok(250), fail(true, 0),
				ok(250), ok(500), ok(750), fail(true, 0),
			},
		},
		{
			name:   "never above max",
			policy: retryThrottlingPolicy{MaxTokens: 2, TokenRatio: 0.75},
			steps:  []throttleStep{ok(2000), fail(true, 1000), ok(1750), ok(2000), ok(2000), fail(true, 1000)},
		},
		{
			name:   "fractional max",
			policy: retryThrottlingPolicy{MaxTokens: 2.5, TokenRatio: 0.001},
			steps:  []throttleStep{fail(false, 1500), ok(1501), fail(true, 501)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newRetryThrottler(&tt.policy)
			if want := toMilli(tt.policy.MaxTokens); rt.tokenMilli != want {
				t.Fatalf("new bucket holds %d thousandths, want %d (full)", rt.tokenMilli, want)
			}
			for i, s := range tt.steps {
				if s.fail {
					if got := rt.throttle(); got != s.want {
						t.Errorf("step %d: throttle() = %v, want %v", i, got, s.want)
					}
				} else {
					rt.successfulRPC()
				}
				if rt.tokenMilli != s.wantMilli {
					t.Fatalf("step %d: bucket holds %d thousandths, want %d", i, rt.tokenMilli, s.wantMilli)
				}
			}
		})
	}
}

// A ratio of 0.1 has no exact binary form; summing it as a float a thousand
// times would not give exactly 100. The bucket must.
func TestRetryThrottlerNoFloatDrift(t *testing.T) {
	rt := newRetryThrottler(&retryThrottlingPolicy{MaxTokens: 1000, TokenRatio: 0.1})
	for i := 0; i < 1000; i++ {
		rt.throttle()
	}
	if rt.tokenMilli != 0 {
		t.Fatalf("after draining: %d thousandths, want 0", rt.tokenMilli)
	}
	for i := 0; i < 1000; i++ {
		rt.successfulRPC()
	}
	if rt.tokenMilli != 100_000 {
		t.Fatalf("after 1000 successes at 0.1: %d thousandths, want exactly 100000", rt.tokenMilli)
	}
}

func TestRetryThrottlerConcurrent(t *testing.T) {
	// Sizes chosen so the bucket never hits zero or max mid-way: the result
	// is then independent of interleaving, and lost updates would show.
	rt := newRetryThrottler(&retryThrottlingPolicy{MaxTokens: 1000, TokenRatio: 1})
	const workers, each = 50, 10
	run := func(f func()) {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					f()
				}
			}()
		}
		wg.Wait()
	}
	run(func() { rt.throttle() })
	if want := int64(1000-workers*each) * 1000; rt.tokenMilli != want {
		t.Fatalf("after concurrent failures: %d thousandths, want %d", rt.tokenMilli, want)
	}
	run(rt.successfulRPC)
	if rt.tokenMilli != 1_000_000 {
		t.Fatalf("after concurrent successes: %d thousandths, want 1000000", rt.tokenMilli)
	}
}

func TestRetryThrottlerFromParsedConfig(t *testing.T) {
	r := parseServiceConfig(`{"retryThrottling": {"maxTokens": 3, "tokenRatio": 0.5}}`, 5)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	rt := newRetryThrottler(r.Config.(*ServiceConfig).retryThrottling)
	if rt.throttle() {
		t.Error("first failure (3 -> 2 tokens) throttled")
	}
	if !rt.throttle() {
		t.Error("second failure (2 -> 1 tokens) not throttled")
	}
	rt.successfulRPC() // 1.5: still at half
	if !rt.throttle() {
		t.Error("third failure (1.5 -> 0.5 tokens) not throttled")
	}
}
