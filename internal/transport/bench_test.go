package transport

import (
	"io"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func unaryHandler(s *ServerStream) {
	m, err := readMsg(s)
	if err != nil {
		s.WriteStatus(status.Convert(err))
		return
	}
	writeServerMsg(s, m)
	s.WriteStatus(status.New(codes.OK, ""))
}

func unaryCall(b *testing.B, ct *ClientTransport, payload []byte) {
	cs, err := ct.NewStream(b.Context(), &CallHdr{Method: "/svc/Unary"})
	if err != nil {
		b.Fatal(err)
	}
	if err := writeClientMsg(cs, payload, true); err != nil {
		b.Fatal(err)
	}
	if _, err := cs.Header(); err != nil {
		b.Fatal(err)
	}
	if _, err := readMsg(cs); err != nil {
		b.Fatal(err)
	}
	if _, err := cs.Read(5); err != io.EOF {
		b.Fatal(err)
	}
}

func benchUnary(b *testing.B, size int, parallel bool) {
	ct, _, done := setup(b, ServerOptions{}, ClientOptions{}, unaryHandler)
	defer done()
	payload := make([]byte, size)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	if !parallel {
		for b.Loop() {
			unaryCall(b, ct, payload)
		}
		return
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			unaryCall(b, ct, payload)
		}
	})
}

func BenchmarkUnary1B(b *testing.B)            { benchUnary(b, 1, false) }
func BenchmarkUnary1KiB(b *testing.B)          { benchUnary(b, 1024, false) }
func BenchmarkUnary64KiB(b *testing.B)         { benchUnary(b, 64<<10, false) }
func BenchmarkUnaryParallel1KiB(b *testing.B)  { benchUnary(b, 1024, true) }
func BenchmarkUnaryParallel64KiB(b *testing.B) { benchUnary(b, 64<<10, true) }
