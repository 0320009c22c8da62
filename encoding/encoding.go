// Package encoding is the registry of codecs (message serialisation, chosen
// by the content-subtype) and compressors (chosen by grpc-encoding).
// Register implementations from init functions only: the registry is not
// locked.
//
// This package is experimental.
package encoding

import (
	"io"
	"strings"

	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/mem"
)

// Identity is the grpc-encoding name meaning "not compressed". It is meant
// for gRPC's own use.
const Identity = "identity"

// Compressor compresses and decompresses message payloads for one
// grpc-encoding.
type Compressor interface {
	// Compress returns a writer that compresses into w; the data is complete
	// once the writer is closed.
	Compress(w io.Writer) (io.WriteCloser, error)
	// Decompress returns a reader of the decompressed contents of r. If the
	// result also implements io.Closer, gRPC closes it exactly once.
	Decompress(r io.Reader) (io.Reader, error)
	// Name is the grpc-encoding value; it must never change.
	Name() string
}

var compressors = make(map[string]Compressor)

// RegisterCompressor makes c available under c.Name(): senders select it
// with grpc.UseCompressor, and receivers use it for messages whose
// grpc-encoding names it (a server also replies with it). It is advertised
// in grpc-accept-encoding. A later registration under the same name replaces
// an earlier one. Call only from init functions.
func RegisterCompressor(c Compressor) {
	name := c.Name()
	compressors[name] = c
	if !grpcutil.IsCompressorNameRegistered(name) {
		grpcutil.RegisteredCompressorNames = append(grpcutil.RegisteredCompressorNames, name)
	}
}

// GetCompressor returns the compressor registered under name, or nil.
func GetCompressor(name string) Compressor {
	return compressors[name]
}

// Codec is the original codec interface, working on contiguous byte
// slices. It must be safe for concurrent use.
type Codec interface {
	// Marshal encodes v.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into v.
	Unmarshal(data []byte, v any) error
	// Name is the content-subtype this codec serves; it must never change.
	Name() string
}

// CodecV2 is a codec working on mem.BufferSlice, so that messages need not
// be contiguous and marshalled data can live in pooled memory. It must be
// safe for concurrent use.
type CodecV2 interface {
	// Marshal encodes v. gRPC takes over one reference to each returned
	// Buffer and frees it.
	Marshal(v any) (out mem.BufferSlice, err error)
	// Unmarshal decodes data into v. data is freed when Unmarshal returns;
	// to keep any of it, take a reference.
	Unmarshal(data mem.BufferSlice, v any) error
	// Name is the content-subtype this codec serves; it must never change.
	Name() string
}

// codecEntry is what a content-subtype maps to. v2 is always set, wrapping a
// v1-only codec, so the grpc package needs a single lookup.
type codecEntry struct {
	v1 Codec
	v2 CodecV2
}

var codecs = make(map[string]codecEntry)

// RegisterCodec makes codec available for the content-subtype
// strings.ToLower(codec.Name()), e.g. "application/grpc+json" for "json".
// GetCodecV2 returns it wrapped as a CodecV2. It panics if codec is nil or its
// name is empty. A later registration under the same name replaces an
// earlier one. Call only from init functions.
func RegisterCodec(codec Codec) {
	if codec == nil {
		panic("cannot register a nil Codec")
	}
	if codec.Name() == "" {
		panic("cannot register Codec with empty string result for Name()")
	}
	codecs[strings.ToLower(codec.Name())] = codecEntry{v1: codec, v2: v1Bridge{codec}}
}

// GetCodec returns the Codec registered with RegisterCodec for the
// lower-case contentSubtype, or nil (also when a CodecV2 holds the name).
func GetCodec(contentSubtype string) Codec {
	return codecs[contentSubtype].v1
}

// RegisterCodecV2 makes codec available for the content-subtype
// strings.ToLower(codec.Name()). It panics if codec is nil or its name is
// empty. The last registration for a name, by RegisterCodec or
// RegisterCodecV2, is the one used. Call only from init functions.
func RegisterCodecV2(codec CodecV2) {
	if codec == nil {
		panic("cannot register a nil CodecV2")
	}
	if codec.Name() == "" {
		panic("cannot register CodecV2 with empty string result for Name()")
	}
	codecs[strings.ToLower(codec.Name())] = codecEntry{v2: codec}
}

// GetCodecV2 returns the codec for the lower-case contentSubtype, whether
// registered as a CodecV2 or as a Codec, or nil.
func GetCodecV2(contentSubtype string) CodecV2 {
	return codecs[contentSubtype].v2
}

// v1Bridge adapts a Codec to CodecV2.
type v1Bridge struct{ c Codec }

func (b v1Bridge) Name() string { return b.c.Name() }

func (b v1Bridge) Marshal(v any) (mem.BufferSlice, error) {
	data, err := b.c.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(data)}, nil
}

func (b v1Bridge) Unmarshal(data mem.BufferSlice, v any) error {
	return b.c.Unmarshal(data.Materialize(), v)
}
