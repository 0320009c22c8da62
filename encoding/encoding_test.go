package encoding_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/mem"
)

type v1Codec struct{ name string }

func (c v1Codec) Marshal(v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	return nil, errors.New("not a string")
}

func (c v1Codec) Unmarshal(data []byte, v any) error {
	*(v.(*string)) = string(data)
	return nil
}

func (c v1Codec) Name() string { return c.name }

func TestRegisterCodecV1IsBridged(t *testing.T) {
	encoding.RegisterCodec(v1Codec{name: "TestV1"})
	if encoding.GetCodec("testv1") == nil {
		t.Fatal("GetCodec: lookup is not lower-cased")
	}
	c := encoding.GetCodecV2("testv1")
	if c == nil || c.Name() != "TestV1" {
		t.Fatalf("GetCodecV2 = %v", c)
	}
	data, err := c.Marshal("hello")
	if err != nil || string(data.Materialize()) != "hello" {
		t.Fatalf("Marshal = %q, %v", data.Materialize(), err)
	}
	var s string
	in := mem.BufferSlice{mem.SliceBuffer("he"), mem.SliceBuffer("llo")}
	if err := c.Unmarshal(in, &s); err != nil || s != "hello" {
		t.Fatalf("Unmarshal = %q, %v", s, err)
	}
	if _, err := c.Marshal(1); err == nil {
		t.Fatal("Marshal error not propagated")
	}
}

func TestRegisterPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"nil v1":   func() { encoding.RegisterCodec(nil) },
		"empty v1": func() { encoding.RegisterCodec(v1Codec{}) },
		"nil v2":   func() { encoding.RegisterCodecV2(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func TestProtoCodecRegistered(t *testing.T) {
	c := encoding.GetCodecV2(proto.Name)
	if c == nil || c.Name() != "proto" {
		t.Fatalf("proto codec = %v", c)
	}
	if encoding.GetCodec("proto") != nil {
		t.Fatal("proto is a CodecV2 only, as in grpc-go")
	}
}

func TestGzipRoundTrip(t *testing.T) {
	c := encoding.GetCompressor(gzip.Name)
	if c == nil || c.Name() != "gzip" {
		t.Fatal("gzip not registered")
	}
	if !grpcutil.IsCompressorNameRegistered("gzip") {
		t.Fatal("gzip missing from the advertised compressor names")
	}
	payload := bytes.Repeat([]byte("compress me "), 1000)
	for i := 0; i < 3; i++ { // exercise the pools
		var buf bytes.Buffer
		w, err := c.Compress(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(payload)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.Len() >= len(payload) {
			t.Fatal("did not compress")
		}
		r, err := c.Decompress(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("round trip mismatch: %v", err)
		}
		r.(io.Closer).Close()
	}
	if _, err := c.Decompress(bytes.NewReader([]byte("not gzip"))); err == nil {
		t.Fatal("Decompress of garbage: want error")
	}
}

func TestGzipSetLevel(t *testing.T) {
	for _, l := range []int{-3, -2, 10} {
		if err := gzip.SetLevel(l); err == nil {
			t.Errorf("SetLevel(%d): want error", l)
		}
	}
	if err := gzip.SetLevel(9); err != nil {
		t.Fatal(err)
	}
	defer gzip.SetLevel(-1)
	c := encoding.GetCompressor("gzip")
	var buf bytes.Buffer
	w, _ := c.Compress(&buf)
	w.Write([]byte("x"))
	w.Close()
	r, err := c.Decompress(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != "x" {
		t.Fatal("level 9 round trip")
	}
}

func TestUnknownCompressor(t *testing.T) {
	if encoding.GetCompressor("snappy") != nil || encoding.GetCodecV2("nope") != nil {
		t.Fatal("unknown names must give nil")
	}
	if encoding.Identity != "identity" {
		t.Fatal("Identity")
	}
}
