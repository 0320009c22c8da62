package grpc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"reflect"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/grpclog"
	ichannelz "google.golang.org/grpc/internal/channelz"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/status"
)

// ErrServerStopped is returned by Serve when the server was already stopped.
var ErrServerStopped = errors.New("grpc: the server has been stopped")

// registrationFatalf reports a misuse of RegisterService; like grpc-go it
// logs fatally (exiting the process). Tests replace it to observe the call.
var registrationFatalf = grpclog.Fatalf

// serverMinWindowSize is the HTTP/2 default window; smaller configured
// windows are ignored, as in grpc-go.
const serverMinWindowSize = 65535

// serviceInfo is a registered service.
type serviceInfo struct {
	impl    any
	streams map[string]*StreamDesc // unary methods are wrapped as streams
	methods []MethodInfo           // registration order, unary first
	mdata   any
}

// Server is a gRPC server: it accepts connections and dispatches their RPCs
// to registered services.
type Server struct {
	opts serverOptions

	mu       sync.Mutex
	lis      map[net.Listener]bool               // nil once stopped
	conns    map[*transport.ServerTransport]bool // nil once stopped
	pending  map[net.Conn]bool                   // accepted conns still being set up
	serve    bool
	drain    bool
	cv       *sync.Cond // signalled when a connection is removed
	services map[string]*serviceInfo

	quit     chan struct{} // closed when Stop or GracefulStop starts
	quitOnce sync.Once
	done     chan struct{} // closed when Stop or GracefulStop has finished
	doneOnce sync.Once

	serveWG    sync.WaitGroup // Serve calls and connections being set up
	handlersWG sync.WaitGroup // running stream handlers

	cz *ichannelz.Server // the channelz entry (channelz.go)
}

var _ ServiceRegistrar = (*Server)(nil)

// NewServer creates a gRPC server with no services registered and not yet
// accepting connections.
func NewServer(opt ...ServerOption) *Server {
	opts := defaultServerOptions()
	for _, o := range opt {
		o.apply(&opts)
	}
	opts.unaryInt = chainUnaryServerInterceptors(opts.unaryInt, opts.chainUnaryInts)
	opts.streamInt = chainStreamServerInterceptors(opts.streamInt, opts.chainStreamInts)
	s := &Server{
		opts:     opts,
		lis:      make(map[net.Listener]bool),
		conns:    make(map[*transport.ServerTransport]bool),
		pending:  make(map[net.Conn]bool),
		services: make(map[string]*serviceInfo),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.cv = sync.NewCond(&s.mu)
	s.czRegister()
	return s
}

// RegisterService registers a service and its implementation ss. It must be
// called before Serve. If ss is non-nil it must implement sd.HandlerType;
// violating either rule, or registering a service name twice, is fatal.
func (s *Server) RegisterService(sd *ServiceDesc, ss any) {
	if ss != nil {
		ht := reflect.TypeOf(sd.HandlerType).Elem()
		it := reflect.TypeOf(ss)
		if !it.Implements(ht) {
			registrationFatalf("grpc: Server.RegisterService found the handler of type %v that does not satisfy %v", it, ht)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.serve {
		registrationFatalf("grpc: Server.RegisterService after Server.Serve for %q", sd.ServiceName)
		return
	}
	if _, ok := s.services[sd.ServiceName]; ok {
		registrationFatalf("grpc: Server.RegisterService found duplicate service registration for %q", sd.ServiceName)
		return
	}
	info := &serviceInfo{impl: ss, streams: make(map[string]*StreamDesc), mdata: sd.Metadata}
	for i := range sd.Methods {
		md := &sd.Methods[i]
		info.streams[md.MethodName] = &StreamDesc{StreamName: md.MethodName, Handler: s.unaryHandler(md)}
		info.methods = append(info.methods, MethodInfo{Name: md.MethodName})
	}
	for i := range sd.Streams {
		d := &sd.Streams[i]
		info.streams[d.StreamName] = d
		info.methods = append(info.methods, MethodInfo{Name: d.StreamName, IsClientStream: d.ClientStreams, IsServerStream: d.ServerStreams})
	}
	s.services[sd.ServiceName] = info
}

// unaryHandler runs a unary method as a stream: the request is decoded
// lazily by the generated code (through RecvMsg, which enforces exactly one
// request) and the reply is sent with SendMsg.
func (s *Server) unaryHandler(md *MethodDesc) StreamHandler {
	return func(srv any, stream ServerStream) error {
		reply, err := md.Handler(srv, stream.Context(), stream.RecvMsg, s.opts.unaryInt)
		if err != nil {
			return err
		}
		if ss, ok := stream.(*serverStream); ok {
			// processRPC writes the status right after this returns.
			return ss.sendMsg(reply, true)
		}
		return stream.SendMsg(reply)
	}
}

// GetServiceInfo returns the registered services keyed by full service name
// ("package.Service").
func (s *Server) GetServiceInfo() map[string]ServiceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	ret := make(map[string]ServiceInfo, len(s.services))
	for name, info := range s.services {
		ret[name] = ServiceInfo{Methods: append([]MethodInfo(nil), info.methods...), Metadata: info.mdata}
	}
	return ret
}

// Serve accepts connections on lis and serves RPCs on each, until lis fails
// or the server is stopped. It closes lis before returning. It returns nil
// after Stop or GracefulStop (waiting for them to finish), ErrServerStopped
// if the server was already stopped, and otherwise the Accept error.
func (s *Server) Serve(lis net.Listener) error {
	s.mu.Lock()
	s.serve = true
	if s.lis == nil {
		s.mu.Unlock()
		lis.Close()
		return ErrServerStopped
	}
	s.serveWG.Add(1)
	s.lis[lis] = true
	s.mu.Unlock()
	ls := s.czListen(lis)

	defer func() {
		ichannelz.RemoveEntry(ls.ID)
		s.mu.Lock()
		if s.lis != nil && s.lis[lis] {
			lis.Close()
			delete(s.lis, lis)
		}
		s.mu.Unlock()
		s.serveWG.Done()
		if s.stopping() {
			<-s.done
		}
	}()

	var tempDelay time.Duration
	for {
		rawConn, err := lis.Accept()
		if err != nil {
			if ne, ok := err.(interface{ Temporary() bool }); ok && ne.Temporary() {
				if tempDelay == 0 {
					tempDelay = 5 * time.Millisecond
				} else {
					tempDelay = min(2*tempDelay, time.Second)
				}
				timer := time.NewTimer(tempDelay)
				select {
				case <-timer.C:
				case <-s.quit:
					timer.Stop()
					return nil
				}
				continue
			}
			if s.stopping() {
				return nil
			}
			return err
		}
		tempDelay = 0
		// Counted in serveWG so that stop cannot miss a connection that is
		// about to be added.
		s.serveWG.Add(1)
		go s.handleRawConn(rawConn)
	}
}

func (s *Server) stopping() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// handleRawConn secures and sets up an accepted connection, then serves its
// streams until it closes.
func (s *Server) handleRawConn(rawConn net.Conn) {
	st := s.setupConn(rawConn)
	added := st != nil && s.addConn(st)
	s.serveWG.Done()
	if !added {
		return
	}
	s.serveStreams(st)
	s.removeConn(st)
}

// setupConn runs the credentials handshake and the HTTP/2 preface under the
// ConnectionTimeout deadline. It returns nil if the connection is unusable
// (and then it has been closed, unless the credentials dispatched it).
func (s *Server) setupConn(rawConn net.Conn) *transport.ServerTransport {
	s.mu.Lock()
	if s.lis == nil {
		s.mu.Unlock()
		rawConn.Close()
		return nil
	}
	// Tracked so that a stop does not wait ConnectionTimeout for a silent peer.
	s.pending[rawConn] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, rawConn)
		s.mu.Unlock()
	}()

	rawConn.SetDeadline(time.Now().Add(s.opts.connectionTimeout))
	// Cleared whatever happens: a dispatched connection must not inherit it.
	defer rawConn.SetDeadline(time.Time{})
	conn := rawConn
	var authInfo credentials.AuthInfo
	if s.opts.creds != nil {
		c, ai, err := s.opts.creds.ServerHandshake(rawConn)
		if err != nil {
			if err != credentials.ErrConnDispatched {
				rawConn.Close()
			}
			return nil
		}
		conn, authInfo = c, ai
	}
	st, err := transport.NewServerTransport(conn, s.transportOptions(authInfo))
	if err != nil {
		conn.Close()
		return nil
	}
	return st
}

func (s *Server) transportOptions(authInfo credentials.AuthInfo) transport.ServerOptions {
	streams := s.opts.maxConcurrentStreams
	if streams == math.MaxUint32 {
		// Unlimited: advertise nothing rather than 2^32-1, as grpc-go
		// does; peers take a huge advertised limit literally.
		streams = 0
	}
	o := transport.ServerOptions{
		MaxConcurrentStreams: streams,
		HeaderTableSize:      s.opts.headerTableSize,
		MaxHeaderListSize:    s.opts.maxHeaderListSize,
		WriteBufferSize:      s.opts.writeBufferSize,
		ReadBufferSize:       s.opts.readBufferSize,
		Keepalive:            s.opts.keepaliveParams,
		KeepalivePolicy:      s.opts.keepalivePolicy,
		AuthInfo:             authInfo,
		BufferPool:           s.opts.bufferPool,
		DynamicWindow:        !s.opts.staticWindow,
	}
	o.InTapHandle = s.opts.inTapHandle
	o.ChannelzParent = s.cz
	if s.opts.initialWindowSize >= serverMinWindowSize {
		o.InitialWindowSize = s.opts.initialWindowSize
	}
	if s.opts.initialConnWindowSize >= serverMinWindowSize {
		o.InitialConnWindowSize = s.opts.initialConnWindowSize
	}
	// For the transport 0 means "default size"; for the option it means
	// "no buffering".
	if o.WriteBufferSize <= 0 {
		o.WriteBufferSize = -1
	}
	return o
}

func (s *Server) addConn(st *transport.ServerTransport) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		st.Close(errors.New("Server.addConn called when server has already been stopped"))
		return false
	}
	if s.drain {
		// GracefulStop already ran over the other connections.
		st.Drain("")
	}
	s.conns[st] = true
	return true
}

func (s *Server) removeConn(st *transport.ServerTransport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns != nil {
		delete(s.conns, st)
		s.cv.Broadcast()
	}
}

// serveStreams runs the connection's reader on this goroutine and starts a
// goroutine per stream.
func (s *Server) serveStreams(st *transport.ServerTransport) {
	ctx := context.Background()
	if len(s.opts.statsHandlers) != 0 {
		ctx = s.statsConnBegin(st)
		defer s.opts.statsHandlers.connEnd(ctx, false)
	}
	defer st.Close(errors.New("finished serving streams for the server transport"))
	// Handlers of one connection never outnumber MaxConcurrentStreams,
	// even when the client resets streams as fast as it opens them (Rapid
	// Reset): the reader waits for a handler to return before starting
	// another.
	var slots chan struct{}
	if n := s.opts.maxConcurrentStreams; n != math.MaxUint32 {
		slots = make(chan struct{}, n)
	}
	st.HandleStreams(ctx, func(stream *transport.ServerStream) {
		if slots != nil {
			slots <- struct{}{}
		}
		s.handlersWG.Add(1)
		go func() {
			defer s.handlersWG.Done()
			if slots != nil {
				defer func() { <-slots }()
			}
			s.handleStream(stream)
		}()
	})
}

// handleStream routes a stream to its method, the unknown-service handler,
// or an Unimplemented status.
func (s *Server) handleStream(stream *transport.ServerStream) {
	full := stream.Method()
	service, method, ok := splitMethodName(full)
	if !ok {
		stream.WriteStatus(status.New(codes.Unimplemented, fmt.Sprintf("malformed method name: %q", full)))
		return
	}
	var rs *rpcStats
	if len(s.opts.statsHandlers) != 0 {
		rs = s.statsRPCBegin(stream)
	}
	info, knownService := s.services[service]
	if knownService {
		if sd, ok := info.streams[method]; ok {
			s.processRPC(stream, info, sd, rs)
			return
		}
	}
	if sd := s.opts.unknownStreamDesc; sd != nil {
		s.processRPC(stream, nil, sd, rs)
		return
	}
	var msg string
	if !knownService {
		msg = fmt.Sprintf("unknown service %v", service)
	} else {
		msg = fmt.Sprintf("unknown method %v for service %v", method, service)
	}
	err := stream.WriteStatus(status.New(codes.Unimplemented, msg))
	if rs != nil {
		rs.statusWritten(stream, err)
	}
}

// splitMethodName splits "/service/method" at the last '/', as grpc-go does,
// so a service name may itself contain '/' and the method may be empty.
func splitMethodName(full string) (service, method string, ok bool) {
	sm, found := strings.CutPrefix(full, "/")
	if !found {
		return "", "", false
	}
	pos := strings.LastIndex(sm, "/")
	if pos == -1 {
		return "", "", false
	}
	return sm[:pos], sm[pos+1:], true
}

// processRPC runs one RPC through the interceptors and handler and writes
// its final status.
func (s *Server) processRPC(stream *transport.ServerStream, info *serviceInfo, sd *StreamDesc, rs *rpcStats) {
	ss := newServerStream(stream, sd, s.streamCodec(stream.ContentSubtype()), s.opts.maxRecvMsgSize, s.opts.maxSendMsgSize)
	var endErr error // the RPC's status, for stats
	s.czCallStarted()
	defer s.czCallEnded(&endErr)
	if rs != nil {
		rs.started(sd)
		ss.ts.stats = rs
		ss.ctx = NewContextWithServerTransportStream(rs.ctx, ss.ts)
		defer rs.end(&endErr)
	}

	rc := stream.RecvCompress()
	if dc := s.opts.dc; dc != nil && dc.Type() == rc {
		ss.dc = dc
	} else if rc != "" && rc != encoding.Identity && encoding.GetCompressor(rc) == nil {
		st := status.Newf(codes.Unimplemented, "grpc: Decompressor is not installed for grpc-encoding %q", rc)
		endErr = st.Err()
		ss.ts.WriteStatus(st)
		return
	}
	// Nothing was sent yet, so setSendCompress cannot fail here.
	if cp := s.opts.cp; cp != nil {
		ss.ts.setSendCompress(cp.Type())
		ss.compName, ss.comp = cp.Type(), newLegacyCompressor(cp)
	} else if rc != "" && rc != encoding.Identity && encoding.GetCompressor(rc) != nil {
		// Reply with the encoding the client used, unless the handler picks
		// another with SetSendCompressor.
		ss.ts.setSendCompress(rc)
	}

	var srv any
	if info != nil {
		srv = info.impl
	}
	var appErr error
	if s.opts.streamInt == nil || (!sd.ClientStreams && !sd.ServerStreams) {
		// Unary methods get the unary interceptor inside their handler.
		appErr = sd.Handler(srv, ss)
	} else {
		appErr = s.opts.streamInt(srv, ss, &StreamServerInfo{
			FullMethod:     stream.Method(),
			IsClientStream: sd.ClientStreams,
			IsServerStream: sd.ServerStreams,
		}, sd.Handler)
	}
	if appErr != nil {
		st, ok := status.FromError(appErr)
		if !ok {
			st = status.FromContextError(appErr)
		}
		endErr = st.Err()
		ss.ts.WriteStatus(st)
		return
	}
	ss.ts.WriteStatus(status.New(codes.OK, ""))
}

// streamCodec picks the codec for a request: the forced codec if any, else
// the one registered for the content-subtype, falling back to proto like
// grpc-go does for unknown subtypes.
func (s *Server) streamCodec(contentSubtype string) encoding.CodecV2 {
	if s.opts.codec != nil {
		return s.opts.codec
	}
	if c, err := getCodec(contentSubtype); err == nil {
		return c
	}
	c, _ := getCodec("")
	return c
}

// Stop stops the server immediately: listeners and connections are closed,
// which cancels every running RPC. Unless WaitForHandlers(true) was set it
// does not wait for handlers to return. It is safe to call repeatedly and
// concurrently with GracefulStop.
func (s *Server) Stop() {
	s.stop(false)
}

// GracefulStop stops accepting connections and RPCs, lets every pending RPC
// finish, then returns. Call Stop to cut it short.
func (s *Server) GracefulStop() {
	s.stop(true)
}

func (s *Server) stop(graceful bool) {
	s.quitOnce.Do(func() { close(s.quit) })
	defer s.doneOnce.Do(func() { close(s.done) })

	s.mu.Lock()
	for lis := range s.lis {
		lis.Close()
	}
	s.lis = nil
	for c := range s.pending {
		c.Close()
	}
	s.mu.Unlock()
	// Once Serve and connection setup have finished no connection can be
	// added any more.
	s.serveWG.Wait()

	// Drain and Close may block on a full socket, so they run without s.mu:
	// a Stop must be able to cut short a stuck GracefulStop.
	s.mu.Lock()
	conns := make([]*transport.ServerTransport, 0, len(s.conns))
	for st := range s.conns {
		conns = append(conns, st)
	}
	drained := s.drain
	if graceful {
		s.drain = true
	}
	s.mu.Unlock()
	for _, st := range conns {
		if !graceful {
			st.Close(errors.New("Server.Stop called"))
		} else if !drained {
			st.Drain("graceful_stop")
		}
	}

	s.mu.Lock()
	for len(s.conns) != 0 {
		s.cv.Wait()
	}
	s.conns = nil
	s.mu.Unlock()
	s.czRemove()

	if graceful || s.opts.waitForHandlers {
		s.handlersWG.Wait()
	}
}
