package grpc

import (
	"net"

	"google.golang.org/grpc/channelz"
	"google.golang.org/grpc/connectivity"
	ichannelz "google.golang.org/grpc/internal/channelz"
	"google.golang.org/grpc/resolver"
)

// This file connects ClientConn, addrConn and Server to the channelz
// registry (internal/channelz). The hooks in the RPC paths are atomic
// counter updates behind a single IsOn check; everything else runs when a
// channel, connection or server is created or closed.

// channelzDialOptions is the channelz part of dialOptions.
type channelzDialOptions struct {
	channelzParent channelz.Identifier
}

// WithChannelzParentID makes the new ClientConn a nested channel of the
// channel identified by c, rather than a top channel, in channelz.
//
// Experimental: grpc-go may change or remove this API.
func WithChannelzParentID(c channelz.Identifier) DialOption {
	return funcDialOption(func(o *dialOptions) { o.channelzParent = c })
}

// czRegister enters cc into the registry, under its parent channel if
// WithChannelzParentID gave one.
func (cc *ClientConn) czRegister() {
	parent, _ := cc.dopts.channelzParent.(*ichannelz.Channel)
	cc.cz = ichannelz.RegisterChannel(parent, cc.target)
	cc.cz.ChannelMetrics.SetState(connectivity.Idle)
}

// czNoteStateLocked records cc.state; cc.mu is held.
func (cc *ClientConn) czNoteStateLocked() {
	if cc.cz == nil || cc.cz.ChannelMetrics.State() == cc.state {
		return
	}
	cc.cz.ChannelMetrics.SetState(cc.state)
	ichannelz.Infof(cc.cz, "Channel Connectivity change to %v", cc.state)
}

// czRemove takes cc out of the registry once it is closed.
func (cc *ClientConn) czRemove() {
	ichannelz.Infof(cc.cz, "Channel deleted")
	ichannelz.RemoveEntry(cc.cz.ID)
}

// czCallStarted counts an RPC begun on the channel.
func (cc *ClientConn) czCallStarted() {
	if ichannelz.IsOn() {
		cc.cz.ChannelMetrics.CallStarted()
	}
}

// czCallEnded counts a finished RPC; err == nil means status OK.
func (cc *ClientConn) czCallEnded(err error) {
	if ichannelz.IsOn() {
		cc.cz.ChannelMetrics.CallEnded(err == nil)
	}
}

// czRegister enters ac into the registry as a subchannel of its channel.
func (ac *addrConn) czRegister() {
	ac.cz = ichannelz.RegisterSubChannel(ac.cc.cz, "")
	ac.cz.ChannelMetrics.SetState(connectivity.Idle)
	if len(ac.addrs) > 0 {
		ac.cz.ChannelMetrics.SetTarget(ac.addrs[0].Addr)
	}
}

// czConnecting records that ac is connecting to a and returns the entry
// the new transport registers its socket under.
func (ac *addrConn) czConnecting(a resolver.Address) ichannelz.Entity {
	if !ichannelz.IsOn() {
		return nil
	}
	ac.cz.ChannelMetrics.SetTarget(a.Addr)
	ichannelz.Infof(ac.cz, "Subchannel picks a new address %q to connect", a.Addr)
	return ac.cz
}

// czNoteState records a state change of ac.
func (ac *addrConn) czNoteState(s connectivity.State, err error) {
	ac.cz.ChannelMetrics.SetState(s)
	if !ichannelz.IsOn() {
		return
	}
	if err != nil {
		ichannelz.Infof(ac.cz, "Subchannel Connectivity change to %v, last error: %v", s, err)
		return
	}
	ichannelz.Infof(ac.cz, "Subchannel Connectivity change to %v", s)
}

// czRemove takes ac out of the registry; it leaves once its sockets have.
func (ac *addrConn) czRemove() {
	ichannelz.Infof(ac.cz, "Subchannel deleted")
	ichannelz.RemoveEntry(ac.cz.ID)
}

// czCallStarted counts an RPC attempt sent on ac.
func (ac *addrConn) czCallStarted() {
	if ichannelz.IsOn() {
		ac.cz.ChannelMetrics.CallStarted()
	}
}

// czCallEnded counts a finished attempt on ac; err == nil means status OK.
func (ac *addrConn) czCallEnded(err error) {
	if ichannelz.IsOn() {
		ac.cz.ChannelMetrics.CallEnded(err == nil)
	}
}

// czRegister enters s into the registry.
func (s *Server) czRegister() {
	s.cz = ichannelz.RegisterServer("")
}

// czRemove takes s out of the registry; it leaves once its listeners and
// connections have.
func (s *Server) czRemove() {
	ichannelz.RemoveEntry(s.cz.ID)
}

// czCallStarted counts an RPC the server began handling.
func (s *Server) czCallStarted() {
	if ichannelz.IsOn() {
		s.cz.ServerMetrics.CallStarted()
	}
}

// czCallEnded counts a finished RPC by the status in *err (nil means OK);
// it takes a pointer so that it can be deferred before the status is known.
func (s *Server) czCallEnded(err *error) {
	if ichannelz.IsOn() {
		s.cz.ServerMetrics.CallEnded(*err == nil)
	}
}

// czListen enters lis into the registry as a listen socket of s; remove it
// with ichannelz.RemoveEntry when Serve returns.
func (s *Server) czListen(lis net.Listener) *ichannelz.Socket {
	a := lis.Addr()
	return ichannelz.RegisterSocket(s.cz, ichannelz.SocketTypeListen, ichannelz.SocketInfo{RefName: a.String(), LocalAddr: a})
}
