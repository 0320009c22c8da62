package connectivity

import "testing"

func TestStrings(t *testing.T) {
	for s, want := range map[State]string{
		Idle: "IDLE", Connecting: "CONNECTING", Ready: "READY",
		TransientFailure: "TRANSIENT_FAILURE", Shutdown: "SHUTDOWN", 9: "INVALID_STATE",
	} {
		if s.String() != want {
			t.Errorf("State(%d) = %q, want %q", int(s), s.String(), want)
		}
	}
	for m, want := range map[ServingMode]string{
		ServingModeStarting: "STARTING", ServingModeServing: "SERVING",
		ServingModeNotServing: "NOT_SERVING", 9: "INVALID_MODE",
	} {
		if m.String() != want {
			t.Errorf("ServingMode(%d) = %q, want %q", int(m), m.String(), want)
		}
	}
}
