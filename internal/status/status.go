// Package status holds the Status type behind the public status package, plus
// helpers the transport needs that grpc-go does not export.
package status

import (
	"errors"
	"fmt"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/anypb"
)

// Status is the outcome of an RPC: a code, a message and optional details,
// held as a google.rpc.Status proto. A Status is never modified after
// creation; a nil *Status means OK.
type Status struct {
	s *spb.Status
}

// okStatus is shared by every plain OK status: a Status never changes,
// and OK is by far the most common outcome of an RPC.
var okStatus = &Status{s: &spb.Status{}}

// New returns a Status with code c and message msg.
func New(c codes.Code, msg string) *Status {
	if c == codes.OK && msg == "" {
		return okStatus
	}
	return &Status{s: &spb.Status{Code: int32(c), Message: msg}}
}

// FromProto returns a Status holding a copy of s.
func FromProto(s *spb.Status) *Status {
	return &Status{s: proto.Clone(s).(*spb.Status)}
}

// FromProtoNoCopy wraps s without cloning; the caller must not modify s.
func FromProtoNoCopy(s *spb.Status) *Status {
	return &Status{s: s}
}

// NewWithProto builds the status of a finished RPC from its grpc-status code,
// decoded grpc-message and the raw grpc-status-details-bin values. When the
// details proto disagrees with grpc-status, the result is Internal, because
// the peer sent inconsistent trailers.
func NewWithProto(code codes.Code, message string, details []string) *Status {
	if len(details) != 1 {
		return New(code, message)
	}
	st := &spb.Status{}
	if err := proto.Unmarshal([]byte(details[0]), st); err != nil {
		return New(code, message)
	}
	if st.Code != int32(code) {
		return New(codes.Internal, fmt.Sprintf(
			"grpc-status-details-bin mismatch: grpc-status=%v, grpc-message=%q, grpc-status-details-bin=%+v",
			code, message, st))
	}
	return &Status{s: st}
}

// RawProto returns the proto inside s without copying it; it must not be
// modified. It returns nil for a nil Status.
func RawProto(s *Status) *spb.Status {
	if s == nil {
		return nil
	}
	return s.s
}

// Code returns the status code; OK for a nil Status.
func (s *Status) Code() codes.Code {
	if s == nil || s.s == nil {
		return codes.OK
	}
	return codes.Code(s.s.Code)
}

// Message returns the status message; "" for a nil Status.
func (s *Status) Message() string {
	if s == nil || s.s == nil {
		return ""
	}
	return s.s.Message
}

// Proto returns a copy of the status as a google.rpc.Status proto, or nil
// for a nil Status.
func (s *Status) Proto() *spb.Status {
	if s == nil {
		return nil
	}
	return proto.Clone(s.s).(*spb.Status)
}

// Err returns s as an error, or nil when the code is OK.
func (s *Status) Err() error {
	if s.Code() == codes.OK {
		return nil
	}
	return &Error{s: s}
}

// WithDetails returns a copy of s with details packed as Any messages and
// appended. It fails for an OK status, which cannot carry details, and when
// a detail cannot be packed.
func (s *Status) WithDetails(details ...protoadapt.MessageV1) (*Status, error) {
	if s.Code() == codes.OK {
		return nil, errors.New("no error details for status with code OK")
	}
	p := s.Proto()
	for _, d := range details {
		a, err := anypb.New(protoadapt.MessageV2Of(d))
		if err != nil {
			return nil, err
		}
		p.Details = append(p.Details, a)
	}
	return &Status{s: p}, nil
}

// Details returns the decoded detail messages. A detail whose type is not
// linked into the binary, or that fails to decode, appears as the error
// instead.
func (s *Status) Details() []any {
	if s == nil || s.s == nil {
		return nil
	}
	out := make([]any, 0, len(s.s.Details))
	for _, a := range s.s.Details {
		m, err := a.UnmarshalNew()
		if err != nil {
			out = append(out, err)
			continue
		}
		out = append(out, protoadapt.MessageV1Of(m))
	}
	return out
}

// String returns the status in the same form as its error:
// "rpc error: code = <code> desc = <message>".
func (s *Status) String() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", s.Code(), s.Message())
}

// Error is the error form of a non-OK Status, as returned by Status.Err.
type Error struct {
	s *Status
}

// Error returns "rpc error: code = <code> desc = <message>".
func (e *Error) Error() string {
	return e.s.String()
}

// GRPCStatus returns the Status e was made from; status.FromError looks for
// this method.
func (e *Error) GRPCStatus() *Status {
	return e.s
}

// Is reports whether target is an *Error with an equal code, message and
// details, so errors.Is can compare status errors by value.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return proto.Equal(e.s.s, t.s.s)
}

// IsRestrictedControlPlaneCode reports whether s has a code that the control
// plane (e.g. per-RPC credentials) must not hand to the application as is;
// gRFC A54 requires such codes to be converted to Internal.
func IsRestrictedControlPlaneCode(s *Status) bool {
	switch s.Code() {
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.FailedPrecondition,
		codes.Aborted, codes.OutOfRange, codes.DataLoss:
		return true
	}
	return false
}
