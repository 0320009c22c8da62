// Package status implements errors returned by gRPC. These errors are
// serialized and transmitted on the wire between server and client, and allow
// for additional data to be transmitted via the Details field in the status
// proto. gRPC service handlers should return an error created by this package,
// and gRPC clients should expect a corresponding error to be returned from the
// RPC call.
//
// This package upholds the invariants that a non-nil error may not contain an
// OK code, and an OK code must result in a nil error.
package status

import (
	"context"
	"errors"
	"fmt"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/status"
)

// Status references google.golang.org/grpc/internal/status. It represents an
// RPC status code, message, and details. It is immutable and should be
// created with New, Newf, or FromProto.
type Status = status.Status

// New returns a Status representing c and msg.
func New(c codes.Code, msg string) *Status {
	return status.New(c, msg)
}

// Newf returns New(c, fmt.Sprintf(format, a...)).
func Newf(c codes.Code, format string, a ...any) *Status {
	return status.New(c, fmt.Sprintf(format, a...))
}

// Error returns an error representing c and msg. If c is OK, returns nil.
func Error(c codes.Code, msg string) error {
	return status.New(c, msg).Err()
}

// Errorf returns Error(c, fmt.Sprintf(format, a...)).
func Errorf(c codes.Code, format string, a ...any) error {
	return Error(c, fmt.Sprintf(format, a...))
}

// ErrorProto returns an error representing s. If s.Code is OK, returns nil.
func ErrorProto(s *spb.Status) error {
	return FromProto(s).Err()
}

// FromProto returns a Status representing s.
func FromProto(s *spb.Status) *Status {
	return status.FromProto(s)
}

// grpcStatuser is implemented by errors that carry a gRPC status.
type grpcStatuser interface{ GRPCStatus() *Status }

// FromError returns a Status representation of err.
//
//   - If err was produced by this package or implements the method
//     `GRPCStatus() *Status` and `GRPCStatus()` does not return nil, or if err
//     wraps a type satisfying this, the Status from `GRPCStatus()` is returned.
//     For wrapped errors, the message returned contains the entire err.Error()
//     text and not just the wrapped status. In that case, ok is true.
//
//   - If err is nil, a Status is returned with codes.OK and no message, and ok
//     is true.
//
//   - If err implements the method `GRPCStatus() *Status` and `GRPCStatus()`
//     returns nil (which maps to Codes.OK), or if err wraps a type satisfying
//     this, a Status is returned with codes.Unknown and err's Error() message,
//     and ok is false.
//
//   - Otherwise, err is an error not compatible with this package. In this
//     case, a Status is returned with codes.Unknown and err's Error() message,
//     and ok is false.
func FromError(err error) (s *Status, ok bool) {
	if err == nil {
		return nil, true
	}
	if gs, isGS := err.(grpcStatuser); isGS {
		if st := gs.GRPCStatus(); st != nil {
			return st, true
		}
		return New(codes.Unknown, err.Error()), false
	}
	var gs grpcStatuser
	if errors.As(err, &gs) {
		st := gs.GRPCStatus()
		if st == nil {
			return New(codes.Unknown, err.Error()), false
		}
		// A wrapping error adds context the caller wants to keep, so the
		// message becomes the full text while code and details are kept.
		p := st.Proto()
		p.Message = err.Error()
		return status.FromProtoNoCopy(p), true
	}
	return New(codes.Unknown, err.Error()), false
}

// Convert is a convenience function which removes the need to handle the
// boolean return value from FromError.
func Convert(err error) *Status {
	s, _ := FromError(err)
	return s
}

// Code returns the Code of the error if it is a Status error or if it wraps a
// Status error. If that is not the case, it returns codes.OK if err is nil, or
// codes.Unknown otherwise.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	return Convert(err).Code()
}

// FromContextError converts a context error or wrapped context error into a
// Status. It returns a Status with codes.OK if err is nil, or a Status with
// codes.Unknown if err is non-nil and not a context error.
func FromContextError(err error) *Status {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return New(codes.DeadlineExceeded, err.Error())
	}
	if errors.Is(err, context.Canceled) {
		return New(codes.Canceled, err.Error())
	}
	return New(codes.Unknown, err.Error())
}
