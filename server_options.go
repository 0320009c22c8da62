package grpc

import (
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/mem"
	"math"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/keepalive"
)

const (
	defaultServerMaxRecvMsgSize = 4 * 1024 * 1024
	defaultServerMaxSendMsgSize = math.MaxInt32
	defaultServerBufferSize     = 32 * 1024
	// minServerKeepaliveTime is the floor grpc-go applies to
	// keepalive.ServerParameters.Time.
	minServerKeepaliveTime = time.Second
)

type serverOptions struct {
	serverStatsOptions // stats handlers, tap handle (stats_hooks.go)

	bufferPool mem.BufferPool // experimental.BufferPool; nil: the default

	creds                 credentials.TransportCredentials
	codec                 encoding.CodecV2 // nil: chosen per stream from the content-subtype
	cp                    Compressor
	dc                    Decompressor
	unaryInt              UnaryServerInterceptor
	streamInt             StreamServerInterceptor
	chainUnaryInts        []UnaryServerInterceptor
	chainStreamInts       []StreamServerInterceptor
	maxConcurrentStreams  uint32
	headerTableSize       *uint32
	maxRecvMsgSize        int
	maxSendMsgSize        int
	unknownStreamDesc     *StreamDesc
	keepaliveParams       keepalive.ServerParameters
	keepalivePolicy       keepalive.EnforcementPolicy
	initialWindowSize     int32
	initialConnWindowSize int32
	staticWindow          bool // a window size was set: no BDP estimation
	writeBufferSize       int
	readBufferSize        int
	connectionTimeout     time.Duration
	maxHeaderListSize     *uint32
	numServerWorkers      uint32
	waitForHandlers       bool
}

func defaultServerOptions() serverOptions {
	return serverOptions{
		maxConcurrentStreams: math.MaxUint32,
		maxRecvMsgSize:       defaultServerMaxRecvMsgSize,
		maxSendMsgSize:       defaultServerMaxSendMsgSize,
		connectionTimeout:    120 * time.Second,
		writeBufferSize:      defaultServerBufferSize,
		readBufferSize:       defaultServerBufferSize,
	}
}

// A ServerOption configures a Server: credentials, codec, limits, keepalive
// and so on.
type ServerOption interface {
	apply(*serverOptions)
}

// EmptyServerOption changes nothing; embed it in a struct to build a custom
// ServerOption.
type EmptyServerOption struct{}

func (EmptyServerOption) apply(*serverOptions) {}

type funcServerOption func(*serverOptions)

func (f funcServerOption) apply(o *serverOptions) { f(o) }

// WriteBufferSize sets how many bytes the transport buffers before writing to
// the connection. The default is 32 KiB; zero or a negative value disables
// buffering so every write goes straight to the connection.
func WriteBufferSize(s int) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.writeBufferSize = s })
}

// ReadBufferSize sets the size of the buffer used to read from the
// connection; the default is 32 KiB. grpc-go reads unbuffered for zero or a
// negative value; this implementation always buffers reads and uses the
// default size then.
func ReadBufferSize(s int) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.readBufferSize = s })
}

// InitialWindowSize sets the HTTP/2 flow-control window of each stream.
// Values below 64 KiB are ignored by the transport.
func InitialWindowSize(s int32) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.initialWindowSize, o.staticWindow = s, true })
}

// InitialConnWindowSize sets the HTTP/2 flow-control window of each
// connection. Values below 64 KiB are ignored by the transport.
func InitialConnWindowSize(s int32) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.initialConnWindowSize, o.staticWindow = s, true })
}

// StaticStreamWindowSize sets a fixed per-stream flow-control window,
// turning off window resizing (BDP estimation), like InitialWindowSize.
func StaticStreamWindowSize(s int32) ServerOption {
	return InitialWindowSize(s)
}

// StaticConnWindowSize sets a fixed connection flow-control window, turning
// off window resizing, like InitialConnWindowSize.
func StaticConnWindowSize(s int32) ServerOption {
	return InitialConnWindowSize(s)
}

// KeepaliveParams sets the server's keepalive and connection-age parameters.
// A Time below one second is raised to one second.
func KeepaliveParams(kp keepalive.ServerParameters) ServerOption {
	if kp.Time > 0 && kp.Time < minServerKeepaliveTime {
		kp.Time = minServerKeepaliveTime
	}
	return funcServerOption(func(o *serverOptions) { o.keepaliveParams = kp })
}

// KeepaliveEnforcementPolicy sets how strictly client pings are policed.
func KeepaliveEnforcementPolicy(kep keepalive.EnforcementPolicy) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.keepalivePolicy = kep })
}

// CustomCodec makes the server use codec for every message, whatever the
// request's content-subtype.
//
// Deprecated: use encoding.RegisterCodec, or ForceServerCodecV2.
func CustomCodec(codec Codec) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.codec = newCodecV0Bridge(codec) })
}

// ForceServerCodec makes the server use codec for every message, whatever
// the request's content-subtype. The response content-type still echoes the
// request's.
//
// Experimental: grpc-go may change or remove this API.
func ForceServerCodec(codec encoding.Codec) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.codec = newCodecV1Bridge(codec) })
}

// ForceServerCodecV2 is ForceServerCodec for an encoding.CodecV2.
//
// Experimental: grpc-go may change or remove this API.
func ForceServerCodecV2(codecV2 encoding.CodecV2) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.codec = codecV2 })
}

// RPCCompressor makes the server compress every response with cp, whatever
// the request used.
//
// Deprecated: register the compressor with encoding.RegisterCompressor; the
// server then answers with the compression of each request.
func RPCCompressor(cp Compressor) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.cp = cp })
}

// RPCDecompressor makes the server decompress requests whose grpc-encoding
// is dc.Type() with dc.
//
// Deprecated: register the compressor with encoding.RegisterCompressor
// instead.
func RPCDecompressor(dc Decompressor) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.dc = dc })
}

// MaxMsgSize sets the largest message the server accepts, in bytes.
//
// Deprecated: use MaxRecvMsgSize instead.
func MaxMsgSize(m int) ServerOption {
	return MaxRecvMsgSize(m)
}

// MaxRecvMsgSize sets the largest message the server accepts, in bytes
// (default 4 MiB). Larger requests fail with codes.ResourceExhausted.
func MaxRecvMsgSize(m int) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.maxRecvMsgSize = m })
}

// MaxSendMsgSize sets the largest message the server sends, in bytes
// (default math.MaxInt32).
func MaxSendMsgSize(m int) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.maxSendMsgSize = m })
}

// MaxConcurrentStreams limits the number of concurrent streams per client
// connection; 0 means no limit.
func MaxConcurrentStreams(n uint32) ServerOption {
	if n == 0 {
		n = math.MaxUint32
	}
	return funcServerOption(func(o *serverOptions) { o.maxConcurrentStreams = n })
}

// Creds sets the transport credentials used to secure accepted connections.
func Creds(c credentials.TransportCredentials) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.creds = c })
}

// UnaryInterceptor installs the outermost unary interceptor. It panics if
// applied twice to the same server.
func UnaryInterceptor(i UnaryServerInterceptor) ServerOption {
	return funcServerOption(func(o *serverOptions) {
		if o.unaryInt != nil {
			panic("The unary server interceptor was already set and may not be reset.")
		}
		o.unaryInt = i
	})
}

// ChainUnaryInterceptor appends unary interceptors. They run in order: the
// first is outermost; UnaryInterceptor, if set, runs before all of them.
func ChainUnaryInterceptor(interceptors ...UnaryServerInterceptor) ServerOption {
	return funcServerOption(func(o *serverOptions) {
		o.chainUnaryInts = append(o.chainUnaryInts, interceptors...)
	})
}

// StreamInterceptor installs the outermost stream interceptor. It panics if
// applied twice to the same server.
func StreamInterceptor(i StreamServerInterceptor) ServerOption {
	return funcServerOption(func(o *serverOptions) {
		if o.streamInt != nil {
			panic("The stream server interceptor was already set and may not be reset.")
		}
		o.streamInt = i
	})
}

// ChainStreamInterceptor appends stream interceptors. They run in order: the
// first is outermost; StreamInterceptor, if set, runs before all of them.
func ChainStreamInterceptor(interceptors ...StreamServerInterceptor) ServerOption {
	return funcServerOption(func(o *serverOptions) {
		o.chainStreamInts = append(o.chainStreamInts, interceptors...)
	})
}

// UnknownServiceHandler installs a handler for every RPC whose service or
// method is not registered, instead of answering codes.Unimplemented. The
// handler sees a bidirectional stream and may use MethodFromServerStream;
// stream interceptors apply to it.
func UnknownServiceHandler(streamHandler StreamHandler) ServerOption {
	return funcServerOption(func(o *serverOptions) {
		o.unknownStreamDesc = &StreamDesc{
			StreamName:    "unknown_service_handler",
			Handler:       streamHandler,
			ClientStreams: true,
			ServerStreams: true,
		}
	})
}

// ConnectionTimeout bounds the connection setup of an accepted connection
// (credentials handshake and HTTP/2 preface), 120s unless set. With d <= 0
// every setup times out at once.
//
// Experimental: grpc-go may change or remove this API.
func ConnectionTimeout(d time.Duration) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.connectionTimeout = d })
}

// MaxHeaderListSizeServerOption is the ServerOption returned by
// MaxHeaderListSize.
type MaxHeaderListSizeServerOption struct {
	MaxHeaderListSize uint32
}

func (o MaxHeaderListSizeServerOption) apply(so *serverOptions) {
	v := o.MaxHeaderListSize
	so.maxHeaderListSize = &v
}

// MaxHeaderListSize sets the largest header list (uncompressed) the server
// accepts, and advertises it to clients.
func MaxHeaderListSize(s uint32) ServerOption {
	return MaxHeaderListSizeServerOption{MaxHeaderListSize: s}
}

// NumStreamWorkers sets the size of a pool of goroutines for running
// handlers. This implementation always starts a goroutine per stream, which
// has the same observable behaviour, so the value only needs to be accepted.
//
// Experimental: grpc-go may change or remove this API.
func NumStreamWorkers(numServerWorkers uint32) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.numServerWorkers = numServerWorkers })
}

// WaitForHandlers makes Stop wait for every running method handler to return
// before it returns. It is false by default.
//
// Experimental: grpc-go may change or remove this API.
func WaitForHandlers(w bool) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.waitForHandlers = w })
}

// HeaderTableSize sets the HPACK dynamic table size the server advertises
// (SETTINGS_HEADER_TABLE_SIZE) and lets clients' header encoders use; the
// HTTP/2 default is 4096 bytes.
//
// Experimental: grpc-go may change or remove this API.
func HeaderTableSize(s uint32) ServerOption {
	return funcServerOption(func(o *serverOptions) { o.headerTableSize = &s })
}

// SharedWriteBuffer once made connections return their write buffer to a
// pool after each flush. Ours always do, whatever val is.
//
// Deprecated: write buffers are shared by default; grpc-go will remove
// this option.
func SharedWriteBuffer(val bool) ServerOption {
	return EmptyServerOption{}
}

func init() {
	internal.BufferPool = func(pool mem.BufferPool) ServerOption {
		return funcServerOption(func(o *serverOptions) { o.bufferPool = pool })
	}
	internal.JoinServerOptions = func(opts ...ServerOption) ServerOption {
		return funcServerOption(func(o *serverOptions) {
			for _, opt := range opts {
				opt.apply(o)
			}
		})
	}
}
