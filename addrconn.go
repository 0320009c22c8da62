package grpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
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

// addrConn is one logical connection ("subchannel") to the target: it dials,
// runs the credentials handshake, builds the transport, and reconnects with
// exponential backoff. It reports its state to the ClientConn, which applies
// pick_first's rules to derive the channel state.
type addrConn struct {
	cc     *ClientConn
	ctx    context.Context // canceled by tearDown
	cancel context.CancelFunc
	wg     sync.WaitGroup // the connecting goroutine

	mu           sync.Mutex
	state        connectivity.State
	cur          *acTransport // the READY transport
	live         map[*acTransport]struct{}
	backoffIdx   int
	resetBackoff chan struct{}
}

func newAddrConn(cc *ClientConn) *addrConn {
	ac := &addrConn{
		cc:           cc,
		state:        connectivity.Idle,
		live:         make(map[*acTransport]struct{}),
		resetBackoff: make(chan struct{}),
	}
	ac.ctx, ac.cancel = context.WithCancel(cc.ctx)
	return ac
}

// setStateLocked records s and reports it to the channel. ac.mu is held; the
// channel takes its own lock, so the lock order is ac.mu then cc.mu.
func (ac *addrConn) setStateLocked(s connectivity.State, err error) {
	ac.state = s
	var t *transport.ClientTransport
	if s == connectivity.Ready {
		t = ac.cur.t
	}
	ac.cc.onAddrConnState(s, t, err)
}

// connect starts connecting if the addrConn is IDLE.
func (ac *addrConn) connect() {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if ac.state != connectivity.Idle {
		return
	}
	ac.setStateLocked(connectivity.Connecting, nil)
	ac.wg.Add(1)
	go ac.connectLoop()
}

// connectLoop tries to connect until it succeeds or the addrConn shuts down,
// sleeping the backoff between failed passes. Like pick_first after a failure,
// it reconnects at once when the backoff ends instead of going IDLE.
func (ac *addrConn) connectLoop() {
	defer ac.wg.Done()
	for {
		ac.mu.Lock()
		backoffFor := ac.cc.dopts.backoff.Backoff(ac.backoffIdx)
		reset := ac.resetBackoff
		ac.mu.Unlock()

		// A connection attempt gets at least the minimum connect timeout, and
		// more as the backoff grows.
		dialDuration := max(ac.cc.dopts.minConnectTimeout, backoffFor)
		err := ac.tryAllAddrs(time.Now().Add(dialDuration))
		if err == nil {
			return
		}
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
		if ac.state == connectivity.Shutdown {
			ac.mu.Unlock()
			return
		}
		ac.setStateLocked(connectivity.Connecting, nil)
		ac.mu.Unlock()
	}
}

// tryAllAddrs resolves the target and tries its addresses in order; nil
// means the addrConn is READY.
func (ac *addrConn) tryAllAddrs(deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ac.ctx, deadline)
	defer cancel()
	addrs, err := ac.cc.parsed.resolveAddrs(ctx)
	if err != nil {
		return connectionError{desc: "name resolver error: " + err.Error(), temp: true, err: err}
	}
	if len(addrs) == 0 {
		return connectionError{desc: "name resolver error: produced zero addresses", temp: true}
	}
	for _, a := range addrs {
		if err = ac.createTransport(ctx, a); err == nil || ac.ctx.Err() != nil {
			return err
		}
	}
	return err
}

// createTransport dials a, runs the handshake and starts the HTTP/2
// transport. On success the addrConn is READY.
func (ac *addrConn) createTransport(ctx context.Context, a dialAddress) error {
	dopts := &ac.cc.dopts
	conn, err := dialConn(ctx, dopts.dialer, a)
	if err != nil {
		if ac.ctx.Err() != nil {
			return errAddrConnShutdown
		}
		return connectionError{desc: "transport: Error while dialing: " + err.Error(), temp: isTemporary(err), err: err}
	}
	var authInfo credentials.AuthInfo
	if creds := dopts.transportCreds(); creds != nil {
		hctx := credsctx.NewClientHandshakeInfoContext(ctx, credentials.ClientHandshakeInfo{})
		secure, ai, err := creds.ClientHandshake(hctx, ac.cc.authority, conn)
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
	opts.AuthInfo = authInfo
	opts.OnGoAway = func() { ac.transportDraining(at) }
	opts.OnClose = func(error) { ac.transportClosed(at) }
	t, err := transport.NewClientTransport(conn, opts)
	if err != nil {
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
	ac.backoffIdx = 0
	ac.setStateLocked(connectivity.Ready, nil)
	ac.mu.Unlock()
	return nil
}

// dialConn opens the raw connection, with the user's dialer when given.
func dialConn(ctx context.Context, dialer func(context.Context, string) (net.Conn, error), a dialAddress) (net.Conn, error) {
	if dialer != nil {
		if a.network == "unix" {
			return dialer(ctx, dialerAddress(a))
		}
		return dialer(ctx, a.addr)
	}
	network, addr := networkAndAddress(a)
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// transportDraining stops new RPCs from using at: the server sent GOAWAY (or
// a stream found it unusable). Its streams finish; a new transport is made
// on the next RPC.
func (ac *addrConn) transportDraining(at *acTransport) {
	ac.mu.Lock()
	at.draining = true
	wasCur := ac.cur == at
	if wasCur {
		ac.cur = nil
		ac.setStateLocked(connectivity.Idle, nil)
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
// the channel IDLE (pick_first reconnects lazily, on the next RPC).
func (ac *addrConn) transportClosed(at *acTransport) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	at.closed = true
	delete(ac.live, at)
	if ac.cur == at {
		ac.cur = nil
		if ac.state != connectivity.Shutdown {
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

// resetConnectBackoff makes a backing-off addrConn retry now and restarts
// the backoff sequence.
func (ac *addrConn) resetConnectBackoff() {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	close(ac.resetBackoff)
	ac.resetBackoff = make(chan struct{})
	ac.backoffIdx = 0
}

// tearDown closes every transport with err and waits for the connecting
// goroutine to exit.
func (ac *addrConn) tearDown(err error) {
	ac.mu.Lock()
	if ac.state == connectivity.Shutdown {
		ac.mu.Unlock()
		return
	}
	ac.state = connectivity.Shutdown
	ac.cur = nil
	ac.cancel()
	var ts []*transport.ClientTransport
	for at := range ac.live {
		ts = append(ts, at.t)
	}
	ac.mu.Unlock()
	for _, t := range ts {
		t.Close(err)
	}
	ac.wg.Wait()
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
