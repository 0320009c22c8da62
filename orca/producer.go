package orca

import (
	"context"
	"sync"
	"time"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	v3orcaservicepb "github.com/cncf/xds/go/xds/service/orca/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/orca/internal"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// OOBListener receives the out-of-band load reports of a SubConn.
type OOBListener interface {
	// OnLoadReport is called with each report received. It must not block
	// for long, and must not modify the report.
	OnLoadReport(*v3orcapb.OrcaLoadReport)
}

// OOBListenerOptions configures an OOBListener's registration.
type OOBListenerOptions struct {
	// ReportInterval is the interval between reports the listener wishes
	// for. The SubConn asks the server for the shortest interval any of its
	// listeners wishes for, and the server may impose a longer one, so the
	// listener may be called more or less often than this.
	ReportInterval time.Duration
}

// RegisterOOBListener starts delivering the out-of-band load reports of sc,
// which should be READY, to l, opening the reporting stream if this is the
// SubConn's first listener. The returned stop function unregisters l; it
// must be called once l is no longer needed, and later calls do nothing. A
// listener must not be registered twice on the same SubConn at once.
//
// Reports stop, without stop being called, when sc's connection changes
// state.
func RegisterOOBListener(sc balancer.SubConn, l OOBListener, opts OOBListenerOptions) (stop func()) {
	bp, release := sc.GetOrBuildProducer(oobProducerBuilder{})
	p := bp.(*oobProducer)
	p.add(l, opts.ReportInterval)
	return sync.OnceFunc(func() {
		p.remove(l)
		release()
	})
}

// oobProducerBuilder builds the per-SubConn producer that runs the
// out-of-band reporting stream. Being an empty struct, all its values are
// equal, so a SubConn shares one producer among all registrations.
type oobProducerBuilder struct{}

// Build returns a producer streaming reports over cc, which must be a
// grpc.ClientConnInterface whose streams go to the SubConn. If it is not,
// the producer accepts listeners but never calls them.
func (oobProducerBuilder) Build(cc any) (balancer.Producer, func()) {
	p := &oobProducer{
		listeners: map[OOBListener]time.Duration{},
		backoff:   internal.DefaultBackoffFunc,
	}
	if cci, ok := cc.(grpc.ClientConnInterface); ok {
		p.client = v3orcaservicepb.NewOpenRcaServiceClient(cci)
	} else {
		logger.Warningf("SubConn of type %T cannot open streams; out-of-band load reports are unavailable", cc)
	}
	return p, p.close
}

// oobProducer runs at most one reporting stream for a SubConn, asking for
// the shortest interval of its listeners, and restarts it when that
// interval changes.
type oobProducer struct {
	client  v3orcaservicepb.OpenRcaServiceClient // nil: no streams possible
	backoff func(int) time.Duration

	mu        sync.Mutex
	listeners map[OOBListener]time.Duration
	interval  time.Duration // of the running stream
	cancel    context.CancelFunc
	done      chan struct{} // closed when the running loop exits
	closed    bool
}

func (p *oobProducer) add(l OOBListener, interval time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.listeners[l] = interval
	p.restartLocked()
}

func (p *oobProducer) remove(l OOBListener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.listeners, l)
	p.restartLocked()
}

// close stops the stream for good and waits for its loop to exit.
func (p *oobProducer) close() {
	p.mu.Lock()
	p.closed = true
	done := p.stopLocked()
	p.mu.Unlock()
	if done != nil {
		<-done
	}
}

// stopLocked cancels the running loop, if any, and returns the channel
// closed when it has exited.
func (p *oobProducer) stopLocked() chan struct{} {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	p.cancel = nil
	return p.done
}

// restartLocked makes the running stream match the listeners: none when
// there are no listeners, otherwise one asking for the shortest interval.
func (p *oobProducer) restartLocked() {
	if p.closed || p.client == nil {
		return
	}
	if len(p.listeners) == 0 {
		p.stopLocked()
		return
	}
	first := true
	var want time.Duration
	for _, iv := range p.listeners {
		if first || iv < want {
			want, first = iv, false
		}
	}
	if p.cancel != nil && want == p.interval {
		return
	}
	p.stopLocked()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.interval, p.done = cancel, want, make(chan struct{})
	go p.loop(ctx, p.done, want)
}

// loop keeps a reporting stream open until ctx is canceled, waiting
// according to the backoff between failed attempts.
func (p *oobProducer) loop(ctx context.Context, done chan struct{}, interval time.Duration) {
	defer close(done)
	failures := 0
	for ctx.Err() == nil {
		gotReport, err := p.stream(ctx, interval)
		if status.Code(err) == codes.Unimplemented {
			logger.Error("The server does not implement ORCA out-of-band load reporting; giving up on it")
			return
		}
		if ctx.Err() != nil {
			return
		}
		if code := status.Code(err); code != codes.Unavailable && code != codes.Canceled {
			logger.Errorf("Out-of-band load report stream failed: %v", err)
		}
		if gotReport {
			failures = 0
			continue
		}
		t := time.NewTimer(p.backoff(failures))
		failures++
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// stream runs one reporting stream and passes its reports to the
// listeners. It reports whether any report arrived, and the error that
// ended the stream.
func (p *oobProducer) stream(ctx context.Context, interval time.Duration) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := p.client.StreamCoreMetrics(ctx, &v3orcaservicepb.OrcaLoadReportRequest{
		ReportInterval: durationpb.New(interval),
	})
	if err != nil {
		return false, err
	}
	got := false
	for {
		r, err := s.Recv()
		if err != nil {
			return got, err
		}
		got = true
		p.mu.Lock()
		for l := range p.listeners {
			l.OnLoadReport(r)
		}
		p.mu.Unlock()
	}
}
