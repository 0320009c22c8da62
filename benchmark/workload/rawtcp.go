package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"sync"
)

// The raw-TCP echo is the floor for the gRPC numbers: the same shape of
// workload (length-prefixed messages, many callers sharing ONE connection,
// writes coalesced, replies in order) with no HTTP/2 and no gRPC at all.

// serveRaw echoes 4-byte-length-prefixed messages until stdin closes.
func serveRaw(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			go echoConn(conn)
		}
	}()
	emit(map[string]string{"addr": lis.Addr().String()})
	controlLoop()
	lis.Close()
	return nil
}

func echoConn(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 32<<10)
	w := bufio.NewWriterSize(conn, 32<<10)
	var hdr [4]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return
		}
		w.Write(hdr[:])
		w.Write(buf[:n])
		// Flush only when no further request is already buffered, so a burst
		// of requests is answered with one write.
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// rawClient multiplexes in-order request/response pairs over one connection.
type rawClient struct {
	conn net.Conn

	mu       sync.Mutex
	pending  []byte          // requests not yet written
	waiters  []chan struct{} // callers waiting for replies, in request order
	flushing bool            // a caller is writing pending to conn
	err      error
}

func (rc *rawClient) call(msg []byte, done chan struct{}) error {
	rc.mu.Lock()
	if rc.err != nil {
		err := rc.err
		rc.mu.Unlock()
		return err
	}
	rc.pending = append(rc.pending, msg...)
	rc.waiters = append(rc.waiters, done)
	if !rc.flushing {
		// Become the writer: later callers only append, and this loop sends
		// whatever has accumulated, one write per batch.
		rc.flushing = true
		var out []byte
		for len(rc.pending) > 0 {
			out, rc.pending = rc.pending, out[:0]
			rc.mu.Unlock()
			_, err := rc.conn.Write(out)
			rc.mu.Lock()
			if err != nil && rc.err == nil {
				rc.err = err
			}
		}
		rc.flushing = false
	}
	rc.mu.Unlock()
	<-done
	rc.mu.Lock()
	err := rc.err
	rc.mu.Unlock()
	return err
}

// readLoop wakes callers in order as their echoes arrive.
func (rc *rawClient) readLoop(size int) {
	r := bufio.NewReaderSize(rc.conn, 32<<10)
	buf := make([]byte, 4+size)
	for {
		_, err := io.ReadFull(r, buf)
		rc.mu.Lock()
		if err != nil {
			if rc.err == nil {
				rc.err = err
			}
			for _, w := range rc.waiters {
				close(w)
			}
			rc.waiters = nil
			rc.mu.Unlock()
			return
		}
		w := rc.waiters[0]
		rc.waiters = rc.waiters[1:]
		rc.mu.Unlock()
		w <- struct{}{}
	}
}

// runRawTCP drives concurrency callers over one raw TCP connection.
func runRawTCP(c config) (map[string]float64, error) {
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		return nil, err
	}
	rc := &rawClient{conn: conn}
	go rc.readLoop(c.size)
	defer conn.Close()
	st, err := runLoad(c, c.concurrency, true, func(int) (func() error, error) {
		msg := make([]byte, 4+c.size)
		binary.BigEndian.PutUint32(msg, uint32(c.size))
		done := make(chan struct{}, 1)
		return func() error { return rc.call(msg, done) }, nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]float64{
		"qps":    float64(st.ops) / st.seconds,
		"p50_us": percentile(st.lat, 0.50),
		"p99_us": percentile(st.lat, 0.99),
	}, nil
}
