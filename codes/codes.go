// Package codes defines the status codes of gRPC, which are the same in
// every gRPC implementation.
package codes

import (
	"fmt"
	"strconv"
)

// Code is a gRPC status code. Only the constants below are meaningful;
// other values are not portable between implementations.
type Code uint32

// The codes, with their numeric values as sent in grpc-status. See
// https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for when each
// applies.
const (
	// OK means success.
	OK Code = 0
	// Canceled means the call was canceled, usually by the caller.
	Canceled Code = 1
	// Unknown is used for errors that carry no status, or a status from an
	// unknown error space.
	Unknown Code = 2
	// InvalidArgument means the request is malformed regardless of system
	// state.
	InvalidArgument Code = 3
	// DeadlineExceeded means the deadline passed before the call completed.
	DeadlineExceeded Code = 4
	// NotFound means a requested entity does not exist.
	NotFound Code = 5
	// AlreadyExists means an entity the call tried to create exists already.
	AlreadyExists Code = 6
	// PermissionDenied means the caller is identified but not allowed to do
	// this.
	PermissionDenied Code = 7
	// ResourceExhausted means a quota or other resource ran out; gRPC also
	// uses it for messages over the size limit.
	ResourceExhausted Code = 8
	// FailedPrecondition means the system is not in the state the operation
	// needs; retrying unchanged will not help.
	FailedPrecondition Code = 9
	// Aborted means the operation was aborted, e.g. by a concurrency
	// conflict; retrying at a higher level may help.
	Aborted Code = 10
	// OutOfRange means the operation went past a valid range, e.g. reading
	// past the end of a file.
	OutOfRange Code = 11
	// Unimplemented means the method is not implemented or not enabled.
	Unimplemented Code = 12
	// Internal means an invariant of the system is broken.
	Internal Code = 13
	// Unavailable means the service cannot be reached right now; it is
	// usually transient and safe to retry.
	Unavailable Code = 14
	// DataLoss means data was lost or corrupted beyond recovery.
	DataLoss Code = 15
	// Unauthenticated means the caller has no valid credentials.
	Unauthenticated Code = 16

	maxCode = 17
)

// names holds the Go-style names returned by String, indexed by code.
var names = [maxCode]string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
	"NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
	"FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
	"Internal", "Unavailable", "DataLoss", "Unauthenticated",
}

// canonical holds the cross-language names (note "CANCELLED"), used in JSON
// service configs.
var canonical = [maxCode]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// String returns the Go name of c, e.g. "DeadlineExceeded", or "Code(N)" for
// an unknown value.
func (c Code) String() string {
	if c < maxCode {
		return names[c]
	}
	return "Code(" + strconv.FormatInt(int64(c), 10) + ")"
}

// UnmarshalJSON unmarshals b into the Code. It accepts either a number or the
// quoted canonical name, e.g. "DEADLINE_EXCEEDED".
func (c *Code) UnmarshalJSON(b []byte) error {
	// Like encoding/json itself, treat null as a no-op.
	if string(b) == "null" {
		return nil
	}
	if c == nil {
		return fmt.Errorf("nil receiver passed to UnmarshalJSON")
	}
	if n, err := strconv.ParseUint(string(b), 10, 32); err == nil {
		if n >= maxCode {
			return fmt.Errorf("invalid code: %d", n)
		}
		*c = Code(n)
		return nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		name := string(b[1 : len(b)-1])
		for i, s := range canonical {
			if s == name {
				*c = Code(i)
				return nil
			}
		}
	}
	return fmt.Errorf("invalid code: %q", string(b))
}
