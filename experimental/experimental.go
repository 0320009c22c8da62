// Package experimental holds gRPC options that are not yet stable: buffer
// pools for the transport, and limiting which compressors a call accepts.
//
// # Experimental
//
// Notice: everything in this package is experimental and may be changed or
// removed in a later release.
package experimental

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/mem"
)

// WithBufferPool returns a DialOption making the client's connections take
// their buffers (frames read and written, received messages) from
// bufferPool instead of mem.DefaultBufferPool().
func WithBufferPool(bufferPool mem.BufferPool) grpc.DialOption {
	return internal.WithBufferPool.(func(mem.BufferPool) grpc.DialOption)(bufferPool)
}

// BufferPool returns a ServerOption making the server's connections take
// their buffers from bufferPool instead of mem.DefaultBufferPool().
func BufferPool(bufferPool mem.BufferPool) grpc.ServerOption {
	return internal.BufferPool.(func(mem.BufferPool) grpc.ServerOption)(bufferPool)
}

// SetDefaultBufferPool replaces the pool mem.DefaultBufferPool returns:
// the one used by clients and servers given no pool of their own, and by
// the proto codec. bufferPool must not be nil.
//
// Call it only while the program initialises (from an init function),
// before any gRPC use: it is not safe for concurrent use, and the last call
// wins.
func SetDefaultBufferPool(bufferPool mem.BufferPool) {
	internal.SetDefaultBufferPool.(func(mem.BufferPool))(bufferPool)
}

// AcceptCompressors returns a CallOption limiting the compressors the call
// advertises in grpc-accept-encoding to names, which must be registered
// with encoding.RegisterCompressor (the call fails with InvalidArgument
// otherwise). A response compressed with any other compressor fails the
// call with Internal. Names that are empty or "identity" are ignored; a
// list with no other name leaves the call's default advertisement.
func AcceptCompressors(names ...string) grpc.CallOption {
	return internal.AcceptCompressors.(func(...string) grpc.CallOption)(names...)
}
