package grpc

import (
	"context"
	"errors"
	"fmt"
	"google.golang.org/grpc/resolver"
	"net"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	ichannelz "google.golang.org/grpc/internal/channelz"
	"google.golang.org/grpc/internal/credsctx"
	"google.golang.org/grpc/internal/transport"
)

// connectionError is why a connection attempt failed. Fail-fast RPCs report
// its text as Unavailable, as grpc-go does.
type connectionError struct {
	desc string
	temp bool
	err  error
}

func (e connectionError) Error() string   { return fmt.Sprintf("connection error: desc = %q", e.desc) }
func (e connectionError) Temporary() bool { return e.temp }
func (e connectionError) Unwrap() error   { return e.err }

// isTemporary follows grpc-go: errors that say nothing are temporary.
func isTemporary(err error) bool {
	switch e := err.(type) {
	case interface{ Temporary() bool }:
		return e.Temporary()
	case interface{ Timeout() bool }:
		return e.Timeout()
	}
	return true
}

var errAddrConnShutdown = errors.New("grpc: the connection is closing")

// acTransport is one transport of an addrConn. It exists before the transport
// does so that transport callbacks firing during creation are not lost.
type acTransport struct {
	t        *transport.ClientTransport
	closed   bool // OnClose ran
	draining bool // OnGoAway ran or the channel retired it
}

// addrConn is a subchannel: one logical connection to one backend, reached
// through an ordered list of addresses. It dials, runs the credentials
// handshake and builds the transport. Its states follow the SubConn contract
// of the balancer package: IDLE until Connect; CONNECTING; READY; after a
// failed pass over all addresses TRANSIENT_FAILURE for one backoff period,
// then IDLE again; and IDLE when a READY connection is lost. Reconnecting is
// the balancer's decision, never automatic.
type addrConn struct {
	cc     *ClientConn
	ctx    context.Context // canceled by tearDown
	cancel context.CancelFunc
	wg     sync.WaitGroup // the connecting goroutine

	// onState reports every state change, in order, while ac.mu is held.
	// It must not block or call back into ac.
	onState func(s connectivity.State, err error)

	mu           sync.Mutex
	addrs        []resolver.Address
	state        connectivity.State
	cur          *acTransport // the READY transport
	curAddr      resolver.Address
	live         map[*acTransport]struct{}
	backoffIdx   int
	resetBackoff chan struct{}

	cz *ichannelz.SubChannel // the channelz entry (channelz.go)
}

func newAddrConn(cc *ClientConn, addrs []resolver.Address, onState func(connectivity.State, error)) *addrConn {
	ac := &addrConn{
		cc:           cc,
		onState:      onState,
		addrs:        slices.Clone(addrs),
		state:        connectivity.Idle,
		live:         make(map[*acTransport]struct{}),
		resetBackoff: make(chan struct{}),
	}
	ac.ctx, ac.cancel = context.WithCancel(cc.ctx)
	ac.czRegister()
	return ac
}

// setStateLocked records s and reports it. ac.mu is held.
func (ac *addrConn) setStateLocked(s connectivity.State, err error) {
	if ac.state == s {
		return
	}
	ac.state = s
	ac.czNoteState(s, err)
	ac.onState(s, err)
}

// connect starts a connection attempt if the addrConn is IDLE.
func (ac *addrConn) connect() {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if ac.state != connectivity.Idle {
		return
	}
	ac.setStateLocked(connectivity.Connecting, nil)
	ac.wg.Add(1)
	go ac.connectOnce()
}

// connectOnce makes one pass over the addresses. On failure it holds
// TRANSIENT_FAILURE for the backoff period and then goes IDLE.
func (ac *addrConn) connectOnce() {
	defer ac.wg.Done()
	ac.mu.Lock()
	backoffFor := ac.cc.dopts.backoff.Backoff(ac.backoffIdx)
	reset := ac.resetBackoff
	addrs := ac.addrs
	ac.mu.Unlock()

	// A pass gets at least the minimum connect timeout, and more as the
	// backoff grows.
	dialDuration := max(ac.cc.dopts.minConnectTimeout, backoffFor)
	err := ac.tryAllAddrs(addrs, time.Now().Add(dialDuration))
	if err == nil {
		return
	}
	// The addresses may be stale: ask the resolver for fresh ones.
	ac.cc.resolveNow(resolver.ResolveNowOptions{})
	ac.mu.Lock()
	if ac.state == connectivity.Shutdown {
		ac.mu.Unlock()
		return
	}
	ac.setStateLocked(connectivity.TransientFailure, err)
	ac.mu.Unlock()

	timer := time.NewTimer(backoffFor)
	select {
	case <-timer.C:
		ac.mu.Lock()
		ac.backoffIdx++
		ac.mu.Unlock()
	case <-reset:
		timer.Stop()
	case <-ac.ctx.Done():
		timer.Stop()
		return
	}
	ac.mu.Lock()
	if ac.state == connectivity.TransientFailure {
		ac.setStateLocked(connectivity.Idle, nil)
	}
	ac.mu.Unlock()
}

// tryAllAddrs tries addrs in order; nil means the addrConn is READY.
func (ac *addrConn) tryAllAddrs(addrs []resolver.Address, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ac.ctx, deadline)
	defer cancel()
	err := error(connectionError{desc: "no addresses to connect to", temp: true})
	for _, a := range addrs {
		if err = ac.createTransport(ctx, a); err == nil || ac.ctx.Err() != nil {
			return err
		}
	}
	return err
}

// createTransport dials a, runs the handshake and starts the HTTP/2
// transport. On success the addrConn is READY.
func (ac *addrConn) createTransport(ctx context.Context, a resolver.Address) error {
	dopts := &ac.cc.dopts
	conn, err := ac.cc.dialConn(ctx, a)
	if err != nil {
		if ac.ctx.Err() != nil {
			return errAddrConnShutdown
		}
		return connectionError{desc: "transport: Error while dialing: " + err.Error(), temp: isTemporary(err), err: err}
	}
	authority := ac.cc.authority
	if a.ServerName != "" {
		authority = a.ServerName
	}
	var authInfo credentials.AuthInfo
	if creds := dopts.transportCreds(); creds != nil {
		hctx := credsctx.NewClientHandshakeInfoContext(ctx, credentials.ClientHandshakeInfo{Attributes: a.Attributes})
		secure, ai, err := creds.ClientHandshake(hctx, authority, conn)
		if err != nil {
			conn.Close()
			if ac.ctx.Err() != nil {
				return errAddrConnShutdown
			}
			return connectionError{desc: "transport: authentication handshake failed: " + err.Error(), temp: isTemporary(err), err: err}
		}
		conn, authInfo = secure, ai
		if err := checkPerRPCCredsSecurity(dopts.allPerRPCCreds(), ai); err != nil {
			conn.Close()
			return err
		}
	}

	at := &acTransport{}
	opts := ac.cc.transportOptions()
	opts.Authority = authority
	opts.AuthInfo = authInfo
	opts.ChannelzParent = ac.czConnecting(a)
	opts.OnGoAway = func() { ac.transportDraining(at) }
	opts.OnTooManyPings = ac.cc.backOffKeepalive
	opts.OnClose = func(error) { ac.transportClosed(at) }
	var statsEnd func()
	if len(dopts.statsHandlers) != 0 {
		statsEnd = statsClientConn(dopts.statsHandlers, conn, &opts)
	}
	t, err := transport.NewClientTransport(conn, opts)
	if err != nil {
		if statsEnd != nil {
			statsEnd()
		}
		conn.Close()
		desc := err.Error()
		// The transport's own connection errors already carry the
		// "connection error: desc = ..." wrapping; keep only their text.
		var ce transport.ConnectionError
		if errors.As(err, &ce) {
			desc = ce.Desc
		}
		return connectionError{desc: desc, temp: true, err: err}
	}
	// READY only once the server's SETTINGS arrived: before that its
	// stream limit is unknown, and a burst of RPCs could exceed it.
	select {
	case <-t.PrefaceReceived():
	case <-t.Done():
		// The transport's OnClose has run; its error says what failed.
		return connectionError{desc: t.CloseReason(), temp: true}
	case <-ctx.Done():
		t.Close(errors.New("failed to receive server preface within timeout"))
		if ac.ctx.Err() != nil {
			return errAddrConnShutdown
		}
		return connectionError{desc: "transport: failed to receive server preface within timeout", temp: true}
	}

	ac.mu.Lock()
	if ac.state == connectivity.Shutdown || at.closed || at.draining {
		shutdown := ac.state == connectivity.Shutdown
		ac.mu.Unlock()
		t.Close(errAddrConnShutdown)
		if shutdown {
			return errAddrConnShutdown
		}
		return connectionError{desc: "transport: connection closed before it became ready", temp: true}
	}
	at.t = t
	ac.live[at] = struct{}{}
	ac.cur = at
	ac.curAddr = a
	ac.backoffIdx = 0
	ac.setStateLocked(connectivity.Ready, nil)
	ac.mu.Unlock()
	return nil
}

// dialConn opens the raw connection: with the user's dialer when given,
// else through the environment's HTTP CONNECT proxy if one applies, else
// directly.
func (cc *ClientConn) dialConn(ctx context.Context, a resolver.Address) (net.Conn, error) {
	network, addr := networkAndAddress(a)
	if dialer := cc.dopts.dialer; dialer != nil {
		return dialer(ctx, dialerAddress(network, a.Addr, addr))
	}
	if network == "tcp" && cc.dopts.useProxy() {
		if p, err := proxyForAddr(addr); err != nil {
			return nil, err
		} else if p != nil {
			return dialProxy(ctx, p, addr, cc.userAgent())
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// readyTransport is the READY transport, or nil.
func (ac *addrConn) readyTransport() *transport.ClientTransport {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if ac.state != connectivity.Ready || ac.cur == nil {
		return nil
	}
	return ac.cur.t
}

// transportDraining stops new RPCs from using at: the server sent GOAWAY (or
// a stream found it unusable). Its streams finish; the addrConn goes IDLE and
// the balancer decides when to reconnect.
func (ac *addrConn) transportDraining(at *acTransport) {
	ac.mu.Lock()
	at.draining = true
	if ac.cur == at {
		ac.cur = nil
		if ac.state != connectivity.Shutdown {
			ac.setStateLocked(connectivity.Idle, nil)
		}
	}
	t := at.t
	ac.mu.Unlock()
	if t != nil {
		// GracefulClose may call back into OnClose, which takes ac.mu, and
		// this may run on the transport's reader goroutine.
		go t.GracefulClose()
	}
}

// transportClosed forgets a closed transport; losing the READY one makes
// the addrConn IDLE.
func (ac *addrConn) transportClosed(at *acTransport) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	at.closed = true
	delete(ac.live, at)
	if ac.cur == at {
		ac.cur = nil
		if ac.state != connectivity.Shutdown {
			// Any connection loss may mean the backends moved.
			ac.cc.resolveNow(resolver.ResolveNowOptions{})
			ac.setStateLocked(connectivity.Idle, nil)
		}
	}
}

// retire is called when NewStream on t failed in a way that means t takes no
// more streams, so that the next pick does not return it again.
func (ac *addrConn) retire(t *transport.ClientTransport) {
	ac.mu.Lock()
	at := ac.cur
	ac.mu.Unlock()
	if at != nil && at.t == t {
		ac.transportDraining(at)
	}
}

// updateAddrs replaces the address list. A connection to an address still
// in the list is kept; otherwise it is drained and the addrConn goes IDLE.
func (ac *addrConn) updateAddrs(addrs []resolver.Address) {
	ac.mu.Lock()
	ac.addrs = slices.Clone(addrs)
	at := ac.cur
	keep := at == nil || slices.ContainsFunc(addrs, func(a resolver.Address) bool { return a.Equal(ac.curAddr) })
	ac.mu.Unlock()
	if !keep {
		ac.transportDraining(at)
	}
}

// resetConnectBackoff ends a backoff wait at once and restarts the backoff
// sequence.
func (ac *addrConn) resetConnectBackoff() {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	close(ac.resetBackoff)
	ac.resetBackoff = make(chan struct{})
	ac.backoffIdx = 0
}

// tearDown closes every transport with err and waits for the connecting
// goroutine to exit. With drain, running streams may finish first.
func (ac *addrConn) tearDown(err error, drain bool) {
	ac.mu.Lock()
	if ac.state == connectivity.Shutdown {
		ac.mu.Unlock()
		return
	}
	ac.setStateLocked(connectivity.Shutdown, nil)
	ac.cur = nil
	ac.cancel()
	var ts []*transport.ClientTransport
	for at := range ac.live {
		ts = append(ts, at.t)
	}
	ac.mu.Unlock()
	for _, t := range ts {
		if drain {
			go t.GracefulClose()
		} else {
			t.Close(err)
		}
	}
	ac.wg.Wait()
	ac.czRemove()
}

// checkPerRPCCredsSecurity refuses a connection whose handshake reported a
// security level below PrivacyAndIntegrity when a channel-level per-RPC
// credential demands transport security, so its token is never sent in the
// clear (grpc-go fails the connection the same way). An AuthInfo that reports
// no level is trusted.
func checkPerRPCCredsSecurity(creds []credentials.PerRPCCredentials, ai credentials.AuthInfo) error {
	ci, ok := ai.(interface {
		GetCommonAuthInfo() credentials.CommonAuthInfo
	})
	if !ok {
		return nil
	}
	level := ci.GetCommonAuthInfo().SecurityLevel
	if level == credentials.InvalidSecurityLevel || level >= credentials.PrivacyAndIntegrity {
		return nil
	}
	for _, c := range creds {
		if c.RequireTransportSecurity() {
			return connectionError{desc: "transport: cannot send secure credentials on an insecure connection", temp: true}
		}
	}
	return nil
}
