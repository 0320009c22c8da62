package grpc

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/internal/leakcheck"
)

// recordingBackoff returns a tiny delay and reports each retry index asked
// for.
type recordingBackoff struct {
	calls chan int
}

func (b *recordingBackoff) Backoff(retries int) time.Duration {
	select {
	case b.calls <- retries:
	default:
	}
	return time.Millisecond
}

func closedAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func TestAddrConnBackoffSequence(t *testing.T) {
	defer leakcheck.Check(t)
	bo := &recordingBackoff{calls: make(chan int, 100)}
	cc, err := NewClient(closedAddr(t), insecureOpt, withBackoff(bo))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	cc.Connect()
	for want := 0; want < 4; want++ {
		select {
		case got := <-bo.calls:
			if got != want {
				t.Fatalf("backoff asked for retry %d, want %d", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("no connection attempt %d", want)
		}
	}
	if s := cc.GetState(); s != connectivity.TransientFailure {
		t.Fatalf("state %v while failing, want sticky TRANSIENT_FAILURE", s)
	}
	// ResetConnectBackoff starts the sequence again.
	cc.ResetConnectBackoff()
	for {
		select {
		case got := <-bo.calls:
			if got == 0 {
				return
			}
		case <-ctx.Done():
			t.Fatal("backoff never restarted from 0 after ResetConnectBackoff")
		}
	}
}

func TestMinConnectTimeoutBoundsAttempt(t *testing.T) {
	defer leakcheck.Check(t)
	// A dialer that never completes: only the connect deadline ends it.
	deadlines := make(chan time.Duration, 1)
	dialer := func(ctx context.Context, _ string) (net.Conn, error) {
		if dl, ok := ctx.Deadline(); ok {
			select {
			case deadlines <- time.Until(dl):
			default:
			}
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	cc, err := NewClient("passthrough:///x", insecureOpt, WithContextDialer(dialer),
		WithConnectParams(ConnectParams{MinConnectTimeout: 50 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cc.Connect()
	select {
	case d := <-deadlines:
		if d > 50*time.Millisecond {
			t.Fatalf("connect deadline %v, want <= MinConnectTimeout (the zero backoff config adds nothing)", d)
		}
	case <-ctx.Done():
		t.Fatal("dialer never called")
	}
	for s := cc.GetState(); s != connectivity.TransientFailure; s = cc.GetState() {
		if !cc.WaitForStateChange(ctx, s) {
			t.Fatalf("stuck in %v; a hung dial must time out", s)
		}
	}
}
