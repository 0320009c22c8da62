package grpc

import (
	"context"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/mem"
	"net"
	"time"

	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	internalbackoff "google.golang.org/grpc/internal/backoff"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/resolver"
)

const (
	// defaultIdleTimeout is how long a channel without RPCs keeps its
	// resolver, policy and connections.
	defaultIdleTimeout = 30 * time.Minute
	// defaultMaxCallAttempts caps retry and hedging attempts whatever the
	// service config asks for (gRFC A6).
	defaultMaxCallAttempts = 5
	defaultWriteBufSize    = 32 * 1024
	defaultReadBufSize     = 32 * 1024
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
	clientStatsOptions  // stats handlers (stats_hooks.go)
	channelzDialOptions // WithChannelzParentID (channelz.go)

	bufferPool mem.BufferPool // experimental.WithBufferPool; nil: the default

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
	staticWindow          bool // a window size was set: no BDP estimation
	writeBufferSize       int
	readBufferSize        int
	keepalive             keepalive.ClientParameters
	maxHeaderListSize     *uint32

	compressorV0   Compressor
	decompressorV0 Decompressor

	backoff           internalbackoff.Strategy
	minConnectTimeout time.Duration

	defaultScheme string

	// The client channel: resolvers, service config, idleness, retries.
	resolvers                   []resolver.Builder
	defaultServiceConfigRawJSON *string
	defaultServiceConfig        *ServiceConfig // parsed by NewClient
	disableServiceConfig        bool
	disableHealthCheck          bool
	noProxy                     bool
	localDNSResolution          bool
	idleTimeout                 time.Duration
	disableRetry                bool
	maxCallAttempts             int
}

func defaultDialOptions() dialOptions {
	return dialOptions{
		writeBufferSize:   defaultWriteBufSize,
		readBufferSize:    defaultReadBufSize,
		backoff:           internalbackoff.DefaultExponential,
		minConnectTimeout: minConnectTimeout,
		idleTimeout:       defaultIdleTimeout,
		maxCallAttempts:   defaultMaxCallAttempts,
	}
}

// DialOption is a setting passed to NewClient (or Dial) that shapes the
// ClientConn it builds.
type DialOption interface {
	apply(*dialOptions)
}

// EmptyDialOption is a DialOption with no effect. Embed it in a struct of your
// own to define a custom option type.
//
// Experimental: grpc-go may change or remove this API.
type EmptyDialOption struct{}

func (EmptyDialOption) apply(*dialOptions) {}

type funcDialOption func(*dialOptions)

func (f funcDialOption) apply(o *dialOptions) { f(o) }

// withDefaultScheme sets the scheme used for targets without a known one;
// Dial and DialContext use "passthrough" for backward compatibility.
func withDefaultScheme(s string) DialOption {
	return funcDialOption(func(o *dialOptions) { o.defaultScheme = s })
}

// WithTransportCredentials sets the channel's transport security, for
// instance TLS or insecure.NewCredentials(). Do not combine it with
// WithCredentialsBundle.
func WithTransportCredentials(creds credentials.TransportCredentials) DialOption {
	return funcDialOption(func(o *dialOptions) { o.creds = creds })
}

// WithInsecure turns off transport security; it is the same as
// WithTransportCredentials(insecure.NewCredentials()).
//
// Deprecated: pass insecure.NewCredentials() to WithTransportCredentials;
// kept working for all 1.x releases.
func WithInsecure() DialOption {
	return funcDialOption(func(o *dialOptions) { o.creds = insecure.NewCredentials() })
}

// WithCredentialsBundle supplies both transport and per-RPC credentials from
// one credentials.Bundle. Do not combine it with WithTransportCredentials.
//
// Experimental: grpc-go may change or remove this API.
func WithCredentialsBundle(b credentials.Bundle) DialOption {
	return funcDialOption(func(o *dialOptions) { o.credsBundle = b })
}

// WithPerRPCCredentials adds creds, whose metadata is attached to every RPC
// on the channel. It may be given several times.
func WithPerRPCCredentials(creds credentials.PerRPCCredentials) DialOption {
	return funcDialOption(func(o *dialOptions) { o.perRPCCreds = append(o.perRPCCreds, creds) })
}

// WithContextDialer replaces the default net.Dialer with f, which receives
// the resolved address. With FailOnNonTempDialError(true), an error from f
// whose Temporary method reports false stops reconnection.
//
// Use a "passthrough:///" target if f must see the target string as written.
func WithContextDialer(f func(context.Context, string) (net.Conn, error)) DialOption {
	return funcDialOption(func(o *dialOptions) { o.dialer = f })
}

// WithDialer is WithContextDialer for a dialer that takes a timeout; the
// timeout handed to f is what remains of the context deadline, or 0 if none.
//
// Deprecated: use WithContextDialer; kept working for all 1.x releases.
func WithDialer(f func(string, time.Duration) (net.Conn, error)) DialOption {
	return WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
		if deadline, ok := ctx.Deadline(); ok {
			return f(addr, time.Until(deadline))
		}
		return f(addr, 0)
	})
}

// WithAuthority overrides the :authority sent on each RPC, which is also the
// server name checked during the security handshake.
func WithAuthority(a string) DialOption {
	return funcDialOption(func(o *dialOptions) { o.authority = a })
}

// WithUserAgent puts s in front of the gRPC library's own user-agent string
// on every RPC.
func WithUserAgent(s string) DialOption {
	return funcDialOption(func(o *dialOptions) { o.userAgent = s })
}

// WithDefaultCallOptions adds cos to every RPC made on the channel, ahead of
// any CallOptions given to the RPC itself.
func WithDefaultCallOptions(cos ...CallOption) DialOption {
	return funcDialOption(func(o *dialOptions) { o.callOptions = append(o.callOptions, cos...) })
}

// WithMaxMsgSize caps the size, in bytes, of messages the client accepts.
//
// Deprecated: use WithDefaultCallOptions(MaxCallRecvMsgSize(s)); kept
// working for all 1.x releases.
func WithMaxMsgSize(s int) DialOption {
	return WithDefaultCallOptions(MaxCallRecvMsgSize(s))
}

// WithCodec makes every RPC on the channel use c to encode and decode
// messages.
//
// Deprecated: use WithDefaultCallOptions(ForceCodec(...)); kept working for
// all 1.x releases.
func WithCodec(c Codec) DialOption {
	return WithDefaultCallOptions(CallCustomCodec(c))
}

// WithCompressor compresses outgoing messages with cp unless an RPC picks a
// compressor with UseCompressor, which wins.
//
// Deprecated: use UseCompressor; kept working for all 1.x releases.
func WithCompressor(cp Compressor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.compressorV0 = cp })
}

// WithDecompressor registers dc for responses whose grpc-encoding equals
// dc.Type(). Any other encoding is looked up among the compressors passed to
// encoding.RegisterCompressor; if none matches, the RPC fails with
// codes.Unimplemented.
//
// Deprecated: register the compressor with encoding.RegisterCompressor;
// kept working for all 1.x releases.
func WithDecompressor(dc Decompressor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.decompressorV0 = dc })
}

// WithUnaryInterceptor installs f around every unary RPC on the channel.
func WithUnaryInterceptor(f UnaryClientInterceptor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.unaryInt = f })
}

// WithStreamInterceptor installs f around every streaming RPC on the
// channel.
func WithStreamInterceptor(f StreamClientInterceptor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.streamInt = f })
}

// WithChainUnaryInterceptor appends interceptors to the channel's unary
// chain. Earlier entries wrap later ones, so interceptors[0] runs first; an
// interceptor set with WithUnaryInterceptor sits in front of the whole chain.
func WithChainUnaryInterceptor(interceptors ...UnaryClientInterceptor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.chainUnaryInts = append(o.chainUnaryInts, interceptors...) })
}

// WithChainStreamInterceptor appends interceptors to the channel's streaming
// chain. Earlier entries wrap later ones, so interceptors[0] runs first; an
// interceptor set with WithStreamInterceptor sits in front of the whole
// chain.
func WithChainStreamInterceptor(interceptors ...StreamClientInterceptor) DialOption {
	return funcDialOption(func(o *dialOptions) { o.chainStreamInts = append(o.chainStreamInts, interceptors...) })
}

// WithBlock makes Dial and DialContext wait until the channel is READY
// before returning, instead of connecting in the background.
//
// Deprecated: NewClient ignores this option; it keeps working with Dial for
// all 1.x releases.
func WithBlock() DialOption {
	return funcDialOption(func(o *dialOptions) { o.block = true })
}

// WithReturnConnectionError makes a blocking Dial that times out report the
// most recent connection error next to context.DeadlineExceeded. It turns on
// WithBlock.
//
// Deprecated: NewClient ignores this option; it keeps working with Dial for
// all 1.x releases.
func WithReturnConnectionError() DialOption {
	return funcDialOption(func(o *dialOptions) {
		o.block = true
		o.returnLastError = true
	})
}

// WithTimeout bounds how long a blocking Dial (see WithBlock) waits for the
// first connection; without WithBlock it does nothing.
//
// Deprecated: NewClient ignores this option; it keeps working with Dial for
// all 1.x releases.
func WithTimeout(d time.Duration) DialOption {
	return funcDialOption(func(o *dialOptions) { o.timeout = d })
}

// FailOnNonTempDialError, when f is true, ends a blocking Dial (WithBlock)
// as soon as a dial error is not temporary, rather than retrying.
//
// Deprecated: NewClient ignores this option, and grpc-go may change or
// remove it.
func FailOnNonTempDialError(f bool) DialOption {
	return funcDialOption(func(o *dialOptions) { o.failOnNonTempDialError = f })
}

// WithNoProxy makes the channel connect directly even when the environment
// (HTTPS_PROXY) names an HTTP CONNECT proxy. A custom dialer
// (WithContextDialer) never uses the proxy either.
//
// Experimental: grpc-go may change or remove this API.
func WithNoProxy() DialOption {
	return funcDialOption(func(o *dialOptions) { o.noProxy = true })
}

// WithLocalDNSResolution resolves the target's name here even when an
// environment proxy is used, and asks the proxy to CONNECT to the resolved
// address; by default the proxy receives the name. It has no effect with
// WithNoProxy.
//
// Experimental: grpc-go may change or remove this API.
func WithLocalDNSResolution() DialOption {
	return funcDialOption(func(o *dialOptions) { o.localDNSResolution = true })
}

// WithInitialWindowSize sets each stream's HTTP/2 flow-control window, in
// bytes. Values below 65535 are ignored and the default is used.
func WithInitialWindowSize(s int32) DialOption {
	return funcDialOption(func(o *dialOptions) { o.initialWindowSize, o.staticWindow = s, true })
}

// WithInitialConnWindowSize sets the connection-wide HTTP/2 flow-control
// window, in bytes. Values below 65535 are ignored and the default is used.
func WithInitialConnWindowSize(s int32) DialOption {
	return funcDialOption(func(o *dialOptions) { o.initialConnWindowSize, o.staticWindow = s, true })
}

// WithStaticStreamWindowSize fixes the per-stream window at s bytes, turning
// off window resizing (BDP estimation), exactly like WithInitialWindowSize.
func WithStaticStreamWindowSize(s int32) DialOption {
	return WithInitialWindowSize(s)
}

// WithStaticConnWindowSize fixes the connection window at s bytes, turning
// off window resizing (BDP estimation), exactly like
// WithInitialConnWindowSize.
func WithStaticConnWindowSize(s int32) DialOption {
	return WithInitialConnWindowSize(s)
}

// WithWriteBufferSize sets how many bytes of outgoing frames are gathered
// before a write to the socket; 32 KiB by default. With s <= 0 every frame
// is written straight through.
func WithWriteBufferSize(s int) DialOption {
	return funcDialOption(func(o *dialOptions) { o.writeBufferSize = s })
}

// WithReadBufferSize sets the size, in bytes, of the buffer used for reading
// from the socket; 32 KiB by default. With s <= 0 reads go to the connection
// without buffering.
func WithReadBufferSize(s int) DialOption {
	return funcDialOption(func(o *dialOptions) { o.readBufferSize = s })
}

// WithKeepaliveParams turns on client keepalive pings as described by kp.
// Without it no pings are sent. kp.Time is raised to 10s if smaller.
func WithKeepaliveParams(kp keepalive.ClientParameters) DialOption {
	if kp.Time < minKeepaliveTime {
		kp.Time = minKeepaliveTime
	}
	return funcDialOption(func(o *dialOptions) { o.keepalive = kp })
}

// MaxHeaderListSizeDialOption is the DialOption built by WithMaxHeaderListSize.
type MaxHeaderListSizeDialOption struct {
	MaxHeaderListSize uint32
}

func (o MaxHeaderListSizeDialOption) apply(do *dialOptions) {
	s := o.MaxHeaderListSize
	do.maxHeaderListSize = &s
}

// WithMaxHeaderListSize limits the total size, before HPACK compression, of
// response headers the client will take, and announces the limit to the
// server in SETTINGS_MAX_HEADER_LIST_SIZE.
func WithMaxHeaderListSize(s uint32) DialOption {
	return MaxHeaderListSizeDialOption{MaxHeaderListSize: s}
}

// ConnectParams tunes how the channel connects and reconnects, following the
// gRPC connection backoff document
// (https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md).
//
// Experimental: grpc-go may change or remove this API.
type ConnectParams struct {
	// Backoff controls the delays between reconnection attempts.
	Backoff backoff.Config
	// MinConnectTimeout is the shortest time a single connection attempt is
	// allowed before it is abandoned.
	MinConnectTimeout time.Duration
}

// WithConnectParams applies p to the channel. p.Backoff replaces the default
// backoff entirely, so start from backoff.DefaultConfig and change only what
// you need.
func WithConnectParams(p ConnectParams) DialOption {
	return funcDialOption(func(o *dialOptions) {
		o.backoff = internalbackoff.Exponential{Config: p.Backoff}
		o.minConnectTimeout = p.MinConnectTimeout
	})
}

// BackoffConfig is the older way to tune reconnection backoff; only the
// maximum delay can be set.
//
// Deprecated: use ConnectParams; kept working for all 1.x releases.
type BackoffConfig struct {
	// MaxDelay caps the wait between reconnection attempts.
	MaxDelay time.Duration
}

// DefaultBackoffConfig holds the standard 120-second maximum backoff delay.
//
// Deprecated: use ConnectParams; kept working for all 1.x releases.
var DefaultBackoffConfig = BackoffConfig{
	MaxDelay: 120 * time.Second,
}

// WithBackoffMaxDelay keeps the default backoff but caps the delay between
// reconnection attempts at md.
//
// Deprecated: use WithConnectParams; kept working for all 1.x releases.
func WithBackoffMaxDelay(md time.Duration) DialOption {
	return WithBackoffConfig(BackoffConfig{MaxDelay: md})
}

// WithBackoffConfig keeps the default backoff but takes the maximum delay
// from b.
//
// Deprecated: use WithConnectParams; kept working for all 1.x releases.
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
	// The bundle's credentials come after the dial options' ones, as in grpc-go.
	all := make([]credentials.PerRPCCredentials, 0, len(o.perRPCCreds)+1)
	return append(append(all, o.perRPCCreds...), o.credsBundle.PerRPCCredentials())
}

// WithResolvers registers resolvers for this ClientConn only; they take
// precedence over the global registry for their schemes.
//
// Experimental: grpc-go may change or remove this API.
func WithResolvers(rs ...resolver.Builder) DialOption {
	return funcDialOption(func(o *dialOptions) { o.resolvers = append(o.resolvers, rs...) })
}

// WithDefaultServiceConfig sets the service config (JSON) used when the
// resolver provides none, provides an invalid one, or WithDisableServiceConfig
// is set. NewClient fails if s does not parse.
func WithDefaultServiceConfig(s string) DialOption {
	return funcDialOption(func(o *dialOptions) { o.defaultServiceConfigRawJSON = &s })
}

// WithDisableServiceConfig ignores service configs from the resolver and
// asks it not to look them up. A default service config still applies.
func WithDisableServiceConfig() DialOption {
	return funcDialOption(func(o *dialOptions) { o.disableServiceConfig = true })
}

// WithDisableHealthCheck turns off client-side health checking of backends,
// even where the service config enables it.
//
// Experimental: grpc-go may change or remove this API.
func WithDisableHealthCheck() DialOption {
	return funcDialOption(func(o *dialOptions) { o.disableHealthCheck = true })
}

// WithIdleTimeout sets how long a channel with no RPCs waits before it
// releases its resolver, LB policy and connections (30 minutes by default;
// 0 disables idleness). Connect or a new RPC wakes it up.
//
// Experimental: grpc-go may change or remove this API.
func WithIdleTimeout(d time.Duration) DialOption {
	return funcDialOption(func(o *dialOptions) { o.idleTimeout = d })
}

// WithDisableRetry turns off retries and hedging configured by the service
// config. Transparent retries of attempts the server never saw still
// happen.
func WithDisableRetry() DialOption {
	return funcDialOption(func(o *dialOptions) { o.disableRetry = true })
}

// WithMaxCallAttempts caps the attempts of one RPC, retries and hedges
// included, whatever the service config says. Values below 2 mean the
// default, 5.
func WithMaxCallAttempts(n int) DialOption {
	return funcDialOption(func(o *dialOptions) {
		if n < 2 {
			n = defaultMaxCallAttempts
		}
		o.maxCallAttempts = n
	})
}

// WithSharedWriteBuffer once made connections return their write buffer to
// a pool after each flush. Ours always do, whatever val is.
//
// Deprecated: write buffers are shared by default; grpc-go will remove this
// option.
func WithSharedWriteBuffer(val bool) DialOption {
	return EmptyDialOption{}
}

func init() {
	internal.WithBufferPool = func(pool mem.BufferPool) DialOption {
		return funcDialOption(func(o *dialOptions) { o.bufferPool = pool })
	}
	internal.JoinDialOptions = func(opts ...DialOption) DialOption {
		return funcDialOption(func(o *dialOptions) {
			for _, opt := range opts {
				opt.apply(o)
			}
		})
	}
}
