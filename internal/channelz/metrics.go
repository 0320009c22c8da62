package channelz

import (
	"net"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
)

// clockBase anchors nowNano: reading only the monotonic clock is about
// half the cost of time.Now, which reads the wall clock too, and the RPC
// path takes several timestamps.
var clockBase = time.Now()

// nowNano is the current time as UnixNano, derived from the monotonic
// clock (so it ignores wall-clock steps made after start-up).
func nowNano() int64 { return clockBase.UnixNano() + int64(time.Since(clockBase)) }

// ChannelMetrics are the live numbers of a channel or subchannel. All
// fields are atomics: the RPC path updates them without locking.
type ChannelMetrics struct {
	// state holds a connectivity.State.
	state atomic.Int32
	// target is the dial target; set once at registration.
	target atomic.Pointer[string]

	// CallsStarted counts calls begun on the entity.
	CallsStarted atomic.Int64
	// CallsSucceeded counts calls that ended with status OK.
	CallsSucceeded atomic.Int64
	// CallsFailed counts calls that ended with another status.
	CallsFailed atomic.Int64
	// LastCallStartedTimestamp is the UnixNano time of the latest call
	// start; zero if none.
	LastCallStartedTimestamp atomic.Int64
}

// State returns the connectivity state last recorded.
func (m *ChannelMetrics) State() connectivity.State {
	return connectivity.State(m.state.Load())
}

// SetState records the connectivity state.
func (m *ChannelMetrics) SetState(s connectivity.State) { m.state.Store(int32(s)) }

// Target returns the target recorded at registration ("" if none).
func (m *ChannelMetrics) Target() string {
	if p := m.target.Load(); p != nil {
		return *p
	}
	return ""
}

// SetTarget records the target.
func (m *ChannelMetrics) SetTarget(t string) { m.target.Store(&t) }

// CallStarted counts a call that begins now.
func (m *ChannelMetrics) CallStarted() {
	m.CallsStarted.Add(1)
	m.LastCallStartedTimestamp.Store(nowNano())
}

// CallEnded counts a finished call as succeeded when ok, else failed.
func (m *ChannelMetrics) CallEnded(ok bool) {
	if ok {
		m.CallsSucceeded.Add(1)
	} else {
		m.CallsFailed.Add(1)
	}
}

// ServerMetrics are the live call numbers of a server.
type ServerMetrics struct {
	// CallsStarted counts incoming calls begun.
	CallsStarted atomic.Int64
	// CallsSucceeded counts incoming calls that ended with status OK.
	CallsSucceeded atomic.Int64
	// CallsFailed counts incoming calls that ended with another status.
	CallsFailed atomic.Int64
	// LastCallStartedTimestamp is the UnixNano time of the latest call
	// start; zero if none.
	LastCallStartedTimestamp atomic.Int64
}

// CallStarted counts a call that begins now.
func (m *ServerMetrics) CallStarted() {
	m.CallsStarted.Add(1)
	m.LastCallStartedTimestamp.Store(nowNano())
}

// CallEnded counts a finished call as succeeded when ok, else failed.
func (m *ServerMetrics) CallEnded(ok bool) {
	if ok {
		m.CallsSucceeded.Add(1)
	} else {
		m.CallsFailed.Add(1)
	}
}

// SocketMetrics are the live numbers of one transport connection. The
// transport updates them; timestamps are UnixNano, zero meaning never.
type SocketMetrics struct {
	// StreamsStarted counts streams opened on the connection, by either
	// side.
	StreamsStarted atomic.Int64
	// StreamsSucceeded counts streams that ended cleanly: on a client, with
	// END_STREAM received from the server; on a server, with END_STREAM
	// sent (the trailers went out).
	StreamsSucceeded atomic.Int64
	// StreamsFailed counts the streams that ended any other way.
	StreamsFailed atomic.Int64
	// MessagesSent counts gRPC messages written.
	MessagesSent atomic.Int64
	// MessagesReceived counts gRPC messages read.
	MessagesReceived atomic.Int64
	// KeepAlivesSent counts keepalive PINGs sent.
	KeepAlivesSent atomic.Int64

	LastLocalStreamCreatedTimestamp  atomic.Int64
	LastRemoteStreamCreatedTimestamp atomic.Int64
	LastMessageSentTimestamp         atomic.Int64
	LastMessageReceivedTimestamp     atomic.Int64
}

// LocalStreamStarted counts a stream this endpoint opened.
func (m *SocketMetrics) LocalStreamStarted() {
	m.StreamsStarted.Add(1)
	m.LastLocalStreamCreatedTimestamp.Store(nowNano())
}

// RemoteStreamStarted counts a stream the peer opened.
func (m *SocketMetrics) RemoteStreamStarted() {
	m.StreamsStarted.Add(1)
	m.LastRemoteStreamCreatedTimestamp.Store(nowNano())
}

// StreamEnded counts a finished stream as succeeded when ok, else failed.
func (m *SocketMetrics) StreamEnded(ok bool) {
	if ok {
		m.StreamsSucceeded.Add(1)
	} else {
		m.StreamsFailed.Add(1)
	}
}

// MessageSent counts one message written now.
func (m *SocketMetrics) MessageSent() {
	m.MessagesSent.Add(1)
	m.LastMessageSentTimestamp.Store(nowNano())
}

// MessageReceived counts one message read now.
func (m *SocketMetrics) MessageReceived() {
	m.MessagesReceived.Add(1)
	m.LastMessageReceivedTimestamp.Store(nowNano())
}

// EphemeralSocketMetrics are socket numbers computed on demand rather than
// counted: the connection-level flow-control windows. A negative value
// means the socket cannot report that window.
type EphemeralSocketMetrics struct {
	// LocalFlowControlWindow is what the peer currently lets us send.
	LocalFlowControlWindow int64
	// RemoteFlowControlWindow is what we currently let the peer send.
	RemoteFlowControlWindow int64
}

// SocketKind distinguishes connections from listeners.
type SocketKind int

// The socket kinds.
const (
	SocketTypeNormal SocketKind = iota
	SocketTypeListen
)

func (k SocketKind) String() string {
	if k == SocketTypeListen {
		return "ListenSocket"
	}
	return "NormalSocket"
}

// SocketInfo is the fixed description of a socket given at registration.
type SocketInfo struct {
	// RefName is an optional human-readable name.
	RefName string
	// LocalAddr and RemoteAddr are the endpoints; RemoteAddr is nil for
	// listeners.
	LocalAddr, RemoteAddr net.Addr
	// RemoteName is the peer's name when it differs from the target.
	RemoteName string
	// Security describes the connection's security, if any.
	Security credentials.ChannelzSecurityValue
	// Ephemeral, if set, reports the flow-control windows when queried.
	Ephemeral func() EphemeralSocketMetrics
}
