//go:build unix

package transport

import (
	"google.golang.org/grpc/internal/grpcutil"
	"io"
	"net"
	"os"
	"syscall"
)

// readyReader reads a socket only once it is readable: the runtime's
// poller does the waiting, and the buffer is taken from the pool inside
// the readiness callback, so a connection waiting for its next frame holds
// no read buffer at all. grpc-go does the same for the same reason.
type readyReader struct {
	rc syscall.RawConn
	nc net.Conn
	b  *bufReader
	fn func(fd uintptr) bool // b's callback, bound once (no closure per read)

	// Results of the last callback.
	n   int
	err error
}

// newReadyReader returns a readyReader for r if r is a plain TCP or unix
// socket, else nil. Only those exact types: a wrapper that embeds one
// would have its own Read bypassed.
func newReadyReader(r io.Reader, b *bufReader) *readyReader {
	var sc syscall.Conn
	switch c := r.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	rr := &readyReader{rc: rc, nc: r.(net.Conn), b: b}
	rr.fn = rr.onReady
	return rr
}

// read waits until the socket is readable and reads into a small pooled
// buffer, which it leaves in b.held/b.cur. It returns 0, nil at EOF.
func (r *readyReader) read() (int, error) {
	r.n, r.err = 0, nil
	if err := r.rc.Read(r.fn); err != nil {
		// The poller failed (closed, deadline): report it as net.Conn's
		// Read would, not as a "raw-read".
		if oe, ok := err.(*net.OpError); ok && oe.Op == "raw-read" {
			e := *oe
			e.Op = "read"
			err = &e
		}
		return 0, err
	}
	return r.n, r.err
}

// onReady tries a non-blocking read; false asks the poller to wait for
// readability and call again.
func (r *readyReader) onReady(fd uintptr) bool {
	buf := grpcutil.GetForOverwrite(r.b.pool, smallReadSize)
	var n int
	var err error
	for {
		n, err = syscall.Read(int(fd), *buf)
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EAGAIN {
		r.b.pool.Put(buf)
		return false
	}
	if n <= 0 {
		r.b.pool.Put(buf)
		if err != nil {
			// Shaped like net.Conn's Read errors, which callers print.
			r.err = &net.OpError{Op: "read", Net: r.nc.LocalAddr().Network(),
				Source: r.nc.LocalAddr(), Addr: r.nc.RemoteAddr(), Err: os.NewSyscallError("read", err)}
		}
		return true
	}
	r.n = n
	r.b.held = buf
	r.b.cur = *buf
	return true
}
