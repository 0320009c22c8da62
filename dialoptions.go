package grpc

import (
	"context"
	"net"
	"time"

	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	internalbackoff "google.golang.org/grpc/internal/backoff"
	"google.golang.org/grpc/keepalive"
)

const (
	defaultWriteBufSize = 32 * 1024
	defaultReadBufSize  = 32 * 1024
	// minWindowSize is HTTP/2's default window; smaller windows are ignored.
	minWindowSize = 65535
	// minConnectTimeout is the least time a connection attempt gets (gRPC
	// connection backoff spec).
	minConnectTimeout = 20 * time.Second
	// minKeepaliveTime is the shortest keepalive ping interval a client may ask for.
	minKeepaliveTime = 10 * time.Second
)

// dialOptions is the configuration DialOptions build up for a ClientConn.
type dialOptions struct {
	creds       credentials.TransportCredentials
	credsBundle credentials.Bundle
	perRPCCreds []credentials.PerRPCCredentials

	dialer    func(context.Context, string) (net.Conn, error)
	authority string
	userAgent string

	callOptions     []CallOption
	unaryInt        UnaryClientInterceptor
	streamInt       StreamClientInterceptor
	chainUnaryInts  []UnaryClientInterceptor
	chainStreamInts []StreamClientInterceptor

	// Only honoured by Dial/DialContext.
	block                  bool
	returnLastError        bool
	timeout                time.Duration
	failOnNonTempDialError bool

	initialWindowSize     int32
	initialConnWindowSize int32
	writeBufferSize       int
	readBufferSize        int
	keepalive             keepalive.ClientParameters
	maxHeaderListSize     *uint32

	compressorV0   Compressor
	decompressorV0 Decompressor

	backoff           internalbackoff.Strategy
	minConnectTimeout time.Duration

	defaultScheme string
}

func defaultDialOptions() dialOptions {
	return dialOptions{
		writeBufferSize:   defaultWriteBufSize,
		readBufferSize:    defaultReadBufSize,
		backoff:           internalbackoff.DefaultExponential,
		minConnectTimeout: minConnectTimeout,
		defaultScheme:     schemeDNS,
	}
}

// DialOption configures how we set up the connection.
type DialOption interface {
	apply(*dialOptions)
}

// EmptyDialOption does not alter the dial configuration. It can be embedded
// in another structure to build custom dial options.
//
// # Experimental
//
// Notice: This type is EXPERIMENTAL and may be changed or removed in a
// later release.
type EmptyDialOption struct{}

func (EmptyDialOption) apply(*dialOptions) {}

type funcDialOption func(*dialOptions)

func (f funcDialOption) apply(o *dialOptions) { f(o) }

// withDefaultScheme sets the scheme used for targets without a known one;
// Dial and DialContext use "passthrough" for backward compatibility.
func withDefaultScheme(s string) DialOption {
	return funcDialOption(func(o *dialOptions) { o.defaultScheme = s })
}

// WithTransportCredentials returns a DialOption which configures a connection
// level security credentials (e.g., TLS/SSL). This should not be used
// together with WithCredentialsBundle.
func WithTransportCredentials(creds credentials.TransportCredentials) DialOption {
	return funcDialOption(func(o *dialOptions) { o.creds = creds })
}

// WithInsecure returns a DialOption which disables transport security for
// this ClientConn. Under the hood, it uses insecure.NewCredentials().
//
// Deprecated: use WithTransportCredentials and insecure.NewCredentials()
// instead. Will be supported throughout 1.x.
func WithInsecure() DialOption {
	return funcDialOption(func(o *dialOptions) { o.creds = insecure.NewCredentials() })
}

// WithCredentialsBundle returns a DialOption to set a credentials bundle for
// the ClientConn. This should not be used together with
// WithTransportCredentials.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a later
// release.
func WithCredentialsBundle(b credentials.Bundle) DialOption {
	return funcDialOption(func(o *dialOptions) { o.credsBundle = b })
}

// WithPerRPCCredentials returns a DialOption which sets credentials and
// places auth state on each outbound RPC.
func WithPerRPCCredentials(creds credentials.PerRPCCredentials) DialOption {
	return funcDialOption(func(o *dialOptions) { o.perRPCCreds = append(o.perRPCCreds, creds) })
}

// WithContextDialer returns a DialOption that sets a dialer to create
// connections. If FailOnNonTempDialError() is set to true, and an error is
// returned by f, gRPC checks the error's Temporary() method to decide if it
// should try to reconnect to the network address.
//
// To have the target string passed to the dialer unchanged, use the
// "passthrough" scheme, e.g. "passthrough:///target".
func WithContextDialer(f func(context.Context, string) (net.Conn, error)) DialOption {
	return funcDialOption(func(o *dialOptions) { o.dialer = f })
}

// WithDialer returns a DialOption that specifies a function to use for
// dialing network addresses.
//
// Deprecated: use WithContextDialer instead. Will be supported throughout
// 1.x.
func WithDialer(f func(string, time.Duration) (net.Conn, error)) DialOption {
	return WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
		if deadline, ok := ctx.Deadline(); ok {
			return f(addr, time.Until(deadline))
		}
		return f(addr, 0)
	})
}

// WithAuthority returns a DialOption that specifies the value to be used as
// the :authority pseudo-header and as the server name in authentication
// handshake.
func WithAuthority(a string) DialOption {
	return funcDialOption(func(o *dialOptions) { o.authority = a })
}

// WithUserAgent returns a DialOption that specifies a user agent string for
// all the RPCs.
func WithUserAgent(s string) DialOption {
	return funcDialOption(func(o *dialOptions) { o.userAgent = s })
}

// WithDefaultCallOptions returns a DialOption which sets the default
// CallOptions for calls over the connection.
func WithDefaultCallOptions(cos ...CallOption) DialOption {
	return funcDialOption(func(o *dialOptions) { o.callOptions = append(o.callOptions, cos...) })
}

// WithMaxMsgSize returns a DialOption which sets the maximum message size the
// client can receive.
//
// Deprecated: use WithDefaultCallOptions(MaxCallRecvMsgSize(s)) instead.
// Will be supported throughout 1.x.
func WithMaxMsgSize(s int) DialOption {
	return WithDefaultCallOptions(MaxCallRecvMsgSize(s))
}

// WithCodec returns a DialOption which sets a codec for message marshaling
// and unmarshaling.
//
// Deprecated: use WithDefaultCallOptions(ForceCodec(_)) instead. Will be
// supported throughout 1.x.
func WithCodec(c Codec) DialOption {
	return WithDefaultCallOptions(CallCustomCodec(c))
}

// WithCompressor returns a DialOption which sets a Compressor to use for
// message compression. It has lower priority than the compressor set by the
// UseCompressor CallOption.
//
// Deprecated: use UseCompressor instead. Will be supported throughout 1.x.
func WithCompressor(cp Compressor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.compressorV0 = cp })
}

// WithDecompressor returns a DialOption which sets a Decompressor to use for
// incoming message decompression. If incoming response messages are encoded
// using the decompressor's Type(), it will be used. Otherwise, the message
// encoding will be used to look up the compressor registered via
// encoding.RegisterCompressor, which will then be used to decompress the
// message. If no compressor is registered for the encoding, an Unimplemented
// status error will be returned.
//
// Deprecated: use encoding.RegisterCompressor instead. Will be supported
// throughout 1.x.
func WithDecompressor(dc Decompressor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.decompressorV0 = dc })
}

// WithUnaryInterceptor returns a DialOption that specifies the interceptor
// for unary RPCs.
func WithUnaryInterceptor(f UnaryClientInterceptor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.unaryInt = f })
}

// WithStreamInterceptor returns a DialOption that specifies the interceptor
// for streaming RPCs.
func WithStreamInterceptor(f StreamClientInterceptor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.streamInt = f })
}

// WithChainUnaryInterceptor returns a DialOption that specifies the chained
// interceptor for unary RPCs. The first interceptor will be the outer most,
// while the last interceptor will be the inner most wrapper around the real
// call. All interceptors added by this method will be chained, and the
// interceptor defined by WithUnaryInterceptor will always be prepended to the
// chain.
func WithChainUnaryInterceptor(interceptors ...UnaryClientInterceptor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.chainUnaryInts = append(o.chainUnaryInts, interceptors...) })
}

// WithChainStreamInterceptor returns a DialOption that specifies the chained
// interceptor for streaming RPCs. The first interceptor will be the outer
// most, while the last interceptor will be the inner most wrapper around the
// real call. All interceptors added by this method will be chained, and the
// interceptor defined by WithStreamInterceptor will always be prepended to
// the chain.
func WithChainStreamInterceptor(interceptors ...StreamClientInterceptor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.chainStreamInts = append(o.chainStreamInts, interceptors...) })
}

// WithBlock returns a DialOption which makes callers of Dial block until the
// underlying connection is up. Without this, Dial returns immediately and
// connecting the server happens in background.
//
// Deprecated: this DialOption is not supported by NewClient. Will be
// supported throughout 1.x.
func WithBlock() DialOption {
	return funcDialOption(func(o *dialOptions) { o.block = true })
}

// WithReturnConnectionError returns a DialOption which makes the client
// connection return a string containing both the last connection error that
// occurred and the context.DeadlineExceeded error. Implies WithBlock().
//
// Deprecated: this DialOption is not supported by NewClient. Will be
// supported throughout 1.x.
func WithReturnConnectionError() DialOption {
	return funcDialOption(func(o *dialOptions) {
		o.block = true
		o.returnLastError = true
	})
}

// WithTimeout returns a DialOption that configures a timeout for dialing a
// ClientConn initially. This is valid if and only if WithBlock() is present.
//
// Deprecated: this DialOption is not supported by NewClient. Will be
// supported throughout 1.x.
func WithTimeout(d time.Duration) DialOption {
	return funcDialOption(func(o *dialOptions) { o.timeout = d })
}

// FailOnNonTempDialError returns a DialOption that specifies if gRPC fails on
// non-temporary dial errors. It only affects a blocking Dial (WithBlock).
//
// Deprecated: this DialOption is not supported by NewClient. This API may be
// changed or removed in a later release.
func FailOnNonTempDialError(f bool) DialOption {
	return funcDialOption(func(o *dialOptions) { o.failOnNonTempDialError = f })
}

// WithNoProxy returns a DialOption which disables the use of proxies for this
// ClientConn. This implementation never uses a proxy, so it changes nothing.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a later
// release.
func WithNoProxy() DialOption {
	return EmptyDialOption{}
}

// WithInitialWindowSize returns a DialOption which sets the value for initial
// window size on a stream. The lower bound for window size is 64K and any
// value smaller than that will be ignored.
func WithInitialWindowSize(s int32) DialOption {
	return funcDialOption(func(o *dialOptions) { o.initialWindowSize = s })
}

// WithInitialConnWindowSize returns a DialOption which sets the value for
// initial window size on a connection. The lower bound for window size is 64K
// and any value smaller than that will be ignored.
func WithInitialConnWindowSize(s int32) DialOption {
	return funcDialOption(func(o *dialOptions) { o.initialConnWindowSize = s })
}

// WithStaticStreamWindowSize returns a DialOption which sets the initial
// stream window size to the value provided and disables dynamic flow
// control. This implementation has no dynamic flow control yet, so this is
// WithInitialWindowSize.
func WithStaticStreamWindowSize(s int32) DialOption {
	return WithInitialWindowSize(s)
}

// WithStaticConnWindowSize returns a DialOption which sets the initial
// connection window size to the value provided and disables dynamic flow
// control. This implementation has no dynamic flow control yet, so this is
// WithInitialConnWindowSize.
func WithStaticConnWindowSize(s int32) DialOption {
	return WithInitialConnWindowSize(s)
}

// WithWriteBufferSize determines how much data can be batched before doing a
// write on the wire. The default value for this buffer is 32KB. Zero or
// negative values will disable the write buffer such that each write will be
// on underlying connection.
func WithWriteBufferSize(s int) DialOption {
	return funcDialOption(func(o *dialOptions) { o.writeBufferSize = s })
}

// WithReadBufferSize lets you set the size of read buffer, this determines
// how much data can be read at most for each read syscall. The default value
// for this buffer is 32KB. Zero or negative values will disable read buffer
// for a connection so data framer can access the underlying conn directly.
func WithReadBufferSize(s int) DialOption {
	return funcDialOption(func(o *dialOptions) { o.readBufferSize = s })
}

// WithKeepaliveParams returns a DialOption that specifies keepalive
// parameters for the client transport. Keepalive is disabled by default; a
// Time below 10s is raised to 10s.
func WithKeepaliveParams(kp keepalive.ClientParameters) DialOption {
	if kp.Time < minKeepaliveTime {
		kp.Time = minKeepaliveTime
	}
	return funcDialOption(func(o *dialOptions) { o.keepalive = kp })
}

// MaxHeaderListSizeDialOption is a DialOption that specifies the maximum
// (uncompressed) size of header list that the client is prepared to accept.
type MaxHeaderListSizeDialOption struct {
	MaxHeaderListSize uint32
}

func (o MaxHeaderListSizeDialOption) apply(do *dialOptions) {
	s := o.MaxHeaderListSize
	do.maxHeaderListSize = &s
}

// WithMaxHeaderListSize returns a DialOption that specifies the maximum
// (uncompressed) size of header list that the client is prepared to accept.
func WithMaxHeaderListSize(s uint32) DialOption {
	return MaxHeaderListSizeDialOption{MaxHeaderListSize: s}
}

// ConnectParams defines the parameters for connecting and retrying. See
// https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md.
//
// # Experimental
//
// Notice: This type is EXPERIMENTAL and may be changed or removed in a later
// release.
type ConnectParams struct {
	// Backoff specifies the configuration options for connection backoff.
	Backoff backoff.Config
	// MinConnectTimeout is the minimum amount of time we are willing to give
	// a connection to complete.
	MinConnectTimeout time.Duration
}

// WithConnectParams configures the ClientConn to use the provided
// ConnectParams for creating and maintaining connections to servers. The
// backoff configuration overrides all defaults; consider starting from
// backoff.DefaultConfig.
func WithConnectParams(p ConnectParams) DialOption {
	return funcDialOption(func(o *dialOptions) {
		o.backoff = internalbackoff.Exponential{Config: p.Backoff}
		o.minConnectTimeout = p.MinConnectTimeout
	})
}

// BackoffConfig defines the parameters for the default gRPC backoff
// strategy.
//
// Deprecated: use ConnectParams instead. Will be supported throughout 1.x.
type BackoffConfig struct {
	// MaxDelay is the upper bound of backoff delay.
	MaxDelay time.Duration
}

// DefaultBackoffConfig uses values specified for backoff in
// https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md.
//
// Deprecated: use ConnectParams instead. Will be supported throughout 1.x.
var DefaultBackoffConfig = BackoffConfig{
	MaxDelay: 120 * time.Second,
}

// WithBackoffMaxDelay configures the dialer to use the provided maximum delay
// when backing off after failed connection attempts.
//
// Deprecated: use WithConnectParams instead. Will be supported throughout
// 1.x.
func WithBackoffMaxDelay(md time.Duration) DialOption {
	return WithBackoffConfig(BackoffConfig{MaxDelay: md})
}

// WithBackoffConfig configures the dialer to use the provided backoff
// parameters after connection failures.
//
// Deprecated: use WithConnectParams instead. Will be supported throughout
// 1.x.
func WithBackoffConfig(b BackoffConfig) DialOption {
	cfg := backoff.DefaultConfig
	cfg.MaxDelay = b.MaxDelay
	return funcDialOption(func(o *dialOptions) { o.backoff = internalbackoff.Exponential{Config: cfg} })
}

// withBackoff sets the reconnect strategy directly; tests use it to make
// reconnects fast and predictable.
func withBackoff(bs internalbackoff.Strategy) DialOption {
	return funcDialOption(func(o *dialOptions) { o.backoff = bs })
}

// transportCreds is the connection security in effect: the explicit
// credentials or the bundle's.
func (o *dialOptions) transportCreds() credentials.TransportCredentials {
	if o.creds != nil {
		return o.creds
	}
	if o.credsBundle != nil {
		return o.credsBundle.TransportCredentials()
	}
	return nil
}

// allPerRPCCreds is the dial-level per-RPC credentials, the bundle's first.
func (o *dialOptions) allPerRPCCreds() []credentials.PerRPCCredentials {
	if o.credsBundle == nil || o.credsBundle.PerRPCCredentials() == nil {
		return o.perRPCCreds
	}
	return append([]credentials.PerRPCCredentials{o.credsBundle.PerRPCCredentials()}, o.perRPCCreds...)
}
