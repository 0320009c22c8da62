package balancer

import (
	"testing"

	"google.golang.org/grpc/connectivity"
)

type namedBuilder struct{ name string }

func (b namedBuilder) Build(ClientConn, BuildOptions) Balancer { return nil }
func (b namedBuilder) Name() string                            { return b.name }

func TestRegistryIsCaseSensitive(t *testing.T) {
	Register(namedBuilder{"Test_Policy"})
	defer delete(registry, "Test_Policy")
	if Get("Test_Policy") == nil {
		t.Fatal("Get(exact name) = nil")
	}
	if Get("test_policy") != nil {
		t.Fatal("Get(lower-cased name) found a builder registered with upper case")
	}
	if Get("no-such-policy") != nil {
		t.Fatal("Get(unknown) != nil")
	}
}

func TestRegisterReplaces(t *testing.T) {
	first, second := namedBuilder{"dup"}, namedBuilder{"dup"}
	Register(first)
	Register(second)
	defer delete(registry, "dup")
	if Get("dup") != Builder(second) {
		t.Fatal("the last registration should win")
	}
}

func TestTransientFailureErrorIsIdentity(t *testing.T) {
	if TransientFailureError(ErrBadResolverState) != ErrBadResolverState {
		t.Fatal("TransientFailureError changed its argument")
	}
}

func TestConnectivityStateEvaluator(t *testing.T) {
	var e ConnectivityStateEvaluator
	if got := e.CurrentState(); got != connectivity.TransientFailure {
		t.Fatalf("empty evaluator: %v, want TRANSIENT_FAILURE", got)
	}
	steps := []struct {
		from, to, want connectivity.State
	}{
		{connectivity.Shutdown, connectivity.Idle, connectivity.Idle},
		{connectivity.Shutdown, connectivity.Idle, connectivity.Idle},
		{connectivity.Idle, connectivity.Connecting, connectivity.Connecting},
		{connectivity.Idle, connectivity.TransientFailure, connectivity.Connecting},
		{connectivity.Connecting, connectivity.Ready, connectivity.Ready},
		{connectivity.TransientFailure, connectivity.Connecting, connectivity.Ready},
		{connectivity.Ready, connectivity.Idle, connectivity.Connecting},
		{connectivity.Connecting, connectivity.TransientFailure, connectivity.Idle},
		{connectivity.Idle, connectivity.Shutdown, connectivity.TransientFailure},
		{connectivity.TransientFailure, connectivity.Shutdown, connectivity.TransientFailure},
	}
	for i, s := range steps {
		if got := e.RecordTransition(s.from, s.to); got != s.want {
			t.Fatalf("step %d (%v -> %v): %v, want %v", i, s.from, s.to, got, s.want)
		}
	}
}
