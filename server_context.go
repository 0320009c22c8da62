package grpc

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ServerTransportStream is the per-RPC stream a handler's context carries;
// SetHeader, SendHeader, SetTrailer and Method use it. Tests of handler code
// can supply their own with NewContextWithServerTransportStream.
//
// Experimental: grpc-go may change or remove this API.
type ServerTransportStream interface {
	Method() string
	SetHeader(md metadata.MD) error
	SendHeader(md metadata.MD) error
	SetTrailer(md metadata.MD) error
}

type serverTransportStreamKey struct{}

// NewContextWithServerTransportStream returns a copy of ctx carrying stream.
//
// Experimental: grpc-go may change or remove this API.
func NewContextWithServerTransportStream(ctx context.Context, stream ServerTransportStream) context.Context {
	return context.WithValue(ctx, serverTransportStreamKey{}, stream)
}

// ServerTransportStreamFromContext returns the ServerTransportStream in ctx,
// or nil when ctx is not an RPC handler context.
//
// Experimental: grpc-go may change or remove this API.
func ServerTransportStreamFromContext(ctx context.Context) ServerTransportStream {
	s, _ := ctx.Value(serverTransportStreamKey{}).(ServerTransportStream)
	return s
}

func noStreamErr(ctx context.Context) error {
	return status.Errorf(codes.Internal, "grpc: failed to fetch the stream from the context %v", ctx)
}

// SetHeader adds md to the header metadata the server sends; ctx must be the
// handler's context. Headers go out on SendHeader, the first response
// message, or the end of the RPC, whichever comes first; after that SetHeader
// fails. Streaming handlers should prefer ServerStream.SetHeader.
//
// The returned error is a status error whose code says nothing about the
// RPC's own status.
func SetHeader(ctx context.Context, md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	stream := ServerTransportStreamFromContext(ctx)
	if stream == nil {
		return noStreamErr(ctx)
	}
	return stream.SetHeader(md)
}

// SendHeader sends md together with any header metadata set earlier. A
// second call fails, as does a call after the headers already went out for
// another reason (see SetHeader).
func SendHeader(ctx context.Context, md metadata.MD) error {
	stream := ServerTransportStreamFromContext(ctx)
	if stream == nil {
		return noStreamErr(ctx)
	}
	return toServerRPCErr(stream.SendHeader(md))
}

// SetTrailer adds md to the trailer metadata sent when the RPC ends.
func SetTrailer(ctx context.Context, md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	stream := ServerTransportStreamFromContext(ctx)
	if stream == nil {
		return noStreamErr(ctx)
	}
	return stream.SetTrailer(md)
}

// Method returns the full method name ("/service/method") of the RPC whose
// handler context is ctx.
func Method(ctx context.Context) (string, bool) {
	s := ServerTransportStreamFromContext(ctx)
	if s == nil {
		return "", false
	}
	return s.Method(), true
}

// MethodFromServerStream returns the full method name ("/service/method") of
// stream.
func MethodFromServerStream(stream ServerStream) (string, bool) {
	return Method(stream.Context())
}

// SetSendCompressor chooses the compressor for the server's responses; ctx
// must be the handler's context and the headers must not have been sent yet.
// name must be registered with encoding.RegisterCompressor and listed in the
// client's grpc-accept-encoding (see ClientSupportedCompressors), or be
// encoding.Identity to disable compression. By default responses use the
// request's compression. It must not be called concurrently with SendHeader
// or SendMsg.
//
// Experimental: grpc-go may change or remove this API.
func SetSendCompressor(ctx context.Context, name string) error {
	ts, ok := ServerTransportStreamFromContext(ctx).(*serverTransportStream)
	if !ok || ts == nil {
		return fmt.Errorf("failed to fetch the stream from the given context")
	}
	if err := validateSendCompressor(name, clientCompressors(ts.AcceptCompress())); err != nil {
		return fmt.Errorf("unable to set send compressor: %w", err)
	}
	return ts.setSendCompress(name)
}

// ClientSupportedCompressors returns the compressor names the client listed
// in grpc-accept-encoding; ctx must be the handler's context.
//
// Experimental: grpc-go may change or remove this API.
func ClientSupportedCompressors(ctx context.Context) ([]string, error) {
	ts, ok := ServerTransportStreamFromContext(ctx).(*serverTransportStream)
	if !ok || ts == nil {
		return nil, fmt.Errorf("failed to fetch the stream from the given context %v", ctx)
	}
	return clientCompressors(ts.AcceptCompress()), nil
}

// clientCompressors splits a grpc-accept-encoding value. Like grpc-go, an
// empty header yields a single empty name.
func clientCompressors(accept string) []string {
	names := strings.Split(accept, ",")
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
	}
	return names
}

func validateSendCompressor(name string, clientNames []string) error {
	if name == encoding.Identity {
		return nil
	}
	if encoding.GetCompressor(name) == nil {
		return fmt.Errorf("compressor not registered %q", name)
	}
	for _, c := range clientNames {
		if c == name {
			return nil
		}
	}
	return fmt.Errorf("client does not support compressor %q", name)
}
