package orca

import (
	"errors"
	grpcinternal "google.golang.org/grpc/internal"
	"time"

	v3orcaservicepb "github.com/cncf/xds/go/xds/service/orca/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/orca/internal"
	"google.golang.org/grpc/status"
)

func init() {
	internal.AllowAnyMinReportingInterval = func(o *ServiceOptions) { o.allowAnyMinReportingInterval = true }
	grpcinternal.ORCAAllowAnyMinReportingInterval = internal.AllowAnyMinReportingInterval
}

// defaultMinReportingInterval is the shortest interval between out-of-band
// reports a Service accepts unless told otherwise through the internal
// testing hook.
const defaultMinReportingInterval = 30 * time.Second

// ServiceOptions configures the out-of-band reporting service.
type ServiceOptions struct {
	// ServerMetricsProvider supplies the metrics sent to clients, typically
	// a ServerMetricsRecorder from NewServerMetricsRecorder. Required.
	ServerMetricsProvider ServerMetricsProvider

	// MinReportingInterval is the shortest interval between two reports on
	// a stream; a client asking for less gets this. Values below 30s
	// (including zero and negative ones) are raised to 30s.
	MinReportingInterval time.Duration

	// allowAnyMinReportingInterval keeps MinReportingInterval as given.
	allowAnyMinReportingInterval bool
}

// Service implements xds.service.orca.v3.OpenRcaService: on each
// StreamCoreMetrics stream it sends the metrics of its ServerMetricsProvider
// at once, then again at every reporting interval, until the client goes
// away. Create one with NewService or Register.
type Service struct {
	v3orcaservicepb.UnimplementedOpenRcaServiceServer

	provider    ServerMetricsProvider
	minInterval time.Duration
}

// NewService returns an out-of-band reporting service configured by opts,
// ready to be registered on a server. It fails if opts has no
// ServerMetricsProvider.
func NewService(opts ServiceOptions) (*Service, error) {
	if opts.ServerMetricsProvider == nil {
		return nil, errors.New("orca: ServiceOptions.ServerMetricsProvider is required")
	}
	minIv := opts.MinReportingInterval
	if !opts.allowAnyMinReportingInterval && minIv < defaultMinReportingInterval {
		minIv = defaultMinReportingInterval
	}
	return &Service{provider: opts.ServerMetricsProvider, minInterval: minIv}, nil
}

// Register creates an out-of-band reporting service with NewService and
// registers it on s.
func Register(s grpc.ServiceRegistrar, opts ServiceOptions) error {
	svc, err := NewService(opts)
	if err != nil {
		return err
	}
	v3orcaservicepb.RegisterOpenRcaServiceServer(s, svc)
	return nil
}

// interval returns the reporting interval for a stream: what the client
// asked for, but no less than the service's minimum.
func (s *Service) interval(req *v3orcaservicepb.OrcaLoadReportRequest) time.Duration {
	if req.GetReportInterval() == nil {
		return s.minInterval
	}
	d := req.GetReportInterval().AsDuration()
	if d < s.minInterval {
		logger.Warningf("Client asked for a reporting interval of %v, below the minimum of %v; using the minimum", d, s.minInterval)
		return s.minInterval
	}
	return d
}

// StreamCoreMetrics sends the current server metrics on stream right away
// and then once per reporting interval, until the stream ends.
func (s *Service) StreamCoreMetrics(req *v3orcaservicepb.OrcaLoadReportRequest, stream v3orcaservicepb.OpenRcaService_StreamCoreMetricsServer) error {
	ticker := time.NewTicker(s.interval(req))
	defer ticker.Stop()
	for {
		sm := s.provider.ServerMetrics()
		if sm == nil {
			sm = newServerMetrics()
		}
		if err := stream.Send(sm.toProto()); err != nil {
			return err
		}
		select {
		case <-stream.Context().Done():
			return status.Error(codes.Canceled, "orca: stream ended")
		case <-ticker.C:
		}
	}
}
