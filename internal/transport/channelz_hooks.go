package transport

import (
	"io"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/channelz"
)

// This file holds the channelz bookkeeping of the transports: each
// connection registers a socket under the entity its options name and
// keeps that socket's counters. Without channelz (no parent, or recording
// off) every hook is a nil check.

// ChannelzHooks is embedded in ClientOptions and ServerOptions.
type ChannelzHooks struct {
	// ChannelzParent, if set, is the channelz entity (the subchannel or the
	// server) under which the connection registers its socket. The socket
	// leaves the registry when the transport closes.
	ChannelzParent channelz.Entity
}

// czRegister registers the connection's socket under parent. It runs
// before the transport's goroutines start, so c.cz needs no lock.
func (c *h2conn) czRegister(parent channelz.Entity) {
	if parent == nil || !channelz.IsOn() {
		return
	}
	info := channelz.SocketInfo{
		LocalAddr:  c.peer.LocalAddr,
		RemoteAddr: c.peer.Addr,
		Ephemeral:  c.czWindows,
	}
	if si, ok := c.peer.AuthInfo.(credentials.ChannelzSecurityInfo); ok {
		info.Security = si.GetSecurityValue()
	}
	c.cz = channelz.RegisterSocket(parent, channelz.SocketTypeNormal, info)
}

// czRemove takes the socket out of the registry; the transport is closed.
func (c *h2conn) czRemove() {
	if c.cz != nil {
		channelz.RemoveEntry(c.cz.ID)
	}
}

// czWindows reports the connection-level flow-control window the peer
// granted us. The window we granted is kept by the reader alone and is not
// reported (-1).
func (c *h2conn) czWindows() channelz.EphemeralSocketMetrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	return channelz.EphemeralSocketMetrics{LocalFlowControlWindow: c.sendQuota, RemoteFlowControlWindow: -1}
}

func (c *h2conn) czStreamStarted() {
	if c.cz == nil {
		return
	}
	if c.client {
		c.cz.SocketMetrics.LocalStreamStarted()
	} else {
		c.cz.SocketMetrics.RemoteStreamStarted()
	}
}

func (c *h2conn) czStreamEnded(ok bool) {
	if c.cz != nil {
		c.cz.SocketMetrics.StreamEnded(ok)
	}
}

func (c *h2conn) czMessageSent() {
	if c.cz != nil {
		c.cz.SocketMetrics.MessageSent()
	}
}

func (c *h2conn) czKeepAliveSent() {
	if c.cz != nil {
		c.cz.SocketMetrics.KeepAlivesSent.Add(1)
	}
}

// ChannelzMessageReceived counts, for channelz, a message the caller has
// read from the stream. The transport does not see message boundaries on
// the receiving side, so the grpc package reports them.
func (s *ClientStream) ChannelzMessageReceived() {
	if cz := s.ct.cz; cz != nil {
		cz.SocketMetrics.MessageReceived()
	}
}

// ChannelzMessageReceived is ClientStream.ChannelzMessageReceived for the
// server side.
func (s *ServerStream) ChannelzMessageReceived() {
	if cz := s.st.cz; cz != nil {
		cz.SocketMetrics.MessageReceived()
	}
}

// czClientStreamEnded counts a finished client stream: it succeeded when
// it ended with END_STREAM from the server (recvErr io.EOF).
func (c *h2conn) czClientStreamEnded(recvErr error) { c.czStreamEnded(recvErr == io.EOF) }
