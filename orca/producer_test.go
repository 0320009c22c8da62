package orca

import (
	"net"
	"sync"
	"testing"
	"time"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	v3orcaservicepb "github.com/cncf/xds/go/xds/service/orca/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
)

// chanListener forwards reports to a channel without ever blocking.
type chanListener struct{ ch chan *v3orcapb.OrcaLoadReport }

func (l *chanListener) OnLoadReport(r *v3orcapb.OrcaLoadReport) {
	select {
	case l.ch <- r:
	default:
	}
}

// intervalService is an OpenRcaService that records the intervals clients
// ask for and answers with a fixed report every 10ms.
type intervalService struct {
	v3orcaservicepb.UnimplementedOpenRcaServiceServer
	mu        sync.Mutex
	intervals []time.Duration
}

func (s *intervalService) StreamCoreMetrics(req *v3orcaservicepb.OrcaLoadReportRequest, stream v3orcaservicepb.OpenRcaService_StreamCoreMetricsServer) error {
	s.mu.Lock()
	s.intervals = append(s.intervals, req.GetReportInterval().AsDuration())
	s.mu.Unlock()
	for {
		if err := stream.Send(&v3orcapb.OrcaLoadReport{CpuUtilization: 0.5}); err != nil {
			return err
		}
		select {
		case <-stream.Context().Done():
			return nil
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (s *intervalService) asked() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.intervals...)
}

// TestProducerOverClientConn drives the out-of-band producer over a
// ClientConn, as a SubConn able to open streams would.
func TestProducerOverClientConn(t *testing.T) {
	defer leakcheck.Check(t)
	svc := &intervalService{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	defer srv.Stop()
	v3orcaservicepb.RegisterOpenRcaServiceServer(srv, svc)
	go srv.Serve(lis)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()

	bp, closeFn := oobProducerBuilder{}.Build(cc)
	p := bp.(*oobProducer)
	l1 := &chanListener{ch: make(chan *v3orcapb.OrcaLoadReport, 1)}
	l2 := &chanListener{ch: make(chan *v3orcapb.OrcaLoadReport, 1)}
	p.add(l1, time.Second)
	expectReport(t, l1.ch)

	// A shorter interval restarts the stream; both listeners get reports.
	p.add(l2, 200*time.Millisecond)
	expectReport(t, l2.ch)
	drain(l1.ch)
	expectReport(t, l1.ch)

	// Removing the listener with the shortest interval goes back to 1s.
	p.remove(l2)
	waitFor(t, func() bool {
		a := svc.asked()
		return len(a) == 3 && a[2] == time.Second
	})
	if a := svc.asked(); a[0] != time.Second || a[1] != 200*time.Millisecond {
		t.Fatalf("intervals asked for = %v, want [1s 200ms 1s]", a)
	}
	p.remove(l1)
	closeFn()
	drain(l1.ch)
	select {
	case r := <-l1.ch:
		t.Fatalf("report %v after the producer was closed", r)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestProducerWithoutStreams checks that a SubConn unable to open streams
// yields a producer that accepts listeners and closes cleanly.
func TestProducerWithoutStreams(t *testing.T) {
	defer leakcheck.Check(t)
	bp, closeFn := oobProducerBuilder{}.Build(struct{}{})
	p := bp.(*oobProducer)
	l := &chanListener{ch: make(chan *v3orcapb.OrcaLoadReport, 1)}
	p.add(l, time.Second)
	p.remove(l)
	closeFn()
}

func expectReport(t *testing.T, ch chan *v3orcapb.OrcaLoadReport) {
	t.Helper()
	select {
	case r := <-ch:
		if r.GetCpuUtilization() != 0.5 {
			t.Fatalf("report = %v, want cpu_utilization 0.5", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no report within 10s")
	}
}

func drain(ch chan *v3orcapb.OrcaLoadReport) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
