// Package leakcheck fails a test that leaves goroutines running.
//
// Use it as the first statement of a test:
//
//	defer leakcheck.Check(t)
//
// Goroutines belonging to the testing framework and the runtime are ignored.
// Because goroutines of a finished RPC may take a moment to notice and exit,
// Check waits up to ten seconds for them to go away before failing.
//
// Check sees every goroutine in the process, so it cannot tell apart
// goroutines of tests running in parallel: do not combine it with
// t.Parallel.
package leakcheck

import (
	"runtime"
	"sort"
	"strings"
	"time"
)

// Errorfer is the part of testing.TB that Check needs.
type Errorfer interface {
	Errorf(format string, args ...any)
}

// ignored lists stack substrings of goroutines that are not ours to clean
// up: the test framework, the runtime, and this package.
var ignored = []string{
	"testing.Main(",
	"testing.tRunner(",
	"testing.(*M).",
	"testing.(*F).",
	"testing.runFuzzing(",
	"testing.runFuzzTests(",
	"testing/internal/testdeps.",
	"runtime.goexit",
	"created by runtime.gc",
	"created by runtime/trace.Start",
	"runtime.MHeap_Scavenger",
	"os/signal.signal_recv",
	"os/signal.loop",
	"signal.signal_recv",
	"internal/leakcheck.interesting",
	"runtime.ReadTrace",
	"created by os/signal.Notify",
	"testing.RunTests(",
	"goroutine in C code",
}

// RegisterIgnoreGoroutine adds s to the stack substrings that mark a
// goroutine as not a leak. Call it only from init functions.
func RegisterIgnoreGoroutine(s string) {
	ignored = append(ignored, s)
}

// interesting returns the stacks of goroutines other than the caller's that
// are not ignored.
func interesting() []string {
	buf := make([]byte, 2<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	// The first block is the calling goroutine.
	for _, g := range strings.Split(string(buf), "\n\n")[1:] {
		if isIgnored(g) {
			continue
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

func isIgnored(stack string) bool {
	// A goroutine whose only frame is goexit is on its way out.
	lines := strings.Split(strings.TrimSpace(stack), "\n")
	if len(lines) < 2 {
		return true
	}
	for _, s := range ignored {
		if s == "runtime.goexit" {
			// goexit is the bottom frame of every goroutine; only a stack
			// with nothing above it is ignorable.
			if len(lines) <= 3 && strings.Contains(stack, s) {
				return true
			}
			continue
		}
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}

// Check waits up to ten seconds for all goroutines other than the test
// framework's to exit, and reports any that remain as an error on t.
func Check(t Errorfer) {
	CheckTimeout(t, 10*time.Second)
}

// CheckTimeout is Check with a custom wait.
func CheckTimeout(t Errorfer, timeout time.Duration) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		left := interesting()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, g := range left {
				t.Errorf("leaked goroutine:\n%s", g)
			}
			return
		}
		// Polling is fine here: we are waiting for code under test to wind
		// down, not synchronising with it.
		time.Sleep(wait)
		wait = min(wait*2, 100*time.Millisecond)
	}
}
