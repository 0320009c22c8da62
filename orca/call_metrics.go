package orca

import (
	"context"
	grpcinternal "google.golang.org/grpc/internal"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/orca/internal"
	"google.golang.org/protobuf/proto"
)

// CallMetricsRecorder records the metrics one RPC reports in its trailer:
// everything a ServerMetricsRecorder records, plus request costs and other
// named metrics. It is safe for concurrent use.
type CallMetricsRecorder interface {
	ServerMetricsRecorder

	// SetRequestCost records the request cost called name.
	SetRequestCost(name string, val float64)
	// DeleteRequestCost clears the request cost called name so that it is
	// not reported.
	DeleteRequestCost(name string)

	// SetNamedMetric records the metric called name.
	SetNamedMetric(name string, val float64)
	// DeleteNamedMetric clears the metric called name so that it is not
	// reported.
	DeleteNamedMetric(name string)
}

// callRecorderKey is the context key of a *callRecorder.
type callRecorderKey struct{}

// callRecorder hands out the recorder of one RPC. The recorder is only
// created when the handler asks for it, and an RPC whose handler never asks
// reports nothing.
type callRecorder struct {
	mu  sync.Mutex
	rec *serverMetricsRecorder
}

func (c *callRecorder) get() *serverMetricsRecorder {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec == nil {
		c.rec = newServerMetricsRecorder()
	}
	return c.rec
}

// used returns the recorder if the handler asked for it, or nil.
func (c *callRecorder) used() *serverMetricsRecorder {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rec
}

// CallMetricsRecorderFromContext returns the recorder of the RPC whose
// handler context is ctx. It returns nil if per-call metrics are not
// enabled, that is, if the server was not built with
// CallMetricsServerOption.
func CallMetricsRecorderFromContext(ctx context.Context) CallMetricsRecorder {
	c, ok := ctx.Value(callRecorderKey{}).(*callRecorder)
	if !ok {
		return nil
	}
	return c.get()
}

// CallMetricsServerOption returns a server option that turns on per-call
// load reports for unary and streaming RPCs. Pass it first to
// grpc.NewServer so that its interceptors run before any others.
//
// A handler of such a server gets its RPC's CallMetricsRecorder from
// CallMetricsRecorderFromContext and may record metrics at any point until
// it returns. The recorded metrics are then sent in the RPC's trailer, as a
// serialized xds.data.orca.v3.OrcaLoadReport under the key
// "endpoint-load-metrics-bin".
//
// If smp is not nil, the report starts from the metrics smp provides at
// that time, and the values recorded for the call replace the provider's.
// smp is typically a ServerMetricsRecorder from NewServerMetricsRecorder.
// Nothing is sent for an RPC whose handler never retrieved its recorder.
func CallMetricsServerOption(smp ServerMetricsProvider) grpc.ServerOption {
	return joinServerOptions(
		grpc.ChainUnaryInterceptor(unaryInterceptor(smp)),
		grpc.ChainStreamInterceptor(streamInterceptor(smp)),
	)
}

func unaryInterceptor(smp ServerMetricsProvider) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		c := &callRecorder{}
		resp, err := handler(context.WithValue(ctx, callRecorderKey{}, c), req)
		if md := trailerFor(c, smp); md != nil {
			if err := grpc.SetTrailer(ctx, md); err != nil {
				logger.Warningf("Failed to set the load report trailer: %v", err)
			}
		}
		return resp, err
	}
}

func streamInterceptor(smp ServerMetricsProvider) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		c := &callRecorder{}
		err := handler(srv, &recorderStream{
			ServerStream: ss,
			ctx:          context.WithValue(ss.Context(), callRecorderKey{}, c),
		})
		if md := trailerFor(c, smp); md != nil {
			ss.SetTrailer(md)
		}
		return err
	}
}

// trailerFor returns the trailer carrying the report of an RPC whose
// handler has returned, or nil if there is nothing to report.
func trailerFor(c *callRecorder, smp ServerMetricsProvider) metadata.MD {
	rec := c.used()
	if rec == nil {
		return nil
	}
	sm := rec.ServerMetrics()
	if smp != nil {
		if base := smp.ServerMetrics(); base != nil {
			merged := base.clone()
			merged.overlay(sm)
			sm = merged
		}
	}
	b, err := proto.Marshal(sm.toProto())
	if err != nil {
		logger.Warningf("Failed to encode the load report: %v", err)
		return nil
	}
	return metadata.Pairs(internal.TrailerMetadataKey, string(b))
}

// recorderStream is the stream a streaming handler sees: the RPC's stream
// with a context that holds the call's recorder.
type recorderStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the stream's context, which carries the call's recorder.
func (s *recorderStream) Context() context.Context { return s.ctx }

// joinServerOptions applies several options as one, through the joiner
// the grpc package installs.
func joinServerOptions(opts ...grpc.ServerOption) grpc.ServerOption {
	return grpcinternal.JoinServerOptions.(func(...grpc.ServerOption) grpc.ServerOption)(opts...)
}
