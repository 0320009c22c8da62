package grpc

import (
	"context"
	"errors"
	internalserviceconfig "google.golang.org/grpc/internal/serviceconfig"
	"google.golang.org/grpc/peer"
	"io"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/metadata"
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

// clientStream is the ClientStream of one RPC. The RPC runs as one or more
// attempts (see client_retry.go); until it commits to one, what it sends is
// kept so that a new attempt can replay it. It needs no goroutine of its
// own: the transport ends the stream when ctx is done, and Close of the
// ClientConn reaches it through context.AfterFunc.
type clientStream struct {
	cc     *ClientConn
	desc   *StreamDesc
	method string
	ci     *callInfo
	// The method config's retry and hedging policies (at most one is set).
	retryPolicy   *internalserviceconfig.RetryPolicy
	hedgingPolicy *internalserviceconfig.HedgingPolicy
	opts          []CallOption
	comp          encoding.Compressor
	hdr           transport.CallHdr // the template of every attempt's headers
	md            metadata.MD       // the caller's outgoing metadata

	ctx       context.Context // the stream's context, with the peer once known
	parent    context.Context // the caller's context (with the config's timeout)
	cancel    context.CancelFunc
	stopWatch func() bool                // stops watching the ClientConn's closing; under mu
	fixed     *transport.ClientTransport // set for streams that bypass the picker

	// Owned by the sending goroutine.
	sentLast bool
	hdrBuf   [headerLen]byte // message prefix; the transport copies it out

	// Owned by the receiving goroutine.
	numRecv int

	mu        sync.Mutex
	attempt   *csAttempt // the attempt in use; after commit, the one kept
	committed bool
	retry     retryState
	finished  bool
	err       error // the RPC's status once finished (nil = OK)
}

func newClientStream(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, opts ...CallOption) (ClientStream, error) {
	delayed := cc.statsResolveDelay()
	if err := cc.waitForResolved(ctx); err != nil {
		return nil, err
	}
	if delayed {
		ctx = context.WithValue(ctx, nameResolutionDelayKey{}, true)
	}
	return newStreamWith(ctx, desc, cc, method, cc.GetMethodConfig(method), nil, opts...)
}

// newSubConnStream runs a stream on transport t, bypassing the picker,
// retries and idleness: the channel's own RPCs on one connection, such as
// health checks, use it.
func newSubConnStream(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, t *transport.ClientTransport, opts ...CallOption) (ClientStream, error) {
	return newStreamWith(ctx, desc, cc, method, MethodConfig{}, t, opts...)
}

// newStreamWith sets up an RPC under method config mc; with fixed set it
// runs on that transport only.
func newStreamWith(ctx context.Context, desc *StreamDesc, cc *ClientConn, method string, mc MethodConfig, fixed *transport.ClientTransport, opts ...CallOption) (_ ClientStream, err error) {
	ci := defaultCallInfo()
	if mc.WaitForReady != nil {
		ci.failFast = !*mc.WaitForReady
	}
	for _, o := range opts {
		if err := o.configure(ci); err != nil {
			return nil, toRPCErr(err)
		}
	}
	ci.applyMethodConfig(&mc)
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

	// The transport stream watches parent; it stays the caller's context
	// unless the method config shortens the deadline, because a context
	// that is never done costs the transport nothing to watch.
	parent := ctx
	var cancelTimeout context.CancelFunc
	if mc.Timeout != nil && *mc.Timeout >= 0 {
		parent, cancelTimeout = context.WithTimeout(ctx, *mc.Timeout)
	}
	ctx, cancel := context.WithCancel(parent)
	if cancelTimeout != nil {
		cancelStream := cancel
		cancel = func() { cancelStream(); cancelTimeout() }
	}
	cs := &clientStream{
		cc:            cc,
		desc:          desc,
		method:        method,
		ci:            ci,
		retryPolicy:   mc.RetryPolicy,
		hedgingPolicy: mc.HedgingPolicy,
		opts:          opts,
		comp:          comp,
		md:            md,
		ctx:           ctx,
		parent:        parent,
		cancel:        cancel,
		fixed:         fixed,
		hdr: transport.CallHdr{
			Method:         method,
			HoldHeaders:    desc == unaryStreamDesc, // invoke sends at once
			ClientStreams:  desc.ClientStreams,
			ContentSubtype: ci.contentSubtype,
			SendCompress:   sendCompress,
			AcceptCompress: cc.acceptEncoding(sendCompress, ci.acceptCompressors),
		},
	}
	cs.retry.init(cs)
	if fixed != nil {
		// Nothing to retry on, and it must not keep the channel awake.
		cs.committed = true
	} else {
		cc.idle.callBegin()
		cc.czCallStarted()
	}
	if err := cs.begin(); err != nil {
		if fixed == nil {
			cc.idle.callEnd()
			cc.czCallEnded(err)
		}
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
// plus the one used for sending if it is a legacy one (WithCompressor); or
// only those allowed by experimental.AcceptCompressors.
func (cc *ClientConn) acceptEncoding(sendCompress string, allowed []string) string {
	if allowed != nil {
		return strings.Join(allowed, ",")
	}
	if sendCompress == "" || sendCompress == encoding.Identity || grpcutil.IsCompressorNameRegistered(sendCompress) {
		return cc.registeredCompressors
	}
	if cc.registeredCompressors == "" {
		return sendCompress
	}
	return cc.registeredCompressors + "," + sendCompress
}

// Context returns the stream's context, with the peer and what the stats
// handlers' TagRPC added; it is canceled when the RPC ends. As in grpc-go,
// asking for it commits the RPC to its current attempt (no more retries):
// the context is that attempt's.
func (cs *clientStream) Context() context.Context {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.commitLocked()
	a := cs.attempt
	if a == nil || a.stats == nil || a.t == nil {
		return cs.ctx
	}
	if a.stats.userCtx == nil {
		a.stats.userCtx = peer.NewContext(a.stats.ctx, a.t.Peer())
	}
	return a.stats.userCtx
}

// Header blocks until the response headers arrive. Like grpc-go it never
// returns an error: if the RPC failed, RecvMsg reports the status.
func (cs *clientStream) Header() (metadata.MD, error) {
	var md metadata.MD
	err := cs.withRetry(false, func(a *csAttempt) error {
		var err error
		md, err = a.s.Header()
		if err != nil {
			return err
		}
		if a.stats != nil {
			a.stats.headerSeen(a.s)
		}
		if a.s.TrailersOnly() {
			// The status is all there is; let the retry logic judge it.
			<-a.s.Done()
			md = nil
			if st := a.s.Status(); st.Code() != codes.OK {
				return st.Err()
			}
			return io.EOF
		}
		return nil
	}, cs.commitLocked)
	if err != nil && err != io.EOF {
		cs.finish(cs.rpcErr(err))
		return nil, nil
	}
	if err == io.EOF {
		cs.finish(nil)
	}
	return md, nil
}

// Trailer returns the trailer metadata once the RPC has ended.
func (cs *clientStream) Trailer() metadata.MD {
	a := cs.currentAttempt()
	if a == nil || a.s == nil {
		return nil
	}
	return a.s.Trailer()
}

func (cs *clientStream) currentAttempt() *csAttempt {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.attempt
}

// CloseSend half-closes the stream. Errors surface from RecvMsg.
func (cs *clientStream) CloseSend() error {
	if cs.sentLast {
		return nil
	}
	cs.sentLast = true
	cs.withRetry(true, func(a *csAttempt) error {
		a.s.CloseSend()
		return nil
	}, func() { cs.retry.closeSent = true })
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
	hdr, data, rawLen, err := cs.prepareSend(m)
	if err != nil {
		cs.finish(err)
		return err
	}
	if last {
		cs.sentLast = true
	}
	err = cs.withRetry(true, func(a *csAttempt) error {
		if err := a.s.Write(hdr, data, last); err != nil {
			// The status comes from RecvMsg; the retry logic only needs
			// to know the stream ended.
			return io.EOF
		}
		if a.stats != nil {
			a.stats.sent(m, rawLen, data.Len())
		}
		return nil
	}, func() {
		if !cs.committed {
			data.Ref() // the replay buffer's own reference
			cs.bufferLocked(hdr, data, last)
			if cs.statsOn() {
				cs.keepReplayStat(m, rawLen, data.Len())
			}
		}
	})
	data.Free()
	if err != nil && err != io.EOF {
		cs.finish(err)
	}
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
	err := cs.withRetry(false, func(a *csAttempt) error { return cs.recvMsg(a, m) }, cs.commitLocked)
	if err == nil && cs.desc.ServerStreams {
		return nil
	}
	if err == nil {
		err = io.EOF // one message and the end of the stream: done
	}
	if err == io.EOF && !cs.desc.ServerStreams && cs.numRecv == 0 {
		err = status.Error(codes.Internal, "cardinality violation: received no response message from non-server-streaming RPC")
	}
	if err != io.EOF {
		err = cs.rpcErr(err)
	}
	cs.finish(err)
	if ferr := cs.finishedErr(); ferr != nil {
		// Another path (ClientConn.Close, Header) may have ended it first.
		return ferr
	}
	if !cs.desc.ServerStreams && err == io.EOF {
		return nil
	}
	return err
}

// recvMsg reads one message of attempt a into m; for RPCs whose server
// sends one message it also reads the end of the stream (nil then means
// the RPC ended OK).
func (cs *clientStream) recvMsg(a *csAttempt, m any) error {
	err := cs.recvOne(a, m)
	if err != nil || cs.desc.ServerStreams {
		if err == nil {
			cs.numRecv++
		}
		return err
	}
	cs.numRecv++
	// Exactly one response: the stream must end now.
	switch err = cs.recvOne(a, nil); err {
	case nil:
		return status.Error(codes.Internal, "cardinality violation: expected <EOF> for non server-streaming RPCs, but received another message")
	case io.EOF:
		return nil
	}
	return err
}

// recvOne reads one message (m == nil discards it). It returns io.EOF at an
// OK end of stream, otherwise the error of the stream.
func (cs *clientStream) recvOne(a *csAttempt, m any) error {
	if !a.headerDone {
		a.headerDone = true
		if err := a.s.WaitHeader(); err != nil {
			return err
		}
		a.recvCompress = a.s.RecvCompress()
		if !compressorAllowed(cs.ci.acceptCompressors, a.recvCompress) {
			return status.Errorf(codes.Internal, "grpc: peer compressed the response with %q which is not allowed by AcceptCompressors", a.recvCompress)
		}
		if !a.s.TrailersOnly() {
			// Headers mean the server acted on the RPC: no retry now.
			cs.commitIf(a)
		}
		if a.stats != nil {
			a.stats.headerSeen(a.s)
		}
	}
	var r messageReader = a.s
	if a.stats != nil {
		r = a.stats.cr.reset(a.s)
	}
	data, err := recvMsgWithDecompressor(r, a.recvCompress, cs.ci.maxRecvSize, cs.cc.dopts.decompressorV0)
	if err == nil {
		a.s.ChannelzMessageReceived()
		if m != nil {
			if uerr := cs.ci.codec.Unmarshal(data, m); uerr != nil {
				err = status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", uerr)
			}
		}
		if a.stats != nil && err == nil {
			// grpc-go reports trailers as soon as they arrive, which for
			// a one-message response is before the message is handed
			// over; report them first if they are in already.
			a.stats.trailerSeen(a.s)
			a.stats.received(m, data.Len())
		}
		data.Free()
	}
	if err == io.EOF {
		<-a.s.Done()
		if a.stats != nil {
			a.stats.trailerSeen(a.s)
		}
		if st := a.s.Status(); st.Code() != codes.OK {
			return st.Err()
		}
	}
	return err
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

// finish ends the RPC once: it records the status, ends the attempt,
// fills Header/Trailer/Peer call options and runs OnFinish callbacks.
// io.EOF means OK.
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
	a := cs.attempt
	cs.commitLocked()
	cs.finishAttemptLocked(a, err)
	cs.mu.Unlock()

	if stopWatch != nil {
		stopWatch()
	}
	if cs.fixed == nil {
		cs.cc.idle.callEnd()
		cs.cc.czCallEnded(err)
	}
	if len(cs.opts) > 0 {
		res := callResult{}
		if a != nil && a.t != nil {
			res.peer = a.t.Peer()
		}
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
		if (wantHdr || wantTrl) && a != nil && a.s != nil {
			select {
			case <-a.s.Done():
				if wantHdr {
					res.header, _ = a.s.Header()
				}
				if wantTrl {
					res.trailer = a.s.Trailer()
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
