package weightedroundrobin

import (
	"encoding/json"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/internal/fakes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/resolver"
)

// fakeClock is read by the picker's refresh goroutine, hence atomic.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func useFakeClock(t *testing.T) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	orig := timeNow
	timeNow = c.now
	t.Cleanup(func() { timeNow = orig })
	return c
}

type testEnv struct {
	t   *testing.T
	cc  *fakes.ClientConn
	b   balancer.Balancer
	scs map[string]*fakes.SubConn
}

func newEnv(t *testing.T, cfgJSON string, n int) *testEnv {
	t.Helper()
	cfg, err := balancer.Get(Name).(balancer.ConfigParser).ParseConfig(json.RawMessage(cfgJSON))
	if err != nil {
		t.Fatal(err)
	}
	cc := fakes.NewClientConn()
	b := balancer.Get(Name).Build(cc, balancer.BuildOptions{})
	var rs resolver.State
	for i := range n {
		rs.Endpoints = append(rs.Endpoints, resolver.Endpoint{Addresses: []resolver.Address{{Addr: fmt.Sprintf("e%d:1", i)}}})
	}
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: rs, BalancerConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	env := &testEnv{t: t, cc: cc, b: b, scs: map[string]*fakes.SubConn{}}
	for _, sc := range cc.SubConns() {
		env.scs[sc.Addrs[0].Addr] = sc
		sc.SetState(connectivity.Connecting)
		sc.SetState(connectivity.Ready)
		sc.SetHealth(balancer.SubConnState{ConnectivityState: connectivity.Ready})
	}
	if st := cc.LastState(); st.ConnectivityState != connectivity.Ready {
		t.Fatalf("state %v, want READY", st.ConnectivityState)
	}
	return env
}

func (e *testEnv) picker() *picker {
	p, ok := e.cc.LastState().Picker.(*picker)
	if !ok {
		e.t.Fatalf("last picker is %T, want the WRR picker", e.cc.LastState().Picker)
	}
	return p
}

// report runs one RPC on each endpoint, finishing it with the load report
// that load returns for the endpoint's address.
func (e *testEnv) report(load func(addr string) *v3orcapb.OrcaLoadReport) {
	p := e.picker()
	seen := map[balancer.SubConn]bool{}
	for len(seen) < len(e.scs) {
		res, err := p.Pick(balancer.PickInfo{})
		if err != nil {
			e.t.Fatal(err)
		}
		seen[res.SubConn] = true
		res.Done(balancer.DoneInfo{ServerLoad: load(res.SubConn.(*fakes.SubConn).Addrs[0].Addr)})
	}
}

func (e *testEnv) shares(picks int) map[string]float64 {
	p := e.picker()
	counts := map[string]float64{}
	for range picks {
		res, err := p.Pick(balancer.PickInfo{})
		if err != nil {
			e.t.Fatal(err)
		}
		counts[res.SubConn.(*fakes.SubConn).Addrs[0].Addr]++
	}
	for k := range counts {
		counts[k] /= float64(picks)
	}
	return counts
}

func wantShares(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		if math.Abs(got[k]-w) > 0.01 {
			t.Fatalf("shares %v, want %v", got, want)
		}
	}
}

// qpsLoad makes endpoint i report i+1 queries per second at 10%
// utilization, so weights are proportional to 1, 2, 3.
func qpsLoad(addr string) *v3orcapb.OrcaLoadReport {
	var i int
	fmt.Sscanf(addr, "e%d:1", &i)
	return &v3orcapb.OrcaLoadReport{RpsFractional: float64(i + 1), CpuUtilization: 0.1}
}

func TestWeightsFromLoadReports(t *testing.T) {
	defer leakcheck.Check(t)
	clock := useFakeClock(t)
	env := newEnv(t, `{"blackoutPeriod": "10s", "weightExpirationPeriod": "60s"}`, 3)
	defer env.b.Close()
	even := map[string]float64{"e0:1": 1.0 / 3, "e1:1": 1.0 / 3, "e2:1": 1.0 / 3}

	// Without reports, plain round robin.
	wantShares(t, env.shares(3000), even)

	// Reports during the blackout period are not used yet.
	env.report(qpsLoad)
	env.picker().rebuild()
	wantShares(t, env.shares(3000), even)

	// Once reports have been coming for the blackout period, they are.
	clock.advance(11 * time.Second)
	env.report(qpsLoad)
	env.picker().rebuild()
	weighted := map[string]float64{"e0:1": 1.0 / 6, "e1:1": 2.0 / 6, "e2:1": 3.0 / 6}
	wantShares(t, env.shares(60000), weighted)

	// Weights expire when reports stop.
	clock.advance(61 * time.Second)
	env.picker().rebuild()
	wantShares(t, env.shares(3000), even)
}

func TestErrorPenaltyAndApplicationUtilization(t *testing.T) {
	defer leakcheck.Check(t)
	useFakeClock(t)
	env := newEnv(t, `{"blackoutPeriod": "0s", "errorUtilizationPenalty": 2}`, 2)
	defer env.b.Close()
	env.report(func(addr string) *v3orcapb.OrcaLoadReport {
		if addr == "e0:1" {
			// 10 qps / (0.5 + 5/10*2) = 6.67; application utilization wins
			// over CPU.
			return &v3orcapb.OrcaLoadReport{RpsFractional: 10, Eps: 5, ApplicationUtilization: 0.5, CpuUtilization: 0.9}
		}
		// 10 qps / 0.5 = 20.
		return &v3orcapb.OrcaLoadReport{RpsFractional: 10, CpuUtilization: 0.5}
	})
	env.picker().rebuild()
	wantShares(t, env.shares(60000), map[string]float64{"e0:1": 0.25, "e1:1": 0.75})
}

func TestEmptyReportsIgnoredAndReconnectRestartsBlackout(t *testing.T) {
	defer leakcheck.Check(t)
	clock := useFakeClock(t)
	env := newEnv(t, `{"blackoutPeriod": "1s"}`, 2)
	defer env.b.Close()
	even := map[string]float64{"e0:1": 0.5, "e1:1": 0.5}

	env.report(func(string) *v3orcapb.OrcaLoadReport { return &v3orcapb.OrcaLoadReport{CpuUtilization: 0.5} })
	clock.advance(2 * time.Second)
	env.picker().rebuild()
	wantShares(t, env.shares(1000), even)

	load := func(addr string) *v3orcapb.OrcaLoadReport {
		if addr == "e0:1" {
			return &v3orcapb.OrcaLoadReport{RpsFractional: 3, CpuUtilization: 1}
		}
		return &v3orcapb.OrcaLoadReport{RpsFractional: 1, CpuUtilization: 1}
	}
	env.report(load)
	clock.advance(2 * time.Second)
	env.report(load)
	env.picker().rebuild()
	wantShares(t, env.shares(40000), map[string]float64{"e0:1": 0.75, "e1:1": 0.25})

	// e0 reconnects: its old weight is forgotten until a new blackout
	// period has passed, which leaves a single usable weight and so plain
	// round robin.
	e0 := env.scs["e0:1"]
	e0.SetState(connectivity.Idle)
	<-waitConnect(env.cc, e0)
	e0.SetState(connectivity.Connecting)
	e0.SetState(connectivity.Ready)
	e0.SetHealth(balancer.SubConnState{ConnectivityState: connectivity.Ready})
	wantShares(t, env.shares(2000), even)
}

func waitConnect(cc *fakes.ClientConn, sc *fakes.SubConn) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for got := range cc.Connects {
			if got == sc && got.Connects() > 1 {
				return
			}
		}
	}()
	return done
}

func TestBackendServiceLabel(t *testing.T) {
	st := SetBackendService(resolver.State{}, "svc")
	if got := backendService(st); got != "svc" {
		t.Fatalf("backendService = %q", got)
	}
}
