package grpc

import (
	"context"
	"errors"
	"io"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// serverTransportStream is the ServerTransportStream placed in handler
// contexts. It wraps the transport stream to remember the response
// compressor, which SetSendCompressor may change while the handler runs, and
// the header state: whether headers are gone (after which the compressor is
// fixed) and whether header metadata is waiting to be sent.
type serverTransportStream struct {
	*transport.ServerStream

	mu           sync.Mutex
	sendCompress string
	headerSent   bool
	headerMD     bool

	stats *rpcStats // nil without stats handlers (stats_hooks.go)

	codec encoding.CodecV2 // the stream's codec, for PreparedMsg
}

// compressorName is the compressor replies use now.
func (ts *serverTransportStream) compressorName() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.sendCompress
}

var errSendCompressAfterHeaders = errors.New("transport: set send compressor called after headers sent or stream done")

func (ts *serverTransportStream) setSendCompress(name string) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.headerSent {
		return errSendCompressAfterHeaders
	}
	ts.sendCompress = name
	ts.ServerStream.SetSendCompress(name)
	return nil
}

// headersGoing marks the headers as sent and returns the compressor to use.
func (ts *serverTransportStream) headersGoing() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.stats != nil && !ts.headerSent {
		ts.stats.headerSent(ts.ServerStream)
	}
	ts.headerSent = true
	return ts.sendCompress
}

// SetHeader overrides the transport's to note that header metadata is
// pending.
func (ts *serverTransportStream) SetHeader(md metadata.MD) error {
	err := ts.ServerStream.SetHeader(md)
	if err == nil && md.Len() > 0 {
		ts.mu.Lock()
		ts.headerMD = true
		ts.mu.Unlock()
	}
	return err
}

// SendHeader overrides the transport's to record that headers were sent.
func (ts *serverTransportStream) SendHeader(md metadata.MD) error {
	if ts.stats != nil {
		return ts.sendHeaderStats(md)
	}
	ts.headersGoing()
	return ts.ServerStream.SendHeader(md)
}

// WriteStatus overrides the transport's to record that headers were sent.
// Like grpc-go, it sends header metadata set by the handler in a HEADERS
// frame of its own rather than folding it into a trailers-only response, so
// clients see it as headers.
func (ts *serverTransportStream) WriteStatus(st *status.Status) error {
	ts.mu.Lock()
	separate := !ts.headerSent && ts.headerMD
	ts.headerSent = true
	ts.mu.Unlock()
	if separate {
		ts.ServerStream.SendHeader(nil)
	}
	if ts.stats != nil {
		if separate {
			ts.stats.headerSent(ts.ServerStream)
		}
		err := ts.ServerStream.WriteStatus(st)
		ts.stats.statusWritten(ts.ServerStream, err)
		return err
	}
	return ts.ServerStream.WriteStatus(st)
}

// serverStream implements ServerStream for one RPC.
type serverStream struct {
	ctx   context.Context
	st    *transport.ServerStream
	ts    *serverTransportStream
	desc  *StreamDesc
	codec encoding.CodecV2
	dc    Decompressor // legacy RPCDecompressor matching the request, or nil

	maxRecv, maxSend int

	// Only used by the goroutine calling RecvMsg / SendMsg respectively.
	recvFirstMsg bool
	hdrBuf       [headerLen]byte // message prefix; the transport copies it out
	compName     string
	comp         encoding.Compressor
}

var _ ServerStream = (*serverStream)(nil)

func newServerStream(st *transport.ServerStream, desc *StreamDesc, codec encoding.CodecV2, maxRecv, maxSend int) *serverStream {
	ts := &serverTransportStream{ServerStream: st, codec: codec}
	return &serverStream{
		ctx:     NewContextWithServerTransportStream(st.Context(), ts),
		st:      st,
		ts:      ts,
		desc:    desc,
		codec:   codec,
		maxRecv: maxRecv,
		maxSend: maxSend,
	}
}

func (ss *serverStream) Context() context.Context { return ss.ctx }

func (ss *serverStream) SetHeader(md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	if err := validateMetadata(md); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return toServerRPCErr(ss.ts.SetHeader(md))
}

func (ss *serverStream) SendHeader(md metadata.MD) error {
	if err := validateMetadata(md); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return toServerRPCErr(ss.ts.SendHeader(md))
}

func (ss *serverStream) SetTrailer(md metadata.MD) {
	if md.Len() == 0 {
		return
	}
	// grpc-go only logs invalid trailers; the transport drops what it cannot
	// encode.
	ss.st.SetTrailer(md)
}

// SendMsg sends one message. Any failure also ends the RPC with that status,
// so the client learns why even if the handler ignores the error.
func (ss *serverStream) SendMsg(m any) (err error) {
	return ss.sendMsg(m, false)
}

// sendMsg is SendMsg; last says the handler is done and the status follows
// at once (unary), so the reply may wait in the write buffer for it.
func (ss *serverStream) sendMsg(m any, last bool) (err error) {
	defer func() {
		if err != nil && err != io.EOF {
			ss.ts.WriteStatus(status.Convert(err))
		}
	}()
	if name := ss.ts.headersGoing(); name != ss.compName {
		ss.compName = name
		ss.comp = encoding.GetCompressor(name)
	}
	hdr, data, rawLen, err := ss.prepareSend(m)
	if err != nil {
		return err
	}
	if rs := ss.ts.stats; rs != nil {
		defer rs.sentIfOK(&err, m, rawLen, data.Len())
	}
	defer data.Free()
	switch {
	case last:
		return toServerRPCErr(ss.st.WriteLast(hdr, data))
	case ss.desc.ServerStreams:
		return toServerRPCErr(ss.st.WriteStreaming(hdr, data))
	}
	return toServerRPCErr(ss.st.Write(hdr, data))
}

// RecvMsg receives one message. For RPCs where the client sends a single
// message it also checks that exactly one arrives before the half-close.
func (ss *serverStream) RecvMsg(m any) (err error) {
	defer func() {
		if err != nil && err != io.EOF {
			ss.ts.WriteStatus(status.Convert(err))
		}
	}()
	rc := ss.st.RecvCompress()
	if err := ss.recvAndDecode(rc, m); err != nil {
		if err == io.EOF {
			if !ss.desc.ClientStreams && !ss.recvFirstMsg {
				return status.Error(codes.Internal, "cardinality violation: received no request message from non-client-streaming RPC")
			}
			return io.EOF
		}
		return toServerRPCErr(err)
	}
	ss.st.ChannelzMessageReceived()
	ss.recvFirstMsg = true
	if ss.desc.ClientStreams {
		return nil
	}
	extra, err := recvMsgWithDecompressor(ss.st, rc, ss.maxRecv, ss.dc)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return toServerRPCErr(err)
	}
	extra.Free()
	return status.Error(codes.Internal, "cardinality violation: received multiple request messages for non-client-streaming RPC")
}

// toServerRPCErr makes sure an error surfaced to handlers carries a status.
func toServerRPCErr(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch err {
	case context.Canceled, context.DeadlineExceeded:
		return status.FromContextError(err).Err()
	case io.ErrUnexpectedEOF:
		return status.Error(codes.Internal, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}
