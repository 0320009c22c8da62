package metadata

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

func TestPairsAndNew(t *testing.T) {
	md := Pairs("Key", "v1", "key", "v2", "Other-Bin", "x")
	want := MD{"key": {"v1", "v2"}, "other-bin": {"x"}}
	if !reflect.DeepEqual(md, want) {
		t.Fatalf("Pairs = %v, want %v", map[string][]string(md), want)
	}
	md = New(map[string]string{"A": "1", "b": "2"})
	if !reflect.DeepEqual(md, MD{"a": {"1"}, "b": {"2"}}) {
		t.Fatalf("New = %#v", md)
	}
}

func TestPairsOddPanics(t *testing.T) {
	defer func() {
		r := recover()
		want := "metadata: Pairs got the odd number of input pairs for metadata: 3"
		if r != want {
			t.Fatalf("panic = %v, want %q", r, want)
		}
	}()
	//lint:ignore SA5012 the odd count is the input under test
	Pairs("a", "b", "c")
}

func TestMDMethods(t *testing.T) {
	md := MD{}
	md.Set("K", "a", "b")
	md.Append("k", "c")
	md.Append("k")
	md.Set("empty")
	if got := md.Get("K"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("Get = %v", got)
	}
	if md.Len() != 1 {
		t.Fatalf("Len = %d", md.Len())
	}
	c := md.Copy()
	c["k"][0] = "changed"
	if md["k"][0] != "a" {
		t.Fatal("Copy shares value slices")
	}
	md.Delete("K")
	if md.Len() != 0 {
		t.Fatal("Delete did not remove key")
	}
}

func TestJoin(t *testing.T) {
	got := Join(Pairs("a", "1"), Pairs("a", "2", "b", "3"), nil)
	want := MD{"a": {"1", "2"}, "b": {"3"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Join = %v", got)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		md   MD
		want string
	}{
		{MD{}, "map[]"},
		{MD{"user-agent": {"x"}, "grpc-timeout": {"1S"}}, "map[grpc-timeout:[1S] user-agent:[x]]"},
		{MD{"authorization": {"secret"}, "te": {"trailers"}}, "map[te:[trailers] <1 redacted>]"},
		{MD{"authorization": {"secret"}, "cookie": {"c"}}, "map[<2 redacted>]"},
	}
	for _, tt := range tests {
		if got := tt.md.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		if got := fmt.Sprint(tt.md); got != tt.want {
			t.Errorf("Sprint = %q, want %q", got, tt.want)
		}
	}
}

func TestIncomingContext(t *testing.T) {
	ctx := context.Background()
	if md, ok := FromIncomingContext(ctx); ok || md != nil {
		t.Fatal("FromIncomingContext on empty ctx: want nil, false")
	}
	orig := MD{"Key": {"v"}, "other": {"o"}}
	ctx = NewIncomingContext(ctx, orig)
	md, ok := FromIncomingContext(ctx)
	if !ok || !reflect.DeepEqual(md, MD{"key": {"v"}, "other": {"o"}}) {
		t.Fatalf("FromIncomingContext = %v, %v", md, ok)
	}
	md["other"][0] = "changed"
	if orig["other"][0] != "o" {
		t.Fatal("FromIncomingContext returned shared slices")
	}
	if got := ValueFromIncomingContext(ctx, "KEY"); !reflect.DeepEqual(got, []string{"v"}) {
		t.Fatalf("ValueFromIncomingContext(KEY) = %v", got)
	}
	if got := ValueFromIncomingContext(ctx, "other"); !reflect.DeepEqual(got, []string{"o"}) {
		t.Fatalf("ValueFromIncomingContext(other) = %v", got)
	}
	if got := ValueFromIncomingContext(ctx, "missing"); got != nil {
		t.Fatalf("ValueFromIncomingContext(missing) = %v", got)
	}
	if got := ValueFromIncomingContext(context.Background(), "k"); got != nil {
		t.Fatalf("no md: got %v", got)
	}
}

func TestOutgoingContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := FromOutgoingContext(ctx); ok {
		t.Fatal("empty ctx: want !ok")
	}
	ctx = AppendToOutgoingContext(ctx, "A", "1")
	base := NewOutgoingContext(context.Background(), MD{"X": {"x"}})
	ctx1 := AppendToOutgoingContext(base, "K", "1", "k", "2")
	ctx2 := AppendToOutgoingContext(ctx1, "k", "3")
	ctx3 := AppendToOutgoingContext(ctx1, "k", "4")

	if md, _ := FromOutgoingContext(ctx); !reflect.DeepEqual(md, MD{"a": {"1"}}) {
		t.Fatalf("append without base = %v", md)
	}
	if md, _ := FromOutgoingContext(ctx2); !reflect.DeepEqual(md, MD{"x": {"x"}, "k": {"1", "2", "3"}}) {
		t.Fatalf("ctx2 = %v", md)
	}
	if md, _ := FromOutgoingContext(ctx3); !reflect.DeepEqual(md, MD{"x": {"x"}, "k": {"1", "2", "4"}}) {
		t.Fatalf("ctx3 = %v (siblings must not share appended pairs)", md)
	}
	if got := ValueFromOutgoingContext(ctx2, "K"); !reflect.DeepEqual(got, []string{"1", "2", "3"}) {
		t.Fatalf("ValueFromOutgoingContext = %v", got)
	}
	if got := ValueFromOutgoingContext(ctx2, "x"); !reflect.DeepEqual(got, []string{"x"}) {
		t.Fatalf("ValueFromOutgoingContext(x) = %v", got)
	}
	if got := ValueFromOutgoingContext(ctx2, "nope"); got != nil {
		t.Fatalf("ValueFromOutgoingContext(nope) = %v", got)
	}
	// NewOutgoingContext replaces what was appended before.
	over := NewOutgoingContext(ctx2, MD{"y": {"y"}})
	if md, _ := FromOutgoingContext(over); !reflect.DeepEqual(md, MD{"y": {"y"}}) {
		t.Fatalf("override = %v", md)
	}
	// The returned MD is a copy.
	md, _ := FromOutgoingContext(base)
	md["x"][0] = "changed"
	if got := ValueFromOutgoingContext(base, "x"); got[0] != "x" {
		t.Fatal("FromOutgoingContext shares slices with the context")
	}
}

func TestAppendOddPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("want panic")
		}
	}()
	//lint:ignore SA5012 the odd count is the input under test
	AppendToOutgoingContext(context.Background(), "a")
}

func TestDecodeKeyValue(t *testing.T) {
	k, v, err := DecodeKeyValue("a", "b")
	if k != "a" || v != "b" || err != nil {
		t.Fatal("DecodeKeyValue changed its input")
	}
}

func BenchmarkAppendAndRead(b *testing.B) {
	ctx := NewOutgoingContext(context.Background(), Pairs("a", "1"))
	for b.Loop() {
		c := AppendToOutgoingContext(ctx, "b", "2")
		_, _ = FromOutgoingContext(c)
	}
}
