package bufconn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/internal/leakcheck"
)

func dialPair(t *testing.T, sz int) (client, server net.Conn) {
	t.Helper()
	l := Listen(sz)
	t.Cleanup(func() { l.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	c, err := l.Dial()
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func TestDuplex(t *testing.T) {
	defer leakcheck.Check(t)
	c, s := dialPair(t, 16)
	data := bytes.Repeat([]byte("0123456789"), 100) // larger than the buffer
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		done <- err
	}()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || !bytes.Equal(got, data) {
		t.Fatalf("write err %v, equal %v", err, bytes.Equal(got, data))
	}
	// And the other direction.
	go func() {
		_, err := s.Write([]byte("pong"))
		done <- err
	}()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("reverse: %q %v", buf, err)
	}
	<-done
	if c.LocalAddr().String() != "bufconn" || c.RemoteAddr().Network() != "bufconn" {
		t.Fatal("addr")
	}
}

func TestWriteBlocksWhenFull(t *testing.T) {
	defer leakcheck.Check(t)
	c, s := dialPair(t, 4)
	if n, err := c.Write([]byte("abcd")); n != 4 || err != nil {
		t.Fatalf("fill: %d %v", n, err)
	}
	c.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	n, err := c.Write([]byte("e"))
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("write to full buffer = %d, %v; want timeout", n, err)
	}
	c.SetWriteDeadline(time.Time{})
	buf := make([]byte, 10)
	if n, _ := s.Read(buf); string(buf[:n]) != "abcd" {
		t.Fatalf("read %q", buf[:n])
	}
	if n, err := c.Write([]byte("efgh")); n != 4 || err != nil {
		t.Fatalf("write after drain: %d %v", n, err)
	}
}

func TestReadDeadline(t *testing.T) {
	defer leakcheck.Check(t)
	c, _ := dialPair(t, 8)
	c.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || err.Error() != "i/o timeout" {
		t.Fatalf("past deadline: %v", err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("future deadline did not fire")
	}
	c.SetReadDeadline(time.Time{})
	c.SetReadDeadline(time.Now().Add(time.Hour)) // replaced below, must not fire
	c.SetReadDeadline(time.Time{})
}

func TestClose(t *testing.T) {
	defer leakcheck.Check(t)
	c, s := dialPair(t, 8)
	c.Write([]byte("bye"))
	c.Close()
	got, err := io.ReadAll(s)
	if err != nil || string(got) != "bye" {
		t.Fatalf("peer read after close: %q %v", got, err)
	}
	if _, err := s.Write([]byte("x")); err != io.ErrClosedPipe {
		t.Fatalf("write to closed peer: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.ErrClosedPipe {
		t.Fatalf("read on closed conn: %v", err)
	}
	if _, err := c.Write([]byte("x")); err != io.ErrClosedPipe {
		t.Fatalf("write on closed conn: %v", err)
	}
}

func TestCloseUnblocksReader(t *testing.T) {
	defer leakcheck.Check(t)
	c, s := dialPair(t, 8)
	done := make(chan error)
	go func() {
		_, err := s.Read(make([]byte, 1))
		done <- err
	}()
	s.Close()
	if err := <-done; err != io.ErrClosedPipe {
		t.Fatalf("blocked read after own close: %v", err)
	}
	_ = c
}

func TestListener(t *testing.T) {
	defer leakcheck.Check(t)
	l := Listen(10)
	if l.Addr().String() != "bufconn" {
		t.Fatal("Addr")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.DialContext(ctx); err != context.Canceled {
		t.Fatalf("DialContext canceled: %v", err)
	}
	l.Close()
	l.Close()
	if _, err := l.Accept(); err == nil {
		t.Fatal("Accept after Close")
	}
	if _, err := l.Dial(); err == nil {
		t.Fatal("Dial after Close")
	}
	if Listen(0).sz != 1 {
		t.Fatal("zero size must be usable")
	}
}
