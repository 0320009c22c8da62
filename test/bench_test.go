package test

import (
	"context"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/test/bufconn"
)

// benchServer answers as cheaply as possible, so the benchmarks measure
// the library rather than the handler.
type benchServer struct {
	testpb.UnimplementedTestServiceServer
}

func (benchServer) Unary(_ context.Context, req *testpb.Request) (*testpb.Response, error) {
	return &testpb.Response{Payload: req.GetPayload()}, nil
}

func (benchServer) FullDuplex(stream testpb.TestService_FullDuplexServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&testpb.Response{Payload: req.GetPayload()}); err != nil {
			return err
		}
	}
}

func (benchServer) StreamingInput(stream testpb.TestService_StreamingInputServer) error {
	var n int64
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.Response{ReceivedBytes: n})
		}
		if err != nil {
			return err
		}
		n += int64(len(req.GetPayload().GetBody()))
	}
}

// StreamingOutput sends ResponseSize-byte messages until the client goes
// away (ResponseCount 0) or ResponseCount of them.
func (benchServer) StreamingOutput(req *testpb.Request, stream testpb.TestService_StreamingOutputServer) error {
	resp := &testpb.Response{Payload: &testpb.Payload{Body: make([]byte, req.GetResponseSize())}}
	for i := int32(0); req.GetResponseCount() == 0 || i < req.GetResponseCount(); i++ {
		if err := stream.Send(resp); err != nil {
			return nil // the client canceled: the benchmark is over
		}
	}
	return nil
}

// benchEnv starts a server and one client connection over bufconn (tcp
// false) or loopback TCP.
func benchEnv(b *testing.B, tcp bool) (testpb.TestServiceClient, func()) {
	b.Helper()
	var lis net.Listener
	dopts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	target := "passthrough:///bufnet"
	if tcp {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lis = l
		target = l.Addr().String()
	} else {
		bl := bufconn.Listen(1 << 20)
		lis = bl
		dopts = append(dopts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return bl.DialContext(ctx)
		}))
	}
	srv := grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, benchServer{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(lis)
	}()
	cc, err := grpc.NewClient(target, dopts...)
	if err != nil {
		b.Fatal(err)
	}
	client := testpb.NewTestServiceClient(cc)
	// Connect before timing.
	if _, err := client.Unary(context.Background(), &testpb.Request{}); err != nil {
		b.Fatal(err)
	}
	return client, func() {
		cc.Close()
		srv.Stop()
		<-served
	}
}

func benchUnary(b *testing.B, tcp bool, size, conc int) {
	client, stop := benchEnv(b, tcp)
	defer stop()
	req := &testpb.Request{Payload: &testpb.Payload{Body: make([]byte, size)}}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	if conc <= 1 {
		for b.Loop() {
			if _, err := client.Unary(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.SetParallelism((conc + 1) / 2)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.Unary(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkUnaryBufconn(b *testing.B)       { benchUnary(b, false, 1, 1) }
func BenchmarkUnaryBufconn1KiB(b *testing.B)   { benchUnary(b, false, 1024, 1) }
func BenchmarkUnaryTCP(b *testing.B)           { benchUnary(b, true, 1, 1) }
func BenchmarkUnaryTCPConc16(b *testing.B)     { benchUnary(b, true, 1, 16) }
func BenchmarkUnaryTCPConc256(b *testing.B)    { benchUnary(b, true, 1, 256) }
func BenchmarkUnaryTCP1MiB(b *testing.B)       { benchUnary(b, true, 1<<20, 1) }
func BenchmarkUnaryBufconnConc16(b *testing.B) { benchUnary(b, false, 1, 16) }

func benchPingPong(b *testing.B, tcp bool, size int) {
	client, stop := benchEnv(b, tcp)
	defer stop()
	stream, err := client.FullDuplex(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	req := &testpb.Request{Payload: &testpb.Payload{Body: make([]byte, size)}}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		if err := stream.Send(req); err != nil {
			b.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		b.Fatal(err)
	}
}

func BenchmarkStreamPingPongTCP(b *testing.B)     { benchPingPong(b, true, 1) }
func BenchmarkStreamPingPongTCP1KiB(b *testing.B) { benchPingPong(b, true, 1024) }

// BenchmarkStreamUploadTCP measures one-way streaming throughput.
func benchUpload(b *testing.B, size int) {
	client, stop := benchEnv(b, true)
	defer stop()
	stream, err := client.StreamingInput(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	req := &testpb.Request{Payload: &testpb.Payload{Body: make([]byte, size)}}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		if err := stream.Send(req); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkStreamUploadTCP1KiB(b *testing.B) { benchUpload(b, 1024) }
func BenchmarkStreamUploadTCP1MiB(b *testing.B) { benchUpload(b, 1<<20) }

// benchDownload measures server-to-client streaming throughput: one server
// stream sending size-byte messages as fast as the client takes them.
func benchDownload(b *testing.B, size int) {
	client, stop := benchEnv(b, true)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := client.StreamingOutput(ctx, &testpb.Request{ResponseSize: int32(size)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		if _, err := stream.Recv(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cancel()
}

func BenchmarkStreamDownloadTCP1KiB(b *testing.B) { benchDownload(b, 1024) }
func BenchmarkStreamDownloadTCP1MiB(b *testing.B) { benchDownload(b, 1<<20) }
