package balancer

import "google.golang.org/grpc/connectivity"

// ConnectivityStateEvaluator derives a single connectivity state from the
// states of many SubConns by counting how many are in each state.
//
// Callers must serialise access to it.
type ConnectivityStateEvaluator struct {
	ready, connecting, idle, transientFailure int
}

// counter returns the count kept for s, or nil for SHUTDOWN, which is not
// counted: a SubConn entering it simply leaves the tally.
func (cse *ConnectivityStateEvaluator) counter(s connectivity.State) *int {
	switch s {
	case connectivity.Ready:
		return &cse.ready
	case connectivity.Connecting:
		return &cse.connecting
	case connectivity.Idle:
		return &cse.idle
	case connectivity.TransientFailure:
		return &cse.transientFailure
	}
	return nil
}

// RecordTransition notes that one SubConn moved from oldState to newState
// and returns the resulting aggregate state. A new SubConn is recorded as a
// move from SHUTDOWN, a removed one as a move to SHUTDOWN. The aggregate is:
//
//   - READY if any SubConn is READY;
//   - otherwise CONNECTING if any is CONNECTING;
//   - otherwise IDLE if any is IDLE;
//   - otherwise TRANSIENT_FAILURE, also when no SubConn is left.
func (cse *ConnectivityStateEvaluator) RecordTransition(oldState, newState connectivity.State) connectivity.State {
	if c := cse.counter(oldState); c != nil {
		*c--
	}
	if c := cse.counter(newState); c != nil {
		*c++
	}
	return cse.CurrentState()
}

// CurrentState returns the aggregate state of the transitions recorded so
// far, with the rules listed on RecordTransition.
func (cse *ConnectivityStateEvaluator) CurrentState() connectivity.State {
	switch {
	case cse.ready > 0:
		return connectivity.Ready
	case cse.connecting > 0:
		return connectivity.Connecting
	case cse.idle > 0:
		return connectivity.Idle
	}
	return connectivity.TransientFailure
}
