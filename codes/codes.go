// Package codes defines the canonical error codes used by gRPC. It is consistent
// across various languages.
package codes

import (
	"fmt"
	"strconv"
)

// A Code is a status code defined according to the gRPC documentation.
//
// Only the codes defined as consts in this package are valid codes. Do not use
// other code values. Behavior of other codes is implementation-specific and
// interoperability between implementations is not guaranteed.
type Code uint32

const (
	// OK is returned on success.
	OK Code = 0

	// Canceled indicates the operation was canceled (typically by the caller).
	Canceled Code = 1

	// Unknown error, e.g. a status from another error space or an error
	// that carries no status information.
	Unknown Code = 2

	// InvalidArgument indicates the client specified an invalid argument,
	// independently of the state of the system.
	InvalidArgument Code = 3

	// DeadlineExceeded means the operation expired before completion.
	DeadlineExceeded Code = 4

	// NotFound means some requested entity was not found.
	NotFound Code = 5

	// AlreadyExists means an attempt to create an entity failed because one
	// already exists.
	AlreadyExists Code = 6

	// PermissionDenied indicates the caller does not have permission to
	// execute the specified operation.
	PermissionDenied Code = 7

	// ResourceExhausted indicates some resource has been exhausted, perhaps a
	// per-user quota, or the file system is out of space.
	ResourceExhausted Code = 8

	// FailedPrecondition indicates the operation was rejected because the
	// system is not in a state required for the operation's execution.
	FailedPrecondition Code = 9

	// Aborted indicates the operation was aborted, typically due to a
	// concurrency issue such as a transaction abort.
	Aborted Code = 10

	// OutOfRange means the operation was attempted past the valid range.
	OutOfRange Code = 11

	// Unimplemented indicates the operation is not implemented or not
	// supported/enabled in this service.
	Unimplemented Code = 12

	// Internal errors: some invariant expected by the underlying system has
	// been broken.
	Internal Code = 13

	// Unavailable indicates the service is currently unavailable; this is
	// most likely a transient condition that a retry may fix.
	Unavailable Code = 14

	// DataLoss indicates unrecoverable data loss or corruption.
	DataLoss Code = 15

	// Unauthenticated indicates the request does not have valid
	// authentication credentials for the operation.
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
