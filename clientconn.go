package grpc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

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

	target    string
	parsed    parsedTarget
	authority string
	dopts     dialOptions
	// registeredCompressors is the grpc-accept-encoding value. Compressors
	// register during init, so it is fixed by the time a client exists.
	registeredCompressors string

	// ac is the channel's only subchannel. The resolver/balancer issue turns
	// this into a set of addrConns behind a picker; RPCs only go through
	// pickTransport, which is the seam to replace.
	ac *addrConn

	mu      sync.Mutex
	state   connectivity.State
	changed chan struct{} // closed and replaced on every update below
	ready   *transport.ClientTransport
	lastErr error // why the channel is in TRANSIENT_FAILURE
	closed  bool
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
		target:  target,
		dopts:   defaultDialOptions(),
		state:   connectivity.Idle,
		changed: make(chan struct{}),
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&cc.dopts)
		}
	}
	if cc.parsed, err = parseTarget(target, cc.dopts.defaultScheme); err != nil {
		return nil, err
	}
	if err := cc.parsed.validate(); err != nil {
		return nil, err
	}
	chainUnaryClientInterceptors(&cc.dopts)
	chainStreamClientInterceptors(&cc.dopts)
	if err := cc.validateTransportCredentials(); err != nil {
		return nil, err
	}
	if err := cc.initAuthority(); err != nil {
		return nil, err
	}
	cc.registeredCompressors = strings.Join(grpcutil.RegisteredCompressorNames, ",")
	cc.ctx, cc.cancel = context.WithCancel(context.Background())
	cc.ac = newAddrConn(cc)
	return cc, nil
}

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
	opts = append([]DialOption{withDefaultScheme(schemePassthrough)}, opts...)
	cc, err := NewClient(target, opts...)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cc.Close()
		}
	}()
	// Dial has always started connecting at once rather than on first RPC.
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
		cc.authority = cc.parsed.authority()
	}
	return nil
}

// transportOptions are the per-connection settings from the dial options.
func (cc *ClientConn) transportOptions() transport.ClientOptions {
	o := &cc.dopts
	ua := "grpc-go/" + Version
	if o.userAgent != "" {
		ua = o.userAgent + " " + ua
	}
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
		Keepalive:             o.keepalive,
	}
}

// onAddrConnState derives the channel state from the subchannel's, with
// pick_first's rules: TRANSIENT_FAILURE is sticky until READY (reconnect
// attempts do not show as CONNECTING), and losing a READY connection makes the
// channel IDLE.
func (cc *ClientConn) onAddrConnState(s connectivity.State, t *transport.ClientTransport, err error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.closed {
		return
	}
	cc.ready = t
	switch s {
	case connectivity.Connecting:
		if cc.state == connectivity.TransientFailure {
			return
		}
	case connectivity.TransientFailure:
		cc.lastErr = err
	case connectivity.Ready:
		cc.lastErr = nil
	}
	cc.state = s
	cc.notifyLocked()
}

func (cc *ClientConn) notifyLocked() {
	close(cc.changed)
	cc.changed = make(chan struct{})
}

// connectionError is the last connection failure, if the channel is in
// TRANSIENT_FAILURE.
func (cc *ClientConn) connectionError() error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.lastErr
}

// pickTransport returns a READY transport for one RPC attempt, starting a
// connection when the channel is IDLE. Without WaitForReady (failFast) it
// fails with Unavailable while the channel is in TRANSIENT_FAILURE; otherwise
// it waits for READY or the end of ctx.
func (cc *ClientConn) pickTransport(ctx context.Context, failFast bool) (*transport.ClientTransport, error) {
	var lastErr error
	for {
		cc.mu.Lock()
		if cc.closed {
			cc.mu.Unlock()
			return nil, ErrClientConnClosing
		}
		state, t, changed, connErr := cc.state, cc.ready, cc.changed, cc.lastErr
		cc.mu.Unlock()

		switch state {
		case connectivity.Ready:
			if t != nil {
				return t, nil
			}
		case connectivity.Idle:
			// connect changes the state, which wakes the select below.
			cc.ac.connect()
		case connectivity.TransientFailure:
			if failFast && connErr != nil {
				return nil, status.Error(codes.Unavailable, connErr.Error())
			}
			lastErr = connErr
		}
		select {
		case <-changed:
		case <-ctx.Done():
			msg := fmt.Sprintf("%v while waiting for connections to become ready", ctx.Err())
			if lastErr != nil {
				msg = "latest balancer error: " + lastErr.Error()
			}
			return nil, status.Error(status.FromContextError(ctx.Err()).Code(), msg)
		}
	}
}

// Connect starts connecting if the channel is IDLE and returns without
// waiting for the attempt.
//
// Experimental: grpc-go may change or remove this API.
func (cc *ClientConn) Connect() {
	cc.mu.Lock()
	idle := !cc.closed && cc.state == connectivity.Idle
	cc.mu.Unlock()
	if idle {
		cc.ac.connect()
	}
}

// GetState reports the channel's current connectivity state.
func (cc *ClientConn) GetState() connectivity.State {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.state
}

// WaitForStateChange blocks while the channel's state is still sourceState.
// It reports true once the state has moved on and false if ctx ends first.
func (cc *ClientConn) WaitForStateChange(ctx context.Context, sourceState connectivity.State) bool {
	for {
		cc.mu.Lock()
		state, changed := cc.state, cc.changed
		cc.mu.Unlock()
		if state != sourceState {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// Target is the target string exactly as given to NewClient or Dial.
func (cc *ClientConn) Target() string {
	return cc.target
}

// CanonicalTarget is the parsed target written out in full as
// "<scheme>://[authority]/<endpoint>", such as "dns:///localhost:50051" or
// "unix:///tmp/grpc.sock".
func (cc *ClientConn) CanonicalTarget() string {
	return cc.parsed.String()
}

// ResetConnectBackoff makes connections waiting out a backoff in
// TRANSIENT_FAILURE retry now, and restarts the backoff sequence for later
// failures. Normal reconnection needs no help; call this when you know the
// network has just come back.
//
// Experimental: grpc-go may change or remove this API.
func (cc *ClientConn) ResetConnectBackoff() {
	cc.ac.resetConnectBackoff()
}

// Close shuts the channel and its connections down. Running RPCs end with
// codes.Canceled. Calling Close again returns ErrClientConnClosing.
func (cc *ClientConn) Close() error {
	cc.mu.Lock()
	if cc.closed {
		cc.mu.Unlock()
		return ErrClientConnClosing
	}
	cc.closed = true
	cc.ready = nil
	cc.state = connectivity.Shutdown
	cc.notifyLocked()
	cc.mu.Unlock()

	// Streams watch cc.ctx, so they end with ErrClientConnClosing before the
	// transports below fail them with a connection error.
	cc.cancel()
	cc.ac.tearDown(ErrClientConnClosing)
	return nil
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
