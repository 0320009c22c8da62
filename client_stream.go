package grpc

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// NewStream starts a streaming RPC to method; generated stubs call it. The
// stream lives as long as ctx.
//
// A stream holds resources until one of these happens: the ClientConn is
// closed; ctx is cancelled; RecvMsg returns an error (io.EOF included), so a
// client-streaming call should finish with CloseAndRecv rather than CloseSend
// alone; or Header or SendMsg returns an error other than io.EOF.
func (cc *ClientConn) NewStream(ctx context.Context, desc *StreamDesc, method string, opts ...CallOption) (ClientStream, error) {
	// Interceptors see the ClientConn's default options too.
	opts = combine(cc.dopts.callOptions, opts)
	if cc.dopts.streamInt != nil {
		return cc.dopts.streamInt(ctx, desc, cc, method, newClientStream, opts...)
	}
	return newClientStream(ctx, desc, cc, method, opts...)
}

// NewClientStream is cc.NewStream in function form.
func NewClientStream(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, opts ...CallOption) (ClientStream, error) {
	return cc.NewStream(ctx, desc, method, opts...)
}

// clientStream is the ClientStream of one RPC on one transport stream. It
// needs no goroutine of its own: the transport ends the stream when ctx is
// done, and Close of the ClientConn reaches it through context.AfterFunc.
type clientStream struct {
	cc     *ClientConn
	desc   *StreamDesc
	method string
	ci     *callInfo
	opts   []CallOption
	comp   encoding.Compressor
	hdr    transport.CallHdr

	ctx       context.Context // the stream's context, with the peer once known
	parent    context.Context // the caller's context
	cancel    context.CancelFunc
	stopWatch func() bool // stops watching the ClientConn's closing; under mu

	t *transport.ClientTransport
	s *transport.ClientStream

	// Owned by the sending goroutine.
	sentLast bool
	hdrBuf   [headerLen]byte // message prefix; the transport copies it out

	// Owned by the receiving goroutine.
	headerDone   bool
	recvCompress string
	numRecv      int

	// mayRetry lets a failure that the server never processed end this
	// attempt quietly (no OnFinish, no call option results) so that the
	// caller can run the RPC again; unprocessed is then set.
	mayRetry    bool
	unprocessed bool

	mu       sync.Mutex
	finished bool
	err      error // the RPC's status once finished (nil = OK)
}

func newClientStream(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, opts ...CallOption) (ClientStream, error) {
	cs, err := startClientStream(ctx, desc, cc, method, false, opts...)
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// startClientStream opens the stream of one RPC. mayRetry allows a
// transparent retry of a unary RPC (see invoke).
func startClientStream(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, mayRetry bool, opts ...CallOption) (_ *clientStream, err error) {
	ci := defaultCallInfo()
	for _, o := range opts {
		if err := o.configure(ci); err != nil {
			return nil, toRPCErr(err)
		}
	}
	defer func() {
		if err != nil {
			for _, f := range ci.onFinish {
				f(err)
			}
		}
	}()

	md, _ := metadata.FromOutgoingContext(ctx)
	if err := validateMetadata(md); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	if err := ci.setCodec(); err != nil {
		return nil, err
	}
	// UseCompressor wins over the deprecated WithCompressor.
	var comp encoding.Compressor
	sendCompress := ci.compressorName
	if sendCompress != "" {
		if sendCompress != encoding.Identity {
			if comp = encoding.GetCompressor(sendCompress); comp == nil {
				return nil, status.Errorf(codes.Internal, "grpc: Compressor is not installed for requested grpc-encoding %q", sendCompress)
			}
		}
	} else if cp := cc.dopts.compressorV0; cp != nil {
		sendCompress = cp.Type()
		comp = newLegacyCompressor(cp)
	}

	sctx, cancel := context.WithCancel(ctx)
	cs := &clientStream{
		cc:       cc,
		desc:     desc,
		method:   method,
		ci:       ci,
		opts:     opts,
		comp:     comp,
		ctx:      sctx,
		parent:   ctx,
		cancel:   cancel,
		mayRetry: mayRetry,
		hdr: transport.CallHdr{
			Method:         method,
			HoldHeaders:    desc == unaryStreamDesc, // invoke sends at once
			ClientStreams:  desc.ClientStreams,
			ContentSubtype: ci.contentSubtype,
			SendCompress:   sendCompress,
			AcceptCompress: cc.acceptEncoding(sendCompress),
		},
	}
	if err := cs.start(md); err != nil {
		cancel()
		return nil, err
	}
	stop := context.AfterFunc(cc.ctx, func() { cs.finish(ErrClientConnClosing) })
	// The ClientConn may already be closed, so finish can be running now.
	cs.mu.Lock()
	cs.stopWatch = stop
	cs.mu.Unlock()
	return cs, nil
}

// acceptEncoding advertises every registered compressor, as grpc-go does,
// plus the one used for sending if it is a legacy one (WithCompressor).
func (cc *ClientConn) acceptEncoding(sendCompress string) string {
	if sendCompress == "" || sendCompress == encoding.Identity || grpcutil.IsCompressorNameRegistered(sendCompress) {
		return cc.registeredCompressors
	}
	if cc.registeredCompressors == "" {
		return sendCompress
	}
	return cc.registeredCompressors + "," + sendCompress
}

// start opens the transport stream. A stream that a transport refused before
// sending anything (it was closing or draining) is retried on the next
// transport without the caller noticing.
func (cs *clientStream) start(md metadata.MD) error {
	for {
		t, err := cs.cc.pickTransport(cs.ctx, cs.ci.failFast)
		if err != nil {
			return err
		}
		if cs.hdr.Metadata, err = cs.outgoingMetadata(t, md); err != nil {
			return err
		}
		if err := cs.overrideAuthority(t); err != nil {
			return err
		}
		// The caller's context, not cs.ctx: the transport stream need not
		// watch a context of its own that only finish cancels (finish
		// closes the stream itself), and a context that is never done
		// costs it nothing.
		s, err := t.NewStream(cs.parent, &cs.hdr)
		if err == nil {
			cs.t, cs.s = t, s
			cs.ctx = peer.NewContext(cs.ctx, t.Peer())
			return nil
		}
		if !transport.IsTransparentRetryable(err) {
			return toRPCErr(err)
		}
		cs.cc.ac.retire(t)
	}
}

// overrideAuthority applies CallAuthority once the connection's credentials
// have agreed to it.
func (cs *clientStream) overrideAuthority(t *transport.ClientTransport) error {
	a := cs.ci.authority
	if a == "" {
		return nil
	}
	ai := t.Peer().AuthInfo
	v, ok := ai.(credentials.AuthorityValidator)
	if !ok {
		authType := "<nil>"
		if ai != nil {
			authType = ai.AuthType()
		}
		return status.Errorf(codes.Unavailable, "credentials type %q does not implement the AuthorityValidator interface, but authority override specified with CallAuthority call option", authType)
	}
	if err := v.ValidateAuthority(a); err != nil {
		return status.Errorf(codes.Unavailable, "failed to validate authority %q : %v", a, err)
	}
	cs.hdr.Host = a
	return nil
}

// outgoingMetadata adds the per-RPC credentials' metadata to the caller's.
func (cs *clientStream) outgoingMetadata(t *transport.ClientTransport, md metadata.MD) (metadata.MD, error) {
	dialCreds := cs.cc.dopts.allPerRPCCreds()
	if len(dialCreds) == 0 && cs.ci.creds == nil {
		return md, nil
	}
	authInfo := t.Peer().AuthInfo
	ctx := credentials.NewContextWithRequestInfo(cs.ctx, credentials.RequestInfo{Method: cs.method, AuthInfo: authInfo})
	aud := audience(cs.cc.authority, cs.method)
	out := metadata.MD{}
	add := func(c credentials.PerRPCCredentials) error {
		data, err := c.GetRequestMetadata(ctx, aud)
		if err != nil {
			if st, ok := status.FromError(err); ok {
				if restrictedControlPlaneCode(st.Code()) {
					return status.Errorf(codes.Internal, "transport: received per-RPC creds error with illegal status: %v", err)
				}
				return err
			}
			return status.Errorf(codes.Unauthenticated, "transport: per-RPC creds failed due to error: %v", err)
		}
		for k, v := range data {
			out.Append(strings.ToLower(k), v)
		}
		return nil
	}
	for _, c := range dialCreds {
		if err := add(c); err != nil {
			return nil, err
		}
	}
	if c := cs.ci.creds; c != nil {
		if c.RequireTransportSecurity() {
			secure := cs.cc.dopts.transportCreds().Info().SecurityProtocol != "insecure"
			if !secure || credentials.CheckSecurityLevel(authInfo, credentials.PrivacyAndIntegrity) != nil {
				return nil, status.Error(codes.Unauthenticated, "transport: cannot send secure credentials on an insecure connection")
			}
		}
		if err := add(c); err != nil {
			return nil, err
		}
	}
	for k, v := range md {
		out.Append(k, v...)
	}
	return out, nil
}

// audience is the URI per-RPC credentials are issued for:
// "https://host/service", without the default port.
func audience(host, method string) string {
	host = strings.TrimSuffix(host, ":443")
	if i := strings.LastIndex(method, "/"); i >= 0 {
		method = method[:i]
	}
	return "https://" + host + method
}

// restrictedControlPlaneCode reports codes that credentials and other control
// plane components may not produce (gRFC A54).
func restrictedControlPlaneCode(c codes.Code) bool {
	switch c {
	case codes.OK, codes.InvalidArgument, codes.NotFound, codes.AlreadyExists,
		codes.FailedPrecondition, codes.Aborted, codes.OutOfRange, codes.DataLoss:
		return true
	}
	return false
}

// Context returns the stream's context; it is canceled when the RPC ends.
func (cs *clientStream) Context() context.Context {
	return cs.ctx
}

// Header blocks until the response headers arrive. Like grpc-go it never
// returns an error: if the RPC failed, RecvMsg reports the status.
func (cs *clientStream) Header() (metadata.MD, error) {
	md, err := cs.s.Header()
	if err != nil {
		cs.finish(cs.rpcErr(err))
		return nil, nil
	}
	if cs.s.TrailersOnly() {
		<-cs.s.Done()
		cs.finish(cs.s.Status().Err())
		return nil, nil
	}
	return md, nil
}

// Trailer returns the trailer metadata once the RPC has ended.
func (cs *clientStream) Trailer() metadata.MD {
	return cs.s.Trailer()
}

// CloseSend half-closes the stream. Errors surface from RecvMsg.
func (cs *clientStream) CloseSend() error {
	if cs.sentLast {
		return nil
	}
	cs.sentLast = true
	cs.s.CloseSend()
	return nil
}

// SendMsg sends m. Errors made by the client are returned as they are; when
// the stream itself broke it returns io.EOF (nil for RPCs that send only one
// message) and RecvMsg reports the status.
func (cs *clientStream) SendMsg(m any) error {
	if cs.sentLast {
		if !cs.desc.ClientStreams {
			// The single request of this RPC went out already.
			return nil
		}
		return status.Error(codes.Internal, "SendMsg called after CloseSend")
	}
	if cs.finishedErr() != nil {
		return cs.sendBroken()
	}
	last := !cs.desc.ClientStreams
	hdr, data, err := prepareMsgTo(cs.hdrBuf[:], cs.ci.codec, cs.comp, m, cs.ci.maxSendSize)
	if err != nil {
		cs.finish(err)
		return err
	}
	if last {
		cs.sentLast = true
	}
	err = cs.s.Write(hdr, data, last)
	data.Free()
	if err != nil {
		return cs.sendBroken()
	}
	return nil
}

func (cs *clientStream) sendBroken() error {
	if !cs.desc.ClientStreams {
		return nil
	}
	return io.EOF
}

// RecvMsg receives the next message into m. It returns io.EOF when the RPC
// ended with an OK status and the status error otherwise. For RPCs whose
// server sends one message, it also reads the end of the stream so that the
// status is known when it returns.
func (cs *clientStream) RecvMsg(m any) error {
	if done, err := cs.finishState(); done {
		if err != nil {
			return err
		}
		// Ended OK (e.g. a trailers-only response seen by Header).
		return io.EOF
	}
	err := cs.recvOne(m)
	if err == nil {
		cs.numRecv++
		if cs.desc.ServerStreams {
			return nil
		}
		// Exactly one response: the stream must end now.
		err = cs.recvOne(nil)
		if err == nil {
			err = status.Error(codes.Internal, "cardinality violation: expected <EOF> for non server-streaming RPCs, but received another message")
		} else if err == io.EOF {
			cs.finish(nil)
			return nil
		}
	}
	if err == io.EOF && !cs.desc.ServerStreams && cs.numRecv == 0 {
		err = status.Error(codes.Internal, "cardinality violation: received no response message from non-server-streaming RPC")
	}
	cs.finish(err)
	if ferr := cs.finishedErr(); ferr != nil {
		// Another path (ClientConn.Close, Header) may have ended it first.
		return ferr
	}
	return err
}

// recvOne reads one message (m == nil discards it). It returns io.EOF at an
// OK end of stream, otherwise a status error.
func (cs *clientStream) recvOne(m any) error {
	if !cs.headerDone {
		cs.headerDone = true
		if err := cs.s.WaitHeader(); err != nil {
			return cs.rpcErr(err)
		}
		cs.recvCompress = cs.s.RecvCompress()
	}
	data, err := recvMsgWithDecompressor(cs.s, cs.recvCompress, cs.ci.maxRecvSize, cs.cc.dopts.decompressorV0)
	if err == nil {
		if m != nil {
			if uerr := cs.ci.codec.Unmarshal(data, m); uerr != nil {
				err = status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", uerr)
			}
		}
		data.Free()
	}
	if err == nil {
		return nil
	}
	if err == io.EOF {
		<-cs.s.Done()
		if st := cs.s.Status(); st.Code() != codes.OK {
			return cs.rpcErr(st.Err())
		}
		return io.EOF
	}
	return cs.rpcErr(err)
}

// rpcErr turns a transport error into the RPC's status. Once the ClientConn
// is closing that is Canceled, whatever the broken transport said.
func (cs *clientStream) rpcErr(err error) error {
	if cs.cc.ctx.Err() != nil {
		return ErrClientConnClosing
	}
	return toRPCErr(err)
}

// finishedErr is the RPC's error if it has already ended with one.
func (cs *clientStream) finishedErr() error {
	_, err := cs.finishState()
	return err
}

func (cs *clientStream) finishState() (bool, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.finished, cs.err
}

// finish ends the RPC once: it records the status, abandons the transport
// stream if it is still open, fills Header/Trailer/Peer call options and runs
// OnFinish callbacks. io.EOF means OK.
func (cs *clientStream) finish(err error) {
	if err == io.EOF {
		err = nil
	}
	cs.mu.Lock()
	if cs.finished {
		cs.mu.Unlock()
		return
	}
	cs.finished = true
	cs.err = err
	stopWatch := cs.stopWatch
	cs.mu.Unlock()

	if stopWatch != nil {
		stopWatch()
	}
	if err != nil {
		cs.s.Close(err)
	} else {
		// The transport stream watches the caller's context, not ours, so
		// canceling ours below would not reach a stream still open.
		select {
		case <-cs.s.Done():
		default:
			cs.s.Close(errContextCanceled)
		}
	}
	if err != nil && cs.mayRetry && cs.s.Unprocessed() && !cs.s.BytesReceived() && cs.cc.ctx.Err() == nil && cs.ctx.Err() == nil {
		cs.unprocessed = true
		cs.cancel()
		return
	}
	if len(cs.opts) > 0 {
		res := callResult{peer: cs.t.Peer()}
		// Headers and trailers are only final once the stream is done; a
		// stream that ended with an error may never have had them. They
		// are copied only for the options that read them.
		wantHdr, wantTrl := false, false
		for _, o := range cs.opts {
			switch o.(type) {
			case HeaderCallOption, *HeaderCallOption:
				wantHdr = true
			case TrailerCallOption, *TrailerCallOption:
				wantTrl = true
			}
		}
		if wantHdr || wantTrl {
			select {
			case <-cs.s.Done():
				if wantHdr {
					res.header, _ = cs.s.Header()
				}
				if wantTrl {
					res.trailer = cs.s.Trailer()
				}
			default:
			}
		}
		for _, o := range cs.opts {
			o.collect(cs.ci, &res)
		}
	}
	for _, f := range cs.ci.onFinish {
		f(err)
	}
	cs.cancel()
}

var (
	errContextCanceled = status.Error(codes.Canceled, context.Canceled.Error())
	errContextDeadline = status.Error(codes.DeadlineExceeded, context.DeadlineExceeded.Error())
)

// toRPCErr converts an error into one of the status package, as grpc-go does.
func toRPCErr(err error) error {
	switch err {
	case nil, io.EOF:
		return err
	case context.DeadlineExceeded:
		return errContextDeadline
	case context.Canceled:
		return errContextCanceled
	case io.ErrUnexpectedEOF:
		return status.Error(codes.Internal, err.Error())
	}
	var nse *transport.NewStreamError
	if errors.As(err, &nse) {
		return toRPCErr(nse.Err)
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unknown, err.Error())
}
