package transport

import (
	"encoding/binary"
	"net"
	"sync"

	"golang.org/x/net/http2"
)

// directMin is the smallest run of DATA written straight from the message
// buffers with one vectored write, instead of being copied through the
// write buffer a buffer-full (one syscall) at a time. Below it the copy
// is cheap and batching with other frames matters more.
const directMin = 64 << 10

// vecScratch holds the frame headers and the iovec list of one direct
// write; pooled so that connections keep none of it between large writes.
type vecScratch struct {
	hdrs []byte
	bufs [][]byte
}

var vecScratchPool = sync.Pool{New: func() any { return new(vecScratch) }}

// canWriteDirect reports whether nc is a plain socket, where net.Buffers
// becomes one writev. Only those exact types: on anything else (TLS)
// net.Buffers would write each piece on its own.
func canWriteDirect(nc net.Conn) bool {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// dataDirect is data for a large run: frame headers go into a scratch
// buffer and the payload is referenced where it lies, and everything
// leaves in one vectored write, after the frames already buffered. Must
// be called with mu held.
func (w *writer) dataDirect(id uint32, c *dataCursor, n int, end bool) error {
	sc := vecScratchPool.Get().(*vecScratch)
	frames := (n + maxFrameLen - 1) / maxFrameLen
	if cap(sc.hdrs) < frames*frameHeaderLen {
		sc.hdrs = make([]byte, frames*frameHeaderLen)
	}
	hdrs := sc.hdrs[:frames*frameHeaderLen]
	bufs := sc.bufs[:0]
	for i := 0; n > 0; i++ {
		k := min(n, maxFrameLen)
		n -= k
		h := hdrs[i*frameHeaderLen : (i+1)*frameHeaderLen]
		h[0], h[1], h[2] = byte(k>>16), byte(k>>8), byte(k)
		h[3] = byte(http2.FrameData)
		h[4] = 0
		if end && n == 0 {
			h[4] = byte(http2.FlagDataEndStream)
		}
		binary.BigEndian.PutUint32(h[5:], id)
		bufs = append(bufs, h)
		bufs = c.appendTo(bufs, k)
	}
	// wmu keeps this write after any asynchronous flush in progress, and
	// the buffered frames go first.
	w.wmu.Lock()
	var err error
	if w.bw != nil {
		err = w.bw.flushLocked()
	}
	if err == nil {
		vec := net.Buffers(bufs)
		_, err = vec.WriteTo(w.nc)
	}
	w.wmu.Unlock()
	clear(bufs) // the pool must not pin message memory
	sc.bufs = bufs[:0]
	vecScratchPool.Put(sc)
	if err != nil {
		return w.fail(err)
	}
	w.sentHdr.Store(true)
	return nil
}

// appendTo appends slices covering the next n bytes of the message to
// bufs, without copying, and advances past them.
func (c *dataCursor) appendTo(bufs [][]byte, n int) [][]byte {
	c.left -= n
	for n > 0 {
		for len(c.cur) == 0 {
			c.cur = c.data[c.idx].ReadOnlyData()
			c.idx++
		}
		k := min(n, len(c.cur))
		bufs = append(bufs, c.cur[:k])
		c.cur = c.cur[k:]
		n -= k
	}
	return bufs
}
