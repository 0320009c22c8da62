package grpc

import (
	"errors"
	"math"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// PreparedMsg is a message encoded once (marshalled, compressed and framed)
// with the codec and compressor of a stream, so that it can be sent many
// times, on that stream or others configured alike, without encoding it
// again. Pass it to SendMsg in place of the message.
//
// Experimental: grpc-go may change or remove this API.
type PreparedMsg struct {
	hdr     [headerLen]byte
	payload mem.BufferSlice
}

// Encode marshals and compresses msg as stream s would and keeps the result.
// s must be a stream made by this package (a ClientStream, or the
// ServerStream of a handler, possibly wrapped by interceptors that keep its
// context).
func (p *PreparedMsg) Encode(s Stream, msg any) error {
	codec, comp, err := preparedMsgEncoding(s)
	if err != nil {
		return err
	}
	_, data, err := prepareMsgTo(p.hdr[:], codec, comp, msg, math.MaxInt)
	if err != nil {
		return err
	}
	// Copied out of pooled buffers: the message may be sent from many
	// goroutines for as long as the caller keeps it.
	p.payload = mem.BufferSlice{mem.SliceBuffer(data.Materialize())}
	data.Free()
	return nil
}

// preparedMsgEncoding finds the codec and compressor of s.
func preparedMsgEncoding(s Stream) (encoding.CodecV2, encoding.Compressor, error) {
	if cs, ok := s.(*clientStream); ok {
		return cs.ci.codec, cs.comp, nil
	}
	if ts, ok := ServerTransportStreamFromContext(s.Context()).(*serverTransportStream); ok && ts.codec != nil {
		return ts.codec, encoding.GetCompressor(ts.compressorName()), nil
	}
	return nil, nil, errors.New("grpc: unable to get rpcInfo")
}

// framed returns the prepared frame, checking it against maxSend, and its
// payload length (the size before compression is not known any more).
func (p *PreparedMsg) framed(maxSend int) ([]byte, mem.BufferSlice, int, error) {
	if p.payload == nil {
		return nil, nil, 0, status.Error(codes.Internal, "grpc: PreparedMsg sent before Encode")
	}
	n := p.payload.Len()
	if n > maxSend {
		return nil, nil, 0, status.Errorf(codes.ResourceExhausted, "trying to send message larger than max (%d vs. %d)", n, maxSend)
	}
	return p.hdr[:], p.payload, n, nil
}
