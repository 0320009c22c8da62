package grpc

import "sync"

// callbackSerializer runs callbacks one at a time, in the order they were
// scheduled, on a goroutine of its own. The channel funnels every call into
// a balancer through one, so a policy never sees two events at once and
// never runs on the goroutine of a transport or resolver that may hold locks.
type callbackSerializer struct {
	mu      sync.Mutex
	queue   []func()
	wake    chan struct{} // has room for one pending wake-up
	closed  bool
	stopped chan struct{} // closed when the goroutine has exited
}

func newCallbackSerializer() *callbackSerializer {
	s := &callbackSerializer{wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go s.run()
	return s
}

// schedule queues f and reports whether it will run; after close nothing
// more runs.
func (s *callbackSerializer) schedule(f func()) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, f)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

// close runs what is already queued, refuses anything new and waits for the
// goroutine to exit. It must not be called from a callback.
func (s *callbackSerializer) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.stopped
}

func (s *callbackSerializer) run() {
	defer close(s.stopped)
	for range s.wake {
		for {
			s.mu.Lock()
			if len(s.queue) == 0 {
				closed := s.closed
				s.mu.Unlock()
				if closed {
					return
				}
				break
			}
			f := s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			s.mu.Unlock()
			f()
		}
	}
}
