package proto

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestRoundTrip(t *testing.T) {
	c := codec{}
	for _, n := range []int{0, 10, 5000, 100000} {
		in := wrapperspb.Bytes(bytes.Repeat([]byte{7}, n))
		data, err := c.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := proto.Marshal(in)
		if !bytes.Equal(data.Materialize(), want) {
			t.Fatalf("n=%d: wire bytes differ from proto.Marshal", n)
		}
		out := &wrapperspb.BytesValue{}
		if err := c.Unmarshal(data, out); err != nil || !proto.Equal(in, out) {
			t.Fatalf("n=%d: Unmarshal: %v", n, err)
		}
		data.Free()
	}
}

func TestMessageV1(t *testing.T) {
	c := codec{}
	in := protoadapt.MessageV1Of(wrapperspb.String("v1"))
	data, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := wrapperspb.String("")
	if err := c.Unmarshal(data, protoadapt.MessageV1Of(out)); err != nil || out.GetValue() != "v1" {
		t.Fatalf("Unmarshal = %q, %v", out.GetValue(), err)
	}
}

func TestSplitInput(t *testing.T) {
	wire, _ := proto.Marshal(wrapperspb.String(strings.Repeat("s", 3000)))
	in := mem.BufferSlice{mem.SliceBuffer(wire[:7]), mem.Copy(wire[7:], mem.DefaultBufferPool())}
	defer in.Free()
	out := &wrapperspb.StringValue{}
	if err := (codec{}).Unmarshal(in, out); err != nil || len(out.GetValue()) != 3000 {
		t.Fatalf("Unmarshal of split input: %v", err)
	}
}

func TestErrors(t *testing.T) {
	c := codec{}
	if _, err := c.Marshal("str"); err == nil || err.Error() != "proto: failed to marshal, message is string, want proto.Message" {
		t.Fatalf("Marshal(string) err = %v", err)
	}
	var s string
	if err := c.Unmarshal(nil, &s); err == nil || err.Error() != "failed to unmarshal, message is *string, want proto.Message" {
		t.Fatalf("Unmarshal(*string) err = %v", err)
	}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer{0xff}}, &wrapperspb.StringValue{}); err == nil {
		t.Fatal("garbage input: want error")
	}
	if c.Name() != "proto" {
		t.Fatal("Name")
	}
}

func BenchmarkMarshalSmall(b *testing.B) {
	m := wrapperspb.String("hello world")
	c := codec{}
	for b.Loop() {
		d, _ := c.Marshal(m)
		d.Free()
	}
}
