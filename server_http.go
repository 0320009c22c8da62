package grpc

import (
	"context"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// ServeHTTP implements the Go standard library's http.Handler interface by
// answering the gRPC request r with the method it names among the services
// registered on s.
//
// The request must have arrived on an HTTP/2 connection: in practice, with
// the standard library's server, over TLS, or over cleartext HTTP/2 (h2c)
// with golang.org/x/net/http2/h2c. Requests that are not gRPC calls are
// answered with a plain HTTP error: 405 for a method other than POST, 415
// for a content-type other than application/grpc[+subtype], 505 for
// HTTP/1.x and 500 for a ResponseWriter that cannot flush.
//
// One port can serve both gRPC and ordinary HTTP traffic by routing on the
// protocol version and content type, for example:
//
//	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		isGRPC := r.ProtoMajor == 2 &&
//			strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc")
//		if isGRPC {
//			grpcServer.ServeHTTP(w, r)
//			return
//		}
//		webHandler.ServeHTTP(w, r)
//	})
//
// The RPC runs through the same interceptors, stats handlers, codecs,
// compressors and message size limits as RPCs on connections the server
// accepted itself. Connection-level options (keepalive, window sizes,
// MaxConcurrentStreams, tap handles, credentials) do not apply: the
// connection belongs to net/http, whose HTTP/2 server is separate from
// this package's. Stop and GracefulStop cancel RPCs in progress here, and
// the server answers later requests with Unavailable.
//
// # Experimental
//
// This method is experimental in grpc-go as well: it may change or go
// away in a later release.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Stop cancels the RPC through its context: the stream's context
	// derives from the request's.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	r = r.WithContext(ctx)

	var opts transport.HandlerOptions
	var connCtx context.Context // for stats handlers: this request is a "connection"
	if hs := s.opts.statsHandlers; len(hs) != 0 {
		opts.ConnContext = func(ctx context.Context, p *peer.Peer) context.Context {
			connCtx = hs.connBegin(ctx, p, false)
			return connCtx
		}
	}
	stream, err := transport.NewHandlerStream(w, r, opts)
	if err != nil {
		return // already answered with an HTTP error
	}
	// Deferred in this order so that everything, down to the stats
	// ConnEnd, is over before a GracefulStop waiting for handlers returns.
	running := s.addHTTPHandler()
	if running {
		defer s.handlersWG.Done()
	}
	if connCtx != nil {
		defer s.opts.statsHandlers.connEnd(connCtx, false)
	}
	defer stream.EndHTTP()
	if !running {
		stream.WriteStatus(status.New(codes.Unavailable, "grpc: the server has been stopped"))
		return
	}
	// Like grpc-go, which drains a ServeHTTP request by closing it, both
	// Stop and GracefulStop cancel the RPC. GracefulStop still waits for
	// the handler to return (handlersWG).
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-watchDone:
		}
	}()
	s.handleStream(stream)
}

// addHTTPHandler counts a ServeHTTP RPC among the running handlers, unless
// the server is stopping. The count is taken under mu while conns is set,
// so that it precedes the wait for handlers in stop.
func (s *Server) addHTTPHandler() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil || s.stopping() {
		return false
	}
	s.handlersWG.Add(1)
	return true
}
