package reflection

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	v1pb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	v1alphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

// toV1Alpha serves v1alpha with a v1 implementation. The two protocol
// versions differ only in their proto package: every message has the same
// fields under the same numbers, so a message converts to its twin by
// re-decoding its wire form.
func toV1Alpha(v1 v1pb.ServerReflectionServer) v1alphapb.ServerReflectionServer {
	return alphaServer{v1: v1}
}

// alphaStream is the v1alpha server stream. The v1alpha messages are marked
// deprecated, yet clients still speak that version, so it is served anyway.
//
//lint:ignore SA1019 v1alpha must stay served for older clients.
type alphaStream = grpc.BidiStreamingServer[v1alphapb.ServerReflectionRequest, v1alphapb.ServerReflectionResponse]

type alphaServer struct {
	v1 v1pb.ServerReflectionServer
}

func (a alphaServer) ServerReflectionInfo(stream alphaStream) error {
	return a.v1.ServerReflectionInfo(alphaAsV1{stream})
}

// alphaAsV1 presents a v1alpha server stream as a v1 one.
type alphaAsV1 struct {
	alpha alphaStream
}

var _ grpc.BidiStreamingServer[v1pb.ServerReflectionRequest, v1pb.ServerReflectionResponse] = alphaAsV1{}

func (s alphaAsV1) Recv() (*v1pb.ServerReflectionRequest, error) {
	in, err := s.alpha.Recv()
	if err != nil {
		return nil, err
	}
	out := new(v1pb.ServerReflectionRequest)
	if err := convert(in, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (s alphaAsV1) Send(m *v1pb.ServerReflectionResponse) error {
	//lint:ignore SA1019 v1alpha must stay served for older clients.
	out := new(v1alphapb.ServerReflectionResponse)
	if err := convert(m, out); err != nil {
		return err
	}
	return s.alpha.Send(out)
}

// The remaining grpc.ServerStream methods pass straight through.

func (s alphaAsV1) SetHeader(md metadata.MD) error  { return s.alpha.SetHeader(md) }
func (s alphaAsV1) SendHeader(md metadata.MD) error { return s.alpha.SendHeader(md) }
func (s alphaAsV1) SetTrailer(md metadata.MD)       { s.alpha.SetTrailer(md) }
func (s alphaAsV1) Context() context.Context        { return s.alpha.Context() }
func (s alphaAsV1) SendMsg(m any) error             { return s.alpha.SendMsg(m) }
func (s alphaAsV1) RecvMsg(m any) error             { return s.alpha.RecvMsg(m) }

// convert copies src into dst, a message of the other protocol version.
// Deterministic marshaling is not needed: dst only has to decode it.
func convert(src, dst proto.Message) error {
	b, err := proto.Marshal(src)
	if err != nil {
		return err
	}
	return proto.Unmarshal(b, dst)
}
