// Package health provides a server for the gRPC health checking protocol
// (grpc.health.v1.Health): it keeps a serving status per service name and
// answers Check, List and Watch from it.
package health

import (
	"context"
	"sync"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// maxListedServices is the most services List reports; beyond it List fails
// with ResourceExhausted rather than send an unbounded response (grpc-go's
// limit).
const maxListedServices = 100

// Server implements the grpc.health.v1.Health service. The zero value is not
// usable; call NewServer.
type Server struct {
	healthpb.UnimplementedHealthServer

	mu sync.RWMutex
	// shutdown is set by Shutdown: every status is NOT_SERVING and
	// SetServingStatus is ignored until Resume.
	shutdown bool
	statuses map[string]healthpb.HealthCheckResponse_ServingStatus
	// watchers holds, per service, one channel per Watch call. Each has room
	// for one status: a newer status replaces an unsent one, so a slow
	// watcher never blocks SetServingStatus and still ends up with the
	// latest status.
	watchers map[string]map[chan healthpb.HealthCheckResponse_ServingStatus]struct{}
}

// NewServer returns a Server in which the overall health, the service named
// "", is SERVING and no other service is known.
func NewServer() *Server {
	return &Server{
		statuses: map[string]healthpb.HealthCheckResponse_ServingStatus{"": healthpb.HealthCheckResponse_SERVING},
		watchers: make(map[string]map[chan healthpb.HealthCheckResponse_ServingStatus]struct{}),
	}
}

// Check returns the serving status of in.Service, or a NotFound error if the
// service is unknown.
func (s *Server) Check(_ context.Context, in *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.statuses[in.GetService()]
	if !ok {
		return nil, status.Error(codes.NotFound, "unknown service")
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

// List returns the serving status of every known service, or a
// ResourceExhausted error if there are more than 100.
func (s *Server) List(context.Context, *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.statuses) > maxListedServices {
		return nil, status.Errorf(codes.ResourceExhausted, "server health list exceeds maximum capacity: %d", maxListedServices)
	}
	resp := &healthpb.HealthListResponse{Statuses: make(map[string]*healthpb.HealthCheckResponse, len(s.statuses))}
	for name, st := range s.statuses {
		resp.Statuses[name] = &healthpb.HealthCheckResponse{Status: st}
	}
	return resp, nil
}

// Watch sends the serving status of in.Service (SERVICE_UNKNOWN if it is not
// known), then every change of it, until the client goes away. It never ends
// on its own: an unknown service may become known later.
func (s *Server) Watch(in *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	name := in.GetService()
	ch := make(chan healthpb.HealthCheckResponse_ServingStatus, 1)

	s.mu.Lock()
	st, ok := s.statuses[name]
	if !ok {
		st = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
	}
	ch <- st
	if s.watchers[name] == nil {
		s.watchers[name] = make(map[chan healthpb.HealthCheckResponse_ServingStatus]struct{})
	}
	s.watchers[name][ch] = struct{}{}
	s.mu.Unlock()

	defer func() {
		s.mu.Lock()
		delete(s.watchers[name], ch)
		if len(s.watchers[name]) == 0 {
			delete(s.watchers, name)
		}
		s.mu.Unlock()
	}()

	// Start below any real status so that the first one is always sent.
	last := healthpb.HealthCheckResponse_ServingStatus(-1)
	for {
		select {
		case st := <-ch:
			if st == last {
				continue // only changes are worth a message
			}
			last = st
			if err := stream.Send(&healthpb.HealthCheckResponse{Status: st}); err != nil {
				return status.Error(codes.Canceled, "Stream has ended.")
			}
		case <-stream.Context().Done():
			return status.Error(codes.Canceled, "Stream has ended.")
		}
	}
}

// SetServingStatus records the serving status of service and tells its
// watchers. It does nothing after Shutdown, until Resume.
func (s *Server) SetServingStatus(service string, servingStatus healthpb.HealthCheckResponse_ServingStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		logger.Infof("health: ignoring the change of %q to %v: the health server is shut down", service, servingStatus)
		return
	}
	s.setLocked(service, servingStatus)
}

// Shutdown sets every known service to NOT_SERVING and makes the server
// ignore SetServingStatus until Resume is called. A server calls it when it
// is about to stop, so that clients move away first.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdown = true
	for name := range s.statuses {
		s.setLocked(name, healthpb.HealthCheckResponse_NOT_SERVING)
	}
}

// Resume sets every known service to SERVING and makes the server accept
// SetServingStatus again.
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdown = false
	for name := range s.statuses {
		s.setLocked(name, healthpb.HealthCheckResponse_SERVING)
	}
}

func (s *Server) setLocked(service string, st healthpb.HealthCheckResponse_ServingStatus) {
	s.statuses[service] = st
	for ch := range s.watchers[service] {
		select { // drop a status the watcher has not sent yet
		case <-ch:
		default:
		}
		ch <- st
	}
}
