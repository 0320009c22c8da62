// Package connectivity defines the states of channels and subchannels
// described in
// https://github.com/grpc/grpc/blob/master/doc/connectivity-semantics-and-api.md.
package connectivity

import "google.golang.org/grpc/grpclog"

var logger = grpclog.Component("core")

// State is the connectivity state of a ClientConn or SubConn.
type State int

const (
	// Idle means no connection is open or being opened.
	Idle State = iota
	// Connecting means a connection is being established.
	Connecting
	// Ready means a connection is up and RPCs can be sent.
	Ready
	// TransientFailure means connecting failed; another attempt will follow.
	TransientFailure
	// Shutdown means the ClientConn or SubConn is closed for good.
	Shutdown
)

// String returns the state's name, e.g. "TRANSIENT_FAILURE", or
// "INVALID_STATE" for an unknown value.
func (s State) String() string {
	switch s {
	case Idle:
		return "IDLE"
	case Connecting:
		return "CONNECTING"
	case Ready:
		return "READY"
	case TransientFailure:
		return "TRANSIENT_FAILURE"
	case Shutdown:
		return "SHUTDOWN"
	}
	logger.Errorf("unknown connectivity state: %d", s)
	return "INVALID_STATE"
}

// ServingMode is whether a server accepts connections. Only xDS-enabled
// servers report it.
type ServingMode int

const (
	// ServingModeStarting means the server is starting.
	ServingModeStarting ServingMode = iota
	// ServingModeServing means the server has its configuration and serves
	// RPCs.
	ServingModeServing
	// ServingModeNotServing means the server lacks configuration, refuses
	// new connections and drains existing ones gracefully.
	ServingModeNotServing
)

// String returns the mode's name, e.g. "NOT_SERVING", or "INVALID_MODE" for
// an unknown value.
func (s ServingMode) String() string {
	switch s {
	case ServingModeStarting:
		return "STARTING"
	case ServingModeServing:
		return "SERVING"
	case ServingModeNotServing:
		return "NOT_SERVING"
	}
	logger.Errorf("unknown serving mode: %d", s)
	return "INVALID_MODE"
}
