package grpc

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// Codec is the original message serialisation interface; its methods may be
// called concurrently.
//
// Deprecated: use encoding.Codec instead.
type Codec interface {
	// Marshal encodes v.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into v.
	Unmarshal(data []byte, v any) error
	// String names the codec; gRPC does not use it.
	String() string
}

// bytesCodec is the method set shared by Codec and encoding.Codec.
type bytesCodec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// codecBridge adapts a []byte-based codec to encoding.CodecV2 so the rest of
// the package deals with a single codec type.
type codecBridge struct {
	codec bytesCodec
	name  string
}

// newCodecV0Bridge adapts the deprecated grpc.Codec.
func newCodecV0Bridge(c Codec) encoding.CodecV2 {
	return codecBridge{codec: c, name: c.String()}
}

// newCodecV1Bridge adapts an encoding.Codec.
func newCodecV1Bridge(c encoding.Codec) encoding.CodecV2 {
	return codecBridge{codec: c, name: c.Name()}
}

func (c codecBridge) Marshal(v any) (mem.BufferSlice, error) {
	b, err := c.codec.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (c codecBridge) Unmarshal(data mem.BufferSlice, v any) error {
	return c.codec.Unmarshal(data.Materialize(), v)
}

func (c codecBridge) Name() string { return c.name }
