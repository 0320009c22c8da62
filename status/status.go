// Package status converts between errors and gRPC statuses. A handler
// returns an error made here; its code, message and details travel to the
// client, whose RPC returns an equivalent error.
//
// An OK status always converts to a nil error, and a non-nil error never has
// code OK.
package status

import (
	"context"
	"errors"
	"fmt"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/status"
)

// Status is the outcome of an RPC: code, message and details. Create one with
// New, Newf or FromProto; it is never modified afterwards.
type Status = status.Status

// New returns a Status with code c and message msg.
func New(c codes.Code, msg string) *Status {
	return status.New(c, msg)
}

// Newf is New with the message built by fmt.Sprintf(format, a...).
func Newf(c codes.Code, format string, a ...any) *Status {
	return status.New(c, fmt.Sprintf(format, a...))
}

// Error returns an error with code c and message msg, or nil if c is OK.
func Error(c codes.Code, msg string) error {
	return status.New(c, msg).Err()
}

// Errorf is Error with the message built by fmt.Sprintf(format, a...).
func Errorf(c codes.Code, format string, a ...any) error {
	return Error(c, fmt.Sprintf(format, a...))
}

// ErrorProto returns an error holding a copy of s, or nil if s has code OK.
func ErrorProto(s *spb.Status) error {
	return FromProto(s).Err()
}

// FromProto returns a Status holding a copy of s.
func FromProto(s *spb.Status) *Status {
	return status.FromProto(s)
}

// grpcStatuser is implemented by errors that carry a gRPC status.
type grpcStatuser interface{ GRPCStatus() *Status }

// FromError returns the Status carried by err and whether err carried one.
//
// A nil err gives (nil, true); a nil *Status behaves as OK. An err that has,
// or wraps, a `GRPCStatus() *Status` method returning non-nil gives that
// status and true; when the status was found by unwrapping, its message is
// replaced by the full err.Error() text so the wrapping context is kept.
// Anything else, including a GRPCStatus method returning nil, gives an
// Unknown status with err.Error() as the message, and false.
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

// Convert is FromError without the boolean.
func Convert(err error) *Status {
	s, _ := FromError(err)
	return s
}

// Code returns the status code of err: OK for nil, the code of a status
// error (wrapped or not), Unknown otherwise.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	return Convert(err).Code()
}

// FromContextError maps a context error, possibly wrapped, to a Status:
// DeadlineExceeded or Canceled, with err.Error() as the message. Other
// errors map to Unknown, and nil to a nil (OK) Status.
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
