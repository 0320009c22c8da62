package metadata

import (
	"context"
	"testing"
)

func BenchmarkPairs(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Pairs("key1", "v1", "Key2", "v2", "key3", "v3")
	}
}

func BenchmarkNewOutgoingContext(b *testing.B) {
	md := Pairs("key1", "v1", "key2", "v2")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		NewOutgoingContext(ctx, md)
	}
}

func BenchmarkAppendToOutgoingContext(b *testing.B) {
	ctx := NewOutgoingContext(context.Background(), Pairs("key1", "v1"))
	b.ReportAllocs()
	for b.Loop() {
		AppendToOutgoingContext(ctx, "key2", "v2", "key3", "v3")
	}
}

func BenchmarkFromOutgoingContext(b *testing.B) {
	ctx := AppendToOutgoingContext(NewOutgoingContext(context.Background(), Pairs("key1", "v1")), "key2", "v2")
	b.ReportAllocs()
	for b.Loop() {
		FromOutgoingContext(ctx)
	}
}

func BenchmarkFromIncomingContext(b *testing.B) {
	ctx := NewIncomingContext(context.Background(), Pairs("key1", "v1", "key2", "v2", "key3", "v3"))
	b.ReportAllocs()
	for b.Loop() {
		FromIncomingContext(ctx)
	}
}

func BenchmarkValueFromIncomingContext(b *testing.B) {
	ctx := NewIncomingContext(context.Background(), Pairs("key1", "v1", "key2", "v2", "key3", "v3"))
	b.ReportAllocs()
	for b.Loop() {
		ValueFromIncomingContext(ctx, "key2")
	}
}
