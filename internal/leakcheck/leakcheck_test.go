package leakcheck

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

type recorder struct{ errs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestNoLeak(t *testing.T) {
	r := &recorder{}
	CheckTimeout(r, time.Second)
	if len(r.errs) != 0 {
		t.Fatalf("clean test reported leaks: %v", r.errs)
	}
}

func TestFindsLeakAndWaitsForExit(t *testing.T) {
	stop := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		<-stop
	}()
	r := &recorder{}
	CheckTimeout(r, 50*time.Millisecond)
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "TestFindsLeakAndWaitsForExit") {
		t.Fatalf("leak not reported: %v", r.errs)
	}

	// A goroutine that exits while Check is waiting is not a leak.
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(stop)
	}()
	r = &recorder{}
	CheckTimeout(r, 5*time.Second)
	if len(r.errs) != 0 {
		t.Fatalf("exiting goroutine reported: %v", r.errs)
	}
	<-exited
}
