package transport

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/status"
)

// movableDeadlineCtx reports a deadline the test can move into the past
// without its Done channel ever firing, so the order "deadline passed, then
// the server's RST_STREAM arrives" is certain.
type movableDeadlineCtx struct {
	context.Context
	deadline atomic.Int64 // unix nanoseconds
}

func (c *movableDeadlineCtx) Deadline() (time.Time, bool) {
	return time.Unix(0, c.deadline.Load()), true
}

func TestRSTCancelAfterDeadlineIsDeadlineExceeded(t *testing.T) {
	defer leakcheck.Check(t)
	reset := make(chan struct{})
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, func(s *ServerStream) {
		<-reset
		s.st.finish(s, nil, true, true, http2.ErrCodeCancel)
	})
	defer done()

	for _, tc := range []struct {
		name     string
		expired  bool
		wantCode codes.Code
	}{
		{"deadline not yet passed", false, codes.Canceled},
		{"deadline passed", true, codes.DeadlineExceeded},
	} {
		ctx := &movableDeadlineCtx{Context: context.Background()}
		ctx.deadline.Store(time.Now().Add(time.Hour).UnixNano())
		cs, err := ct.NewStream(ctx, &CallHdr{Method: "/svc/m"})
		if err != nil {
			t.Fatal(err)
		}
		if tc.expired {
			ctx.deadline.Store(time.Now().Add(-time.Second).UnixNano())
		}
		reset <- struct{}{}
		if _, err := cs.Read(5); status.Code(err) != tc.wantCode {
			t.Errorf("%s: Read error = %v, want code %v", tc.name, err, tc.wantCode)
		}
		cs.Close(nil)
	}
}
