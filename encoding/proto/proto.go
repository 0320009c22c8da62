// Package proto provides the protocol buffers codec, registered as "proto"
// when the package is imported (the grpc package always imports it).
package proto

import (
	"fmt"
	"google.golang.org/grpc/internal/grpcutil"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// Name is the content-subtype of the protobuf codec.
const Name = "proto"

func init() {
	encoding.RegisterCodecV2(codec{})
}

// codec is the CodecV2 for protobuf messages, old (APIv1) or new.
type codec struct{}

// messageOf returns v as an APIv2 message, or nil if it is not a protobuf
// message at all.
func messageOf(v any) proto.Message {
	switch m := v.(type) {
	case protoadapt.MessageV2:
		return m
	case protoadapt.MessageV1:
		return protoadapt.MessageV2Of(m)
	}
	return nil
}

func (codec) Marshal(v any) (mem.BufferSlice, error) {
	m := messageOf(v)
	if m == nil {
		return nil, fmt.Errorf("proto: failed to marshal, message is %T, want proto.Message", v)
	}
	// Size caches the size in the message, so the marshal below does not
	// walk it twice.
	size := proto.Size(m)
	opts := proto.MarshalOptions{UseCachedSize: true}
	if mem.IsBelowBufferPoolingThreshold(size) {
		// One allocation holds the BufferSlice's backing array, the
		// SliceBuffer it points to and, for small messages, the bytes.
		h := &smallMsg{}
		buf := h.data[:0]
		if size > len(h.data) {
			buf = make([]byte, 0, size)
		}
		b, err := opts.MarshalAppend(buf, m)
		if err != nil {
			return nil, err
		}
		h.sb = b
		h.bs[0] = &h.sb
		return h.bs[:], nil
	}
	pool := mem.DefaultBufferPool()
	bp := grpcutil.GetForOverwrite(pool, size)
	b, err := opts.MarshalAppend((*bp)[:0], m)
	if err != nil {
		pool.Put(bp)
		return nil, err
	}
	*bp = b
	return mem.BufferSlice{mem.NewBuffer(bp, pool)}, nil
}

func (codec) Unmarshal(data mem.BufferSlice, v any) error {
	m := messageOf(v)
	if m == nil {
		return fmt.Errorf("failed to unmarshal, message is %T, want proto.Message", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return proto.Unmarshal(buf.ReadOnlyData(), m)
}

func (codec) Name() string { return Name }

// smallMsg is the single allocation behind a small marshaled message.
type smallMsg struct {
	bs   [1]mem.Buffer
	sb   mem.SliceBuffer
	data [64]byte
}
