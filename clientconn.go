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
	// ErrClientConnClosing indicates that the operation is illegal because
	// the ClientConn is closing.
	//
	// Deprecated: this error should not be relied upon by users; use the
	// status code of Canceled instead.
	ErrClientConnClosing = status.Error(codes.Canceled, "grpc: the client connection is closing")

	// ErrClientConnTimeout indicates that the ClientConn cannot establish the
	// underlying connections within the specified timeout.
	//
	// Deprecated: This error is never returned by grpc and should not be
	// referenced by users.
	ErrClientConnTimeout = errors.New("grpc: timed out when dialing")

	errNoTransportSecurity         = errors.New("grpc: no transport security set (use grpc.WithTransportCredentials(insecure.NewCredentials()) explicitly or set credentials)")
	errTransportCredsAndBundle     = errors.New("grpc: credentials.Bundle may not be used with individual TransportCredentials")
	errNoTransportCredsInBundle    = errors.New("grpc: credentials.Bundle must return non-nil transport credentials")
	errTransportCredentialsMissing = errors.New("grpc: the credentials require transport level security (use grpc.WithTransportCredentials() to set)")
)

// ClientConn represents a virtual connection to a conceptual endpoint, to
// perform RPCs.
//
// A ClientConn is free to have zero or more actual connections to the
// endpoint based on configuration, load, etc. It is also free to determine
// which actual endpoints to use and may change it every RPC, permitting
// client-side load balancing.
//
// A ClientConn encapsulates a range of functionality including name
// resolution, TCP connection establishment (with retries and backoff) and TLS
// handshakes. It also handles errors on established connections by
// re-resolving the name and reconnecting.
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

// NewClient creates a new gRPC "channel" for the target URI provided. No I/O
// is performed. Use of the ClientConn for RPCs will automatically cause it to
// connect. The Connect method may be called to manually create a connection,
// but for most users this should be unnecessary.
//
// The target name syntax is defined in
// https://github.com/grpc/grpc/blob/master/doc/naming.md. E.g. to use the dns
// name resolver, a "dns:///" prefix may be applied to the target. The default
// name resolver ("dns") will be used if no scheme is detected, or if the
// parsed scheme is not a registered name resolver.
//
// Examples:
//
//   - "foo.googleapis.com:8080"
//   - "dns:///foo.googleapis.com:8080"
//   - "dns://8.8.8.8/foo.googleapis.com:8080"
//   - "unix:///path/to/socket"
//   - "passthrough:///10.0.0.1:8080"
//
// The DialOptions returned by WithBlock, WithTimeout,
// WithReturnConnectionError, and FailOnNonTempDialError are ignored by this
// function.
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

// Dial calls DialContext(context.Background(), target, opts...).
//
// Deprecated: use NewClient instead. Will be supported throughout 1.x.
func Dial(target string, opts ...DialOption) (*ClientConn, error) {
	return DialContext(context.Background(), target, opts...)
}

// DialContext calls NewClient and then exits idle mode. If WithBlock(true) is
// used, it calls Connect and WaitForStateChange until either the context
// expires or the state of the ClientConn is Ready.
//
// One subtle difference between NewClient and Dial and DialContext is that
// the former uses "dns" as the default name resolver, while the latter use
// "passthrough" for backward compatibility. This distinction should not
// matter to most users, but could matter to legacy users that specify a
// custom dialer and expect it to receive the target string directly.
//
// Deprecated: use NewClient instead. Will be supported throughout 1.x.
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

// Connect causes all subchannels in the ClientConn to attempt to connect if
// the channel is idle. Does not wait for the connection attempts to begin
// before returning.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a later
// release.
func (cc *ClientConn) Connect() {
	cc.mu.Lock()
	idle := !cc.closed && cc.state == connectivity.Idle
	cc.mu.Unlock()
	if idle {
		cc.ac.connect()
	}
}

// GetState returns the connectivity.State of ClientConn.
func (cc *ClientConn) GetState() connectivity.State {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.state
}

// WaitForStateChange waits until the connectivity.State of ClientConn changes
// from sourceState or ctx expires. A true value is returned in former case
// and false in latter.
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

// Target returns the target string of the ClientConn.
func (cc *ClientConn) Target() string {
	return cc.target
}

// CanonicalTarget returns the canonical target string used when creating cc.
//
// This always has the form "<scheme>://[authority]/<endpoint>". For example:
//
//   - "dns:///example.com:42"
//   - "dns://8.8.8.8/example.com:42"
//   - "unix:///path/to/socket"
func (cc *ClientConn) CanonicalTarget() string {
	return cc.parsed.String()
}

// ResetConnectBackoff wakes up all subchannels in transient failure and
// causes them to attempt another connection immediately. It also resets the
// backoff times used for subsequent attempts regardless of the current state.
//
// In general, this function should not be used. Typical service or network
// outages result in a reasonable client reconnection strategy by default.
// However, if a previously unavailable network becomes available, this may be
// used to trigger an immediate reconnect.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a later
// release.
func (cc *ClientConn) ResetConnectBackoff() {
	cc.ac.resetConnectBackoff()
}

// Close tears down the ClientConn and all underlying connections. In-flight
// RPCs fail with codes.Canceled.
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
	ints := o.chainUnaryInts
	if o.unaryInt != nil {
		ints = append([]UnaryClientInterceptor{o.unaryInt}, ints...)
	}
	switch len(ints) {
	case 0:
		o.unaryInt = nil
	case 1:
		o.unaryInt = ints[0]
	default:
		o.unaryInt = func(ctx context.Context, method string, req, reply any, cc *ClientConn, invoker UnaryInvoker, opts ...CallOption) error {
			return ints[0](ctx, method, req, reply, cc, unaryChainLink(ints, 0, invoker), opts...)
		}
	}
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
	ints := o.chainStreamInts
	if o.streamInt != nil {
		ints = append([]StreamClientInterceptor{o.streamInt}, ints...)
	}
	switch len(ints) {
	case 0:
		o.streamInt = nil
	case 1:
		o.streamInt = ints[0]
	default:
		o.streamInt = func(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, streamer Streamer, opts ...CallOption) (ClientStream, error) {
			return ints[0](ctx, desc, cc, method, streamChainLink(ints, 0, streamer), opts...)
		}
	}
}

func streamChainLink(ints []StreamClientInterceptor, cur int, final Streamer) Streamer {
	if cur == len(ints)-1 {
		return final
	}
	return func(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, opts ...CallOption) (ClientStream, error) {
		return ints[cur+1](ctx, desc, cc, method, streamChainLink(ints, cur+1, final), opts...)
	}
}
