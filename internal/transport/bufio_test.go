package transport

import (
	"bytes"
	"io"
	"math/rand"
	"net"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"google.golang.org/grpc/mem"
)

func TestBufReaderReadsEverything(t *testing.T) {
	data := make([]byte, 300_000)
	rand.New(rand.NewSource(1)).Read(data)
	for _, wrap := range []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r },
		iotest.HalfReader,
		iotest.OneByteReader,
		iotest.DataErrReader,
	} {
		br := newBufReader(wrap(bytes.NewReader(data)), 32<<10, mem.DefaultBufferPool())
		var got []byte
		rng := rand.New(rand.NewSource(2))
		for {
			p := make([]byte, 1+rng.Intn(40<<10))
			n, err := br.Read(p)
			got = append(got, p[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, want the %d written", len(got), len(data))
		}
	}
}

func TestBufWriterWritesEverything(t *testing.T) {
	data := make([]byte, 300_000)
	rand.New(rand.NewSource(1)).Read(data)
	var out bytes.Buffer
	bw := newBufWriter(&out, 32<<10, mem.DefaultBufferPool(), new(sync.Mutex))
	rng := rand.New(rand.NewSource(2))
	for p := data; len(p) > 0; {
		n := min(len(p), 1+rng.Intn(40<<10))
		if _, err := bw.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
		if rng.Intn(4) == 0 {
			if err := bw.Flush(); err != nil {
				t.Fatal(err)
			}
			if bw.buf != nil {
				t.Fatal("Flush kept the buffer")
			}
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("wrote %d bytes, want %d", out.Len(), len(data))
	}
}

// TestBufReaderSocket covers the wait-for-readiness path: a TCP socket
// whose data arrives in bursts, then EOF, with no buffer held in between.
func TestBufReaderSocket(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	data := make([]byte, 200_000)
	rand.New(rand.NewSource(3)).Read(data)
	go func() {
		c, err := net.Dial("tcp", lis.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		for p := data; len(p) > 0; {
			n := min(len(p), 1+rand.Intn(3000))
			c.Write(p[:n])
			p = p[n:]
			time.Sleep(time.Duration(rand.Intn(200)) * time.Microsecond)
		}
	}()
	c, err := lis.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := newBufReader(c, 32<<10, mem.DefaultBufferPool())
	if br.ready == nil {
		t.Skip("no readiness reads on this platform")
	}
	var got []byte
	waits := 0
	br.beforeBlock = func() { waits++ }
	for {
		p := make([]byte, 1+rand.Intn(20<<10))
		n, err := br.Read(p)
		got = append(got, p[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, want the %d written", len(got), len(data))
	}
	if waits == 0 {
		t.Error("never waited for data")
	}
	if br.held != nil {
		t.Error("buffer still held at EOF")
	}
}
