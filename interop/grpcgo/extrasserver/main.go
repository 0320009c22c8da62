// Binary extrasserver is grpc-go's interop test server plus what our extra
// interop cases need and grpc-go's own server binary does not do: it honours
// expect_compressed and response_compressed on UnaryCall, attaches details to
// echoed statuses, and accepts messages of up to 16 MiB.
//
// Usage: extrasserver --port=P [--use_tls --tls_cert_file=F --tls_key_file=F [--client_ca_file=F [--want_client_cn=CN]]]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
)

var port = flag.Int("port", 10000, "the port to listen on")

const maxMsgSize = 16 << 20

func main() {
	flag.Parse()
	lis, err := net.Listen("tcp", fmt.Sprintf(":%d", *port))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	s := grpc.NewServer(append(tlsOptions(),
		grpc.MaxRecvMsgSize(maxMsgSize),
		grpc.ChainUnaryInterceptor(unaryExtras),
		grpc.ChainStreamInterceptor(streamExtras),
	)...)
	testgrpc.RegisterTestServiceServer(s, interop.NewTestServer())
	log.Printf("extras server listening at %v", lis.Addr())
	if err := s.Serve(lis); err != nil {
		log.Fatalf("serve: %v", err)
	}
}

// recvCompressed reports whether the request of the RPC in ctx carried a
// grpc-encoding. grpc-go compresses every message of a call when it sets one,
// so this stands for the compressed flag of the request message.
func recvCompressed(ctx context.Context) bool {
	s, ok := grpc.ServerTransportStreamFromContext(ctx).(interface{ RecvCompress() string })
	if !ok {
		return false
	}
	enc := s.RecvCompress()
	return enc != "" && enc != "identity"
}

func unaryExtras(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	in, ok := req.(*testpb.SimpleRequest)
	if !ok {
		return handler(ctx, req)
	}
	if in.GetExpectCompressed().GetValue() && !recvCompressed(ctx) {
		return nil, status.Error(codes.InvalidArgument, "expected a compressed request")
	}
	if in.GetResponseCompressed().GetValue() {
		if err := grpc.SetSendCompressor(ctx, gzip.Name); err != nil {
			return nil, status.Errorf(codes.Internal, "SetSendCompressor: %v", err)
		}
	}
	resp, err := handler(ctx, req)
	return resp, withDetails(err, in.GetResponseStatus())
}

// detailStream remembers the last EchoStatus a FullDuplexCall asked for.
type detailStream struct {
	grpc.ServerStream
	echo *testpb.EchoStatus
}

func (s *detailStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if req, ok := m.(*testpb.StreamingOutputCallRequest); ok && err == nil && req.GetResponseStatus() != nil {
		s.echo = req.GetResponseStatus()
	}
	return err
}

func streamExtras(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ds := &detailStream{ServerStream: ss}
	err := handler(srv, ds)
	return withDetails(err, ds.echo)
}

// withDetails adds an ErrorInfo and the EchoStatus itself to err when err is
// the status the client asked to be echoed.
func withDetails(err error, echo *testpb.EchoStatus) error {
	st, ok := status.FromError(err)
	if err == nil || echo == nil || !ok || st.Code() != codes.Code(echo.GetCode()) {
		return err
	}
	info := &errdetails.ErrorInfo{Reason: "ECHO", Domain: "grpc.testing"}
	withD, derr := st.WithDetails(info, echo)
	if derr != nil {
		return status.Errorf(codes.Internal, "adding details: %v", derr)
	}
	return withD.Err()
}
