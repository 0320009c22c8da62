package grpc

import (
	_ "google.golang.org/grpc/balancer/roundrobin"           // "round_robin", usable by name in service configs
	_ "google.golang.org/grpc/internal/resolver/passthrough" // the "passthrough" scheme
	_ "google.golang.org/grpc/internal/resolver/unix"        // the "unix" and "unix-abstract" schemes
	"google.golang.org/grpc/keepalive"
	_ "google.golang.org/grpc/resolver/dns" // the "dns" scheme, NewClient's default
	"math"
	"time"

	"context"
	"errors"
	"fmt"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/internal"
	ichannelz "google.golang.org/grpc/internal/channelz"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/status"
)

var (
	// ErrClientConnClosing reports use of a ClientConn after Close, including a
	// second call to Close. Its code is codes.Canceled.
	//
	// Deprecated: check for codes.Canceled instead of comparing with this value.
	ErrClientConnClosing = status.Error(codes.Canceled, "grpc: the client connection is closing")

	// ErrClientConnTimeout once reported a dial that did not finish in time.
	//
	// Deprecated: nothing returns it any more; do not use it.
	ErrClientConnTimeout = errors.New("grpc: timed out when dialing")

	errNoTransportSecurity         = errors.New("grpc: no transport security set (use grpc.WithTransportCredentials(insecure.NewCredentials()) explicitly or set credentials)")
	errTransportCredsAndBundle     = errors.New("grpc: credentials.Bundle may not be used with individual TransportCredentials")
	errNoTransportCredsInBundle    = errors.New("grpc: credentials.Bundle must return non-nil transport credentials")
	errTransportCredentialsMissing = errors.New("grpc: the credentials require transport level security (use grpc.WithTransportCredentials() to set)")
)

// ClientConn is a gRPC channel: a logical link to the service named by its
// target, on which any number of RPCs can run at once.
//
// Behind it the channel resolves the target, opens and re-opens TCP
// connections with backoff, performs the security handshake and picks a
// connection for each RPC. It may hold no connection at all while idle.
// Create one with NewClient and release it with Close.
type ClientConn struct {
	ctx    context.Context // canceled by Close; in-flight streams watch it
	cancel context.CancelFunc

	target          string
	parsedTarget    resolver.Target
	resolverBuilder resolver.Builder
	authority       string
	dopts           dialOptions
	// registeredCompressors is the grpc-accept-encoding value. Compressors
	// register during init, so it is fixed by the time a client exists.
	registeredCompressors string

	idle idleTracker

	mu      sync.Mutex
	state   connectivity.State
	changed chan struct{} // closed and replaced on every state or picker update
	picker  balancer.Picker
	lastErr error // the last connection failure, for Dial's error reporting
	closed  bool

	// The parts that exist only while the channel is not idle.
	inIdle   bool
	resolver *ccResolverWrapper
	balancer *ccBalancerWrapper
	conns    map[*addrConn]struct{}
	// resolved is closed once the resolver has reported for the first time
	// since the channel left idle mode; RPCs wait for it so that the service
	// config applies to them.
	resolved chan struct{}

	// keepaliveTime is the client ping interval for new connections: the
	// dial option's, doubled each time a server complains of too many
	// pings (as grpc-go does). Under mu.
	keepaliveTime time.Duration

	sc                 *ServiceConfig             // the service config in force
	lastResolverConfig *serviceconfig.ParseResult // for the deprecated NewAddress
	retryThrottler     atomic.Pointer[retryThrottler]

	cz *ichannelz.Channel // the channelz entry (channelz.go)
}

// NewClient builds a ClientConn for target without touching the network. The
// channel connects on its first RPC, or earlier if Connect is called.
//
// target is a URI in the syntax of
// https://github.com/grpc/grpc/blob/master/doc/naming.md. If it has no
// scheme, or a scheme with no registered resolver, "dns" is assumed.
// Examples:
//
//   - "localhost:50051"
//   - "dns:///grpc.example.org:443"
//   - "dns://1.1.1.1/grpc.example.org:443"
//   - "unix:///tmp/grpc.sock"
//   - "passthrough:///192.0.2.7:50051"
//
// WithBlock, WithTimeout, WithReturnConnectionError and
// FailOnNonTempDialError have no effect here.
func NewClient(target string, opts ...DialOption) (conn *ClientConn, err error) {
	cc := &ClientConn{
		target:   target,
		dopts:    defaultDialOptions(),
		state:    connectivity.Idle,
		changed:  make(chan struct{}),
		inIdle:   true,
		conns:    make(map[*addrConn]struct{}),
		resolved: make(chan struct{}),
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&cc.dopts)
		}
	}
	defScheme := cc.dopts.defaultScheme
	if defScheme == "" {
		defScheme = "dns"
		if internal.UserSetDefaultScheme {
			defScheme = resolver.GetDefaultScheme()
		}
	}
	if cc.parsedTarget, cc.resolverBuilder, err = parseTarget(target, defScheme, &cc.dopts); err != nil {
		return nil, err
	}
	chainUnaryClientInterceptors(&cc.dopts)
	chainStreamClientInterceptors(&cc.dopts)
	if err := cc.validateTransportCredentials(); err != nil {
		return nil, err
	}
	if js := cc.dopts.defaultServiceConfigRawJSON; js != nil {
		pr := parseServiceConfig(*js, cc.dopts.maxCallAttempts)
		if pr.Err != nil {
			return nil, fmt.Errorf("%s: %v", invalidDefaultServiceConfigErrPrefix, pr.Err)
		}
		cc.dopts.defaultServiceConfig, _ = pr.Config.(*ServiceConfig)
	}
	if err := cc.initAuthority(); err != nil {
		return nil, err
	}
	cc.registeredCompressors = strings.Join(grpcutil.RegisteredCompressorNames, ",")
	cc.ctx, cc.cancel = context.WithCancel(context.Background())
	cc.idle.init(cc, cc.dopts.idleTimeout)
	cc.czRegister()
	return cc, nil
}

// invalidDefaultServiceConfigErrPrefix starts NewClient's error for a
// WithDefaultServiceConfig that does not parse.
const invalidDefaultServiceConfigErrPrefix = "grpc: the provided default service config is invalid"

// Dial is DialContext with context.Background().
//
// Deprecated: use NewClient; kept working for all 1.x releases.
func Dial(target string, opts ...DialOption) (*ClientConn, error) {
	return DialContext(context.Background(), target, opts...)
}

// DialContext builds a ClientConn as NewClient does and starts connecting at
// once. With WithBlock it returns only when the channel is READY, or fails
// when ctx (or WithTimeout) runs out.
//
// Unlike NewClient, a target without a scheme uses the "passthrough"
// resolver, so a custom dialer sees the target string unchanged. Few
// programs notice the difference.
//
// Deprecated: use NewClient; kept working for all 1.x releases.
func DialContext(ctx context.Context, target string, opts ...DialOption) (conn *ClientConn, err error) {
	opts = append([]DialOption{withDefaultScheme(resolver.GetDefaultScheme())}, opts...)
	cc, err := NewClient(target, opts...)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cc.Close()
		}
	}()
	// Dial has always started connecting at once rather than on first RPC,
	// and reports a resolver that cannot be built.
	if err := cc.exitIdle(); err != nil {
		return nil, err
	}
	cc.Connect()
	if !cc.dopts.block {
		return cc, nil
	}
	if cc.dopts.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cc.dopts.timeout)
		defer cancel()
	}
	for {
		s := cc.GetState()
		switch s {
		case connectivity.Idle:
			cc.Connect()
		case connectivity.Ready:
			return cc, nil
		case connectivity.TransientFailure:
			if cc.dopts.failOnNonTempDialError {
				if err := cc.connectionError(); err != nil && !isTemporary(err) {
					return nil, err
				}
			}
		}
		if !cc.WaitForStateChange(ctx, s) {
			if err := cc.connectionError(); err != nil && cc.dopts.returnLastError {
				return nil, fmt.Errorf("%v: %v", ctx.Err(), err)
			}
			return nil, ctx.Err()
		}
	}
}

// validateTransportCredentials applies grpc-go's rules: security must be
// chosen explicitly, and credentials that need a secure transport cannot be
// combined with an insecure one.
func (cc *ClientConn) validateTransportCredentials() error {
	o := &cc.dopts
	if o.creds == nil && o.credsBundle == nil {
		return errNoTransportSecurity
	}
	if o.creds != nil && o.credsBundle != nil {
		return errTransportCredsAndBundle
	}
	if o.credsBundle != nil && o.credsBundle.TransportCredentials() == nil {
		return errNoTransportCredsInBundle
	}
	if o.transportCreds().Info().SecurityProtocol == "insecure" {
		for _, c := range o.perRPCCreds {
			if c.RequireTransportSecurity() {
				return errTransportCredentialsMissing
			}
		}
	}
	return nil
}

// initAuthority chooses the :authority: WithAuthority, then the credentials'
// server name, then the target.
func (cc *ClientConn) initAuthority() error {
	//lint:ignore SA1019 deprecated, but grpc-go still honours it and so must a drop-in
	fromCreds := cc.dopts.transportCreds().Info().ServerName
	fromOpt := cc.dopts.authority
	if fromCreds != "" && fromOpt != "" && fromCreds != fromOpt {
		return fmt.Errorf("ClientConn's authority from transport creds %q and dial option %q don't match", fromCreds, fromOpt)
	}
	switch {
	case fromOpt != "":
		cc.authority = fromOpt
	case fromCreds != "":
		cc.authority = fromCreds
	default:
		cc.authority = targetAuthority(cc.parsedTarget, cc.resolverBuilder)
	}
	return nil
}

// keepaliveParams are the keepalive settings for a new connection.
func (cc *ClientConn) keepaliveParams() keepalive.ClientParameters {
	kp := cc.dopts.keepalive
	cc.mu.Lock()
	if cc.keepaliveTime > kp.Time {
		kp.Time = cc.keepaliveTime
	}
	cc.mu.Unlock()
	return kp
}

// backOffKeepalive doubles the ping interval of future connections after a
// server sent GOAWAY "too_many_pings".
func (cc *ClientConn) backOffKeepalive() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	t := max(cc.keepaliveTime, cc.dopts.keepalive.Time)
	if t > 0 && t < infiniteKeepalive/2 {
		cc.keepaliveTime = 2 * t
	}
}

// infiniteKeepalive is the keepalive Time that disables pinging.
const infiniteKeepalive = time.Duration(math.MaxInt64)

// userAgent is the user-agent header value: WithUserAgent's, then ours.
func (cc *ClientConn) userAgent() string {
	ua := "grpc-go/" + Version
	if cc.dopts.userAgent != "" {
		ua = cc.dopts.userAgent + " " + ua
	}
	return ua
}

// transportOptions are the per-connection settings from the dial options.
func (cc *ClientConn) transportOptions() transport.ClientOptions {
	o := &cc.dopts
	ua := cc.userAgent()
	window := func(s int32) int32 {
		if s < minWindowSize {
			return 0 // transport default
		}
		return s
	}
	bufSize := func(s int) int {
		if s <= 0 {
			return -1 // unbuffered
		}
		return s
	}
	return transport.ClientOptions{
		Authority:             cc.authority,
		UserAgent:             ua,
		InitialWindowSize:     window(o.initialWindowSize),
		InitialConnWindowSize: window(o.initialConnWindowSize),
		DynamicWindow:         !o.staticWindow,
		MaxHeaderListSize:     o.maxHeaderListSize,
		WriteBufferSize:       bufSize(o.writeBufferSize),
		ReadBufferSize:        bufSize(o.readBufferSize),
		Keepalive:             cc.keepaliveParams(),
		BufferPool:            o.bufferPool,
	}
}

// chainUnaryClientInterceptors folds WithUnaryInterceptor (outermost) and
// WithChainUnaryInterceptor into the single interceptor RPCs call.
func chainUnaryClientInterceptors(o *dialOptions) {
	o.unaryInt = chainInterceptors(o.unaryInt, o.unaryInt != nil, o.chainUnaryInts, func(ints []UnaryClientInterceptor) UnaryClientInterceptor {
		return func(ctx context.Context, method string, req, reply any, cc *ClientConn, invoker UnaryInvoker, opts ...CallOption) error {
			return ints[0](ctx, method, req, reply, cc, unaryChainLink(ints, 0, invoker), opts...)
		}
	})
}

func unaryChainLink(ints []UnaryClientInterceptor, cur int, final UnaryInvoker) UnaryInvoker {
	if cur == len(ints)-1 {
		return final
	}
	return func(ctx context.Context, method string, req, reply any, cc *ClientConn, opts ...CallOption) error {
		return ints[cur+1](ctx, method, req, reply, cc, unaryChainLink(ints, cur+1, final), opts...)
	}
}

// chainStreamClientInterceptors is chainUnaryClientInterceptors for streams.
func chainStreamClientInterceptors(o *dialOptions) {
	o.streamInt = chainInterceptors(o.streamInt, o.streamInt != nil, o.chainStreamInts, func(ints []StreamClientInterceptor) StreamClientInterceptor {
		return func(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, streamer Streamer, opts ...CallOption) (ClientStream, error) {
			return ints[0](ctx, desc, cc, method, streamChainLink(ints, 0, streamer), opts...)
		}
	})
}

func streamChainLink(ints []StreamClientInterceptor, cur int, final Streamer) Streamer {
	if cur == len(ints)-1 {
		return final
	}
	return func(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, opts ...CallOption) (ClientStream, error) {
		return ints[cur+1](ctx, desc, cc, method, streamChainLink(ints, cur+1, final), opts...)
	}
}
