package status

import (
	"context"
	"errors"
	"fmt"
	"testing"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	istatus "google.golang.org/grpc/internal/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestErrorText(t *testing.T) {
	err := Errorf(codes.NotFound, "no %s", "thing")
	if got, want := err.Error(), "rpc error: code = NotFound desc = no thing"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if got := New(codes.Code(99), "x").String(); got != "rpc error: code = Code(99) desc = x" {
		t.Fatalf("String() = %q", got)
	}
}

func TestOKIsNil(t *testing.T) {
	if Error(codes.OK, "fine") != nil || New(codes.OK, "").Err() != nil {
		t.Fatal("OK status produced an error")
	}
	if ErrorProto(&spb.Status{}) != nil {
		t.Fatal("ErrorProto(OK) != nil")
	}
	var s *Status
	if s.Code() != codes.OK || s.Message() != "" || s.Proto() != nil || s.Details() != nil || s.Err() != nil {
		t.Fatal("nil *Status does not behave as OK")
	}
}

func TestFromError(t *testing.T) {
	st := New(codes.Unavailable, "down")
	tests := []struct {
		name     string
		err      error
		wantCode codes.Code
		wantMsg  string
		wantOK   bool
	}{
		{"status", st.Err(), codes.Unavailable, "down", true},
		{"wrapped", fmt.Errorf("dialing: %w", st.Err()), codes.Unavailable, "dialing: rpc error: code = Unavailable desc = down", true},
		{"plain", errors.New("boom"), codes.Unknown, "boom", false},
		{"nil GRPCStatus", nilStatusErr{}, codes.Unknown, "nil status", false},
		{"wrapped nil GRPCStatus", fmt.Errorf("w: %w", nilStatusErr{}), codes.Unknown, "w: nil status", false},
		{"custom", customErr{}, codes.PermissionDenied, "custom", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := FromError(tt.err)
			if s.Code() != tt.wantCode || s.Message() != tt.wantMsg || ok != tt.wantOK {
				t.Fatalf("FromError = (%v, %q, %v), want (%v, %q, %v)", s.Code(), s.Message(), ok, tt.wantCode, tt.wantMsg, tt.wantOK)
			}
			if Code(tt.err) != tt.wantCode || Convert(tt.err).Code() != tt.wantCode {
				t.Fatal("Code/Convert disagree with FromError")
			}
		})
	}
	if s, ok := FromError(nil); s != nil || !ok {
		t.Fatalf("FromError(nil) = %v, %v", s, ok)
	}
	if Code(nil) != codes.OK {
		t.Fatal("Code(nil) != OK")
	}
}

func TestFromErrorWrappedKeepsDetails(t *testing.T) {
	st, err := New(codes.Aborted, "a").WithDetails(wrapperspb.String("d"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := FromError(fmt.Errorf("ctx: %w", st.Err()))
	if len(s.Details()) != 1 {
		t.Fatalf("details lost through wrapping: %v", s.Details())
	}
	// The original status must not be modified.
	if st.Message() != "a" {
		t.Fatal("wrapping changed the original status")
	}
}

type nilStatusErr struct{}

func (nilStatusErr) Error() string       { return "nil status" }
func (nilStatusErr) GRPCStatus() *Status { return nil }
func (customErr) Error() string          { return "custom!" }
func (customErr) GRPCStatus() *Status    { return New(codes.PermissionDenied, "custom") }

type customErr struct{}

func TestFromContextError(t *testing.T) {
	if FromContextError(nil) != nil {
		t.Fatal("FromContextError(nil) != nil")
	}
	for err, want := range map[error]codes.Code{
		context.DeadlineExceeded:                      codes.DeadlineExceeded,
		context.Canceled:                              codes.Canceled,
		fmt.Errorf("x: %w", context.Canceled):         codes.Canceled,
		errors.New("other"):                           codes.Unknown,
		fmt.Errorf("y: %w", context.DeadlineExceeded): codes.DeadlineExceeded,
	} {
		s := FromContextError(err)
		if s.Code() != want || s.Message() != err.Error() {
			t.Errorf("FromContextError(%v) = %v %q", err, s.Code(), s.Message())
		}
	}
}

func TestDetails(t *testing.T) {
	if _, err := New(codes.OK, "").WithDetails(wrapperspb.String("x")); err == nil || err.Error() != "no error details for status with code OK" {
		t.Fatalf("WithDetails on OK: err = %v", err)
	}
	base := New(codes.InvalidArgument, "bad")
	st, err := base.WithDetails(wrapperspb.String("a"), protoadapt.MessageV1Of(durationpb.New(5)))
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Details()) != 0 {
		t.Fatal("WithDetails modified the receiver")
	}
	d := st.Details()
	if len(d) != 2 {
		t.Fatalf("Details() = %v", d)
	}
	if s, ok := d[0].(*wrapperspb.StringValue); !ok || s.GetValue() != "a" {
		t.Fatalf("detail 0 = %#v", d[0])
	}
	if s, ok := d[1].(*durationpb.Duration); !ok || s.GetNanos() != 5 {
		t.Fatalf("detail 1 = %#v", d[1])
	}

	// An Any of an unknown type is reported as an error in place.
	p := st.Proto()
	p.Details = append(p.Details, &anypb.Any{TypeUrl: "type.googleapis.com/no.Such", Value: []byte{1}})
	d = FromProto(p).Details()
	if _, ok := d[2].(error); !ok {
		t.Fatalf("undecodable detail = %#v, want error", d[2])
	}
}

func TestProtoIsCopied(t *testing.T) {
	p := &spb.Status{Code: int32(codes.Internal), Message: "m"}
	s := FromProto(p)
	p.Message = "changed"
	if s.Message() != "m" {
		t.Fatal("FromProto did not copy")
	}
	q := s.Proto()
	q.Message = "changed"
	if s.Message() != "m" {
		t.Fatal("Proto() did not copy")
	}
}

func TestErrorIs(t *testing.T) {
	a := Error(codes.Internal, "x")
	if !errors.Is(a, Error(codes.Internal, "x")) {
		t.Fatal("equal statuses are not Is")
	}
	if errors.Is(a, Error(codes.Internal, "y")) || errors.Is(a, errors.New("x")) {
		t.Fatal("different errors are Is")
	}
	if !errors.Is(fmt.Errorf("w: %w", a), Error(codes.Internal, "x")) {
		t.Fatal("wrapped status is not Is")
	}
}

func TestNewWithProto(t *testing.T) {
	det, _ := proto.Marshal(&spb.Status{Code: int32(codes.Aborted), Message: "from details"})
	if s := istatus.NewWithProto(codes.Aborted, "msg", []string{string(det)}); s.Message() != "from details" {
		t.Fatalf("matching details: %v", s)
	}
	if s := istatus.NewWithProto(codes.Unavailable, "msg", []string{string(det)}); s.Code() != codes.Internal {
		t.Fatalf("mismatched details: %v", s)
	}
	if s := istatus.NewWithProto(codes.Unavailable, "msg", []string{"\xff"}); s.Code() != codes.Unavailable || s.Message() != "msg" {
		t.Fatalf("garbage details: %v", s)
	}
	if s := istatus.NewWithProto(codes.Unavailable, "msg", nil); s.Code() != codes.Unavailable {
		t.Fatalf("no details: %v", s)
	}
}
