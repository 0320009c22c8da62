package transport

import (
	"time"

	"golang.org/x/net/http2"
)

// Bandwidth-delay product estimation, as grpc-go does unless a window size
// was configured: the receiver pings when DATA starts arriving and counts
// the bytes that arrive until the ack. A sample that nearly fills the
// current window at the best bandwidth seen so far means the window is the
// bottleneck, so both windows grow to twice the sample (up to bdpLimit).

const (
	bdpLimit = 16 << 20
	bdpBeta  = 0.66 // a sample this close to the window triggers growth
	bdpGamma = 2    // growth factor applied to the sample
)

var bdpPingData = [8]byte{'b', 'd', 'p', 'p', 'r', 'o', 'b', 'e'}

// bdpEstimator is used by the reader goroutine only.
type bdpEstimator struct {
	on      bool
	pending bool // a BDP ping is in flight
	busy    bool // the last sample saw a stream of data: keep sampling
	sentAt  time.Time
	sample  uint32
	bdp     uint32 // the current window
	rtt     float64
	samples int
	bwMax   float64
}

// onData counts n received bytes and reports whether a BDP ping should go
// out now.
func (b *bdpEstimator) onData(n uint32) bool {
	if !b.on || b.bdp >= bdpLimit {
		return false
	}
	if b.pending {
		b.sample += n
		return false
	}
	b.pending = true
	b.sample = n
	b.sentAt = time.Now()
	return true
}

// onAck processes the BDP ping's ack and returns the new window size, or
// 0 to keep the current one.
func (b *bdpEstimator) onAck() uint32 {
	if !b.pending {
		return 0
	}
	b.pending = false
	// Data that kept arriving during the ping makes the next frame start
	// another sample at once, as grpc-go samples: the estimate needs many
	// samples to settle on a busy or noisy path. A trickle stops it.
	b.busy = b.sample >= bdpMinFrame
	rtt := time.Since(b.sentAt).Seconds()
	b.samples++
	// A plain mean for the first samples, then a moving average that
	// weighs the newest sample most.
	if b.samples < 10 {
		b.rtt += (rtt - b.rtt) / float64(b.samples)
	} else {
		b.rtt += (rtt - b.rtt) * 0.9
	}
	if b.rtt <= 0 {
		return 0
	}
	bw := float64(b.sample) / (b.rtt * 1.5)
	if bw > b.bwMax {
		b.bwMax = bw
	}
	if float64(b.sample) < bdpBeta*float64(b.bdp) || bw < b.bwMax {
		return 0
	}
	b.bdp = uint32(min(bdpGamma*float64(b.sample), bdpLimit))
	return b.bdp
}

// bdpMinFrame is the smallest DATA frame that starts a sample on its own:
// a lone small message cannot be limited by the window, and pinging for
// each would cost every small RPC two more writes.
const bdpMinFrame = maxFrameLen / 2

// bdpData feeds the estimator with a DATA frame's length. busy says the
// frame made a connection WINDOW_UPDATE due, i.e. a quarter of the window
// arrived since the last one: a stream of small messages is using the
// window and may be limited by it, so it starts a sample too (one ping per
// quarter window at most, which the window's growth makes rarer still).
// Reader only.
func (c *h2conn) bdpData(n uint32, busy bool) {
	if !c.bdp.pending && n < bdpMinFrame && !busy && !c.bdp.busy {
		return
	}
	if c.bdp.onData(n) {
		c.writeFailed(c.w.queue(ctrlFrame{kind: ctrlPing, data: bdpPingData}))
	}
}

// bdpPingAck handles the ack of a BDP ping: it grows the windows when the
// estimate says so. Reader only.
func (c *h2conn) bdpPingAck() {
	n := c.bdp.onAck()
	if n == 0 {
		return
	}
	if n > c.streamWindow.Load() {
		// Raised before the peer learns of it, so nothing it may send
		// once it does can overrun our accounting.
		c.streamWindow.Store(n)
		c.writeFailed(c.w.queue(ctrlFrame{kind: ctrlSettingsWindow, val: n}))
	}
	if n > c.connWindow {
		inc := n - c.connWindow
		c.connWindow = n
		c.writeWindowUpdate(0, inc)
	}
}

// isBDPAck reports whether f acks our BDP ping.
func isBDPAck(f *http2.PingFrame) bool {
	return f.IsAck() && f.Data == bdpPingData
}
