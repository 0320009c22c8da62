package status

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
)

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New(codes.NotFound, "not found")
	}
}

func BenchmarkErr(b *testing.B) {
	st := New(codes.NotFound, "not found")
	b.ReportAllocs()
	for b.Loop() {
		_ = st.Err()
	}
}

func BenchmarkFromError(b *testing.B) {
	err := fmt.Errorf("wrapped: %w", Error(codes.NotFound, "not found"))
	b.ReportAllocs()
	for b.Loop() {
		FromError(err)
	}
}

func BenchmarkFromErrorNonStatus(b *testing.B) {
	err := errors.New("plain")
	b.ReportAllocs()
	for b.Loop() {
		FromError(err)
	}
}

func BenchmarkProto(b *testing.B) {
	st := New(codes.NotFound, "not found")
	b.ReportAllocs()
	for b.Loop() {
		st.Proto()
	}
}
