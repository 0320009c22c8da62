package grpc

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // the default codec must always be available
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The SupportPackageIsVersion constants are referenced by generated code to
// fail the build when it needs a newer version of this package. Every version
// up to the latest (9) is supported.
const (
	SupportPackageIsVersion3 = true
	SupportPackageIsVersion4 = true
	SupportPackageIsVersion5 = true
	SupportPackageIsVersion6 = true
	SupportPackageIsVersion7 = true
	SupportPackageIsVersion8 = true
	SupportPackageIsVersion9 = true
)

// headerLen is the size of the gRPC message prefix: a flag byte and a
// 4-byte big-endian payload length.
const headerLen = 5

// Values of the message prefix flag byte.
const (
	compressionNone byte = 0
	compressionMade byte = 1
)

const maxInt = int(^uint(0) >> 1)

// recvChunk bounds a single transport read so that a peer announcing a huge
// (but permitted) message cannot make us allocate it all before sending it.
const recvChunk = 1 << 20

// messageReader is what transport.ClientStream and transport.ServerStream both
// satisfy.
type messageReader interface {
	Read(n int) (mem.BufferSlice, error)
}

// getCodec returns the codec for a content-subtype ("" means "proto").
// A codec registered with the old encoding.Codec API takes precedence, as in
// grpc-go, because both APIs share one registry keyed by name.
func getCodec(contentSubtype string) (encoding.CodecV2, error) {
	name := contentSubtype
	if name == "" {
		name = "proto"
	}
	if c := encoding.GetCodec(name); c != nil {
		return newCodecV1Bridge(c), nil
	}
	if c := encoding.GetCodecV2(name); c != nil {
		return c, nil
	}
	return nil, status.Errorf(codes.Internal, "no codec registered for content-subtype %s", contentSubtype)
}

// prepareMsg marshals msg, compresses it when comp is non-nil and returns the
// message prefix and the payload to write. The caller frees data once written.
func prepareMsg(codec encoding.CodecV2, comp encoding.Compressor, msg any, maxSend int) (hdr []byte, data mem.BufferSlice, err error) {
	return prepareMsgTo(make([]byte, headerLen), codec, comp, msg, maxSend)
}

// prepareMsgTo is prepareMsg writing the prefix into hdr (headerLen
// bytes), which streams keep so that sending costs no allocation for it.
func prepareMsgTo(hdr []byte, codec encoding.CodecV2, comp encoding.Compressor, msg any, maxSend int) (_ []byte, data mem.BufferSlice, err error) {
	if msg != nil {
		data, err = codec.Marshal(msg)
		if err != nil {
			return nil, nil, status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err.Error())
		}
	}
	flag := compressionNone
	if comp != nil && data.Len() > 0 {
		compressed, err := compress(comp, data)
		data.Free()
		if err != nil {
			return nil, nil, err
		}
		data = compressed
		flag = compressionMade
	}
	n := data.Len()
	if uint64(n) > math.MaxUint32 {
		data.Free()
		return nil, nil, status.Errorf(codes.ResourceExhausted, "grpc: message too large (%d bytes)", n)
	}
	if n > maxSend {
		data.Free()
		return nil, nil, status.Errorf(codes.ResourceExhausted, "trying to send message larger than max (%d vs. %d)", n, maxSend)
	}
	hdr[0] = flag
	binary.BigEndian.PutUint32(hdr[1:], uint32(n))
	return hdr, data, nil
}

func compress(comp encoding.Compressor, in mem.BufferSlice) (mem.BufferSlice, error) {
	var out mem.BufferSlice
	fail := func(err error) (mem.BufferSlice, error) {
		out.Free()
		return nil, status.Errorf(codes.Internal, "grpc: error while compressing: %v", err.Error())
	}
	w, err := comp.Compress(mem.NewWriter(&out, mem.DefaultBufferPool()))
	if err != nil {
		return fail(err)
	}
	for _, b := range in {
		if _, err := w.Write(b.ReadOnlyData()); err != nil {
			return fail(err)
		}
	}
	if err := w.Close(); err != nil {
		return fail(err)
	}
	return out, nil
}

// recvMsg reads one length-prefixed message and decompresses it if needed.
// It returns io.EOF only when the stream ended cleanly between messages; the
// size limit is enforced from the prefix before any of the body is read.
func recvMsg(r messageReader, recvCompress string, maxRecv int) (mem.BufferSlice, error) {
	var comp encoding.Compressor
	if recvCompress != "" && recvCompress != encoding.Identity {
		comp = encoding.GetCompressor(recvCompress)
	}
	body, flag, err := recvRaw(r, recvCompress, maxRecv, comp != nil)
	if err != nil || flag == compressionNone {
		return body, err
	}
	defer body.Free()
	return decompress(comp, body, maxRecv)
}

// recvRaw reads one message without decompressing it and returns its body
// and flag. canDecompress says whether the caller can handle recvCompress.
func recvRaw(r messageReader, recvCompress string, maxRecv int, canDecompress bool) (mem.BufferSlice, byte, error) {
	var hdr [headerLen]byte
	// Concrete calls, so that hdr stays on the stack.
	var err error
	switch s := r.(type) {
	case *transport.ClientStream:
		err = s.ReadFull(hdr[:])
	case *transport.ServerStream:
		err = s.ReadFull(hdr[:])
	default:
		prefix, err := r.Read(headerLen)
		if err != nil {
			return nil, 0, unexpectedEOFToInternal(err)
		}
		prefix.CopyTo(hdr[:])
		prefix.Free()
	}
	if err != nil {
		return nil, 0, unexpectedEOFToInternal(err)
	}

	length := binary.BigEndian.Uint32(hdr[1:])
	if uint64(length) > uint64(maxInt) {
		return nil, 0, status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max length allowed on current machine (%d vs. %d)", length, maxInt)
	}
	if int(length) > maxRecv {
		return nil, 0, status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", length, maxRecv)
	}
	switch hdr[0] {
	case compressionNone:
	case compressionMade:
		if recvCompress == "" || recvCompress == encoding.Identity {
			return nil, 0, status.Error(codes.Internal, "grpc: compressed flag set with identity or empty encoding")
		}
		if !canDecompress {
			return nil, 0, status.Errorf(codes.Unimplemented, "grpc: Decompressor is not installed for grpc-encoding %q", recvCompress)
		}
	default:
		return nil, 0, status.Errorf(codes.Internal, "grpc: received unexpected payload format %d", hdr[0])
	}

	var body mem.BufferSlice
	for remaining := int(length); remaining > 0; {
		n := min(remaining, recvChunk)
		part, err := r.Read(n)
		if err != nil {
			body.Free()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, unexpectedEOFToInternal(err)
		}
		body = append(body, part...)
		remaining -= n
	}
	return body, hdr[0], nil
}

func decompress(comp encoding.Compressor, in mem.BufferSlice, maxRecv int) (mem.BufferSlice, error) {
	src := in.Reader()
	defer src.Close()
	dr, err := comp.Decompress(src)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "grpc: failed to decompress the message: %v", err)
	}
	if c, ok := dr.(io.Closer); ok {
		defer c.Close()
	}
	// Read one byte past the limit so an oversized result is detected without
	// inflating a compression bomb any further.
	if int64(maxRecv) < math.MaxInt64 {
		dr = io.LimitReader(dr, int64(maxRecv)+1)
	}
	out, err := mem.ReadAll(dr, mem.DefaultBufferPool())
	if err != nil {
		out.Free()
		return nil, status.Errorf(codes.Internal, "grpc: failed to read decompressed data: %v", err)
	}
	if out.Len() > maxRecv {
		out.Free()
		return nil, status.Errorf(codes.ResourceExhausted, "grpc: received message after decompression larger than max %d", maxRecv)
	}
	return out, nil
}

func unexpectedEOFToInternal(err error) error {
	if err == io.ErrUnexpectedEOF {
		return status.Error(codes.Internal, err.Error())
	}
	return err
}

// recvAndDecode reads one message and unmarshals it into m.
func recvAndDecode(r messageReader, codec encoding.CodecV2, recvCompress string, maxRecv int, m any) error {
	return recvAndDecodeWithDecompressor(r, codec, recvCompress, maxRecv, nil, m)
}

// recvAndDecodeWithDecompressor is recvAndDecode with an optional legacy
// Decompressor (see recvMsgWithDecompressor).
func recvAndDecodeWithDecompressor(r messageReader, codec encoding.CodecV2, recvCompress string, maxRecv int, dc Decompressor, m any) error {
	data, err := recvMsgWithDecompressor(r, recvCompress, maxRecv, dc)
	if err != nil {
		return err
	}
	defer data.Free()
	if err := codec.Unmarshal(data, m); err != nil {
		return status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", err)
	}
	return nil
}

// Code is status.Code: the code carried by err, OK for nil, Unknown for an
// error without a status.
//
// Deprecated: use status.Code.
func Code(err error) codes.Code {
	return status.Code(err)
}

// ErrorDesc is the message of err's status: err.Error() for an error without
// a status, "" for nil.
//
// Deprecated: use status.Convert(err).Message().
func ErrorDesc(err error) string {
	return status.Convert(err).Message()
}

// Errorf is status.Errorf: an error with code c and a formatted message, or
// nil when c is OK.
//
// Deprecated: use status.Errorf.
func Errorf(c codes.Code, format string, a ...any) error {
	return status.Errorf(c, format, a...)
}

// validateMetadata rejects metadata that cannot be sent as HTTP/2 headers:
// keys must be non-empty and use only [0-9a-z-_.] (pseudo-headers are left to
// the transport), and values of non-binary keys must be printable ASCII.
func validateMetadata(md metadata.MD) error {
	for k, vals := range md {
		if k == "" {
			return fmt.Errorf("there is an empty key in the header")
		}
		if k[0] == ':' {
			continue
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '_' {
				return fmt.Errorf("header key %q contains illegal characters not in [0-9a-z-_.]", k)
			}
		}
		if strings.HasSuffix(k, "-bin") {
			continue
		}
		for _, v := range vals {
			for i := 0; i < len(v); i++ {
				if v[i] < 0x20 || v[i] > 0x7e {
					return fmt.Errorf("header key %q contains value with non-printable ASCII characters", k)
				}
			}
		}
	}
	return nil
}
