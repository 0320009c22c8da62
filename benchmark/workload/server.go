package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"google.golang.org/grpc"
)

// benchServer implements the Bench service with the least work possible so
// the measurement is dominated by the gRPC implementation.
type benchServer struct {
	UnimplementedBenchServer
}

// Unary echoes the request.
func (benchServer) Unary(_ context.Context, in *Payload) (*Payload, error) {
	return &Payload{Body: in.Body}, nil
}

// ServerStream sends req.Size-byte messages until the client goes away.
func (benchServer) ServerStream(req *StreamRequest, stream grpc.ServerStreamingServer[Payload]) error {
	msg := &Payload{Body: make([]byte, req.Size)}
	for {
		if err := stream.Send(msg); err != nil {
			// The client ends the stream by canceling; that is success here.
			return nil
		}
	}
}

// PingPong echoes each message until the client half-closes.
func (benchServer) PingPong(stream grpc.BidiStreamingServer[Payload, Payload]) error {
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(in); err != nil {
			return err
		}
	}
}

// newServer returns a server with default options and the Bench service.
func newServer() *grpc.Server {
	s := grpc.NewServer()
	RegisterBenchServer(s, benchServer{})
	return s
}

// serveGRPC runs a gRPC server until stdin closes.
func serveGRPC(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s := newServer()
	go s.Serve(lis)
	emit(map[string]string{"addr": lis.Addr().String()})
	controlLoop()
	s.Stop()
	return nil
}

// controlLoop answers the driver's commands on stdin until EOF or "quit".
func controlLoop() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch strings.TrimSpace(sc.Text()) {
		case "mem":
			emit(memSnapshot())
			snapshotProfiles()
		case "quit":
			return
		}
	}
}

// memSnapshot reports what the process holds after a full collection, with
// freed pages returned to the OS so that RSS reflects live memory only.
func memSnapshot() map[string]float64 {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return map[string]float64{
		"heap_inuse":  float64(ms.HeapInuse),
		"stack_inuse": float64(ms.StackInuse),
		"rss":         float64(rssBytes()),
		"goroutines":  float64(runtime.NumGoroutine()),
	}
}

// rssBytes reads VmRSS from /proc/self/status; 0 where that is unavailable.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}
