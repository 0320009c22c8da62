package leastrequest

import (
	"encoding/json"
	"fmt"
	"testing"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/internal/fakes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/resolver"
)

func TestParseConfig(t *testing.T) {
	p := balancer.Get(Name).(balancer.ConfigParser)
	for _, tc := range []struct {
		in      string
		want    uint32
		wantErr bool
	}{
		{in: `{}`, want: 2},
		{in: `{"choiceCount": 3}`, want: 3},
		{in: `{"choiceCount": 11}`, want: 10},
		{in: `{"choiceCount": 1}`, wantErr: true},
		{in: `{"choiceCount": -1}`, wantErr: true},
		{in: `{"choiceCount": "2"}`, wantErr: true},
		{in: `[`, wantErr: true},
	} {
		cfg, err := p.ParseConfig(json.RawMessage(tc.in))
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParseConfig(%s) succeeded, want error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseConfig(%s): %v", tc.in, err)
			continue
		}
		if got := cfg.(*LBConfig).ChoiceCount; got != tc.want {
			t.Errorf("ParseConfig(%s).ChoiceCount = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestPicksLeastLoaded(t *testing.T) {
	defer leakcheck.Check(t)
	// Sample every endpoint in order, so each pick sees all counts.
	var seq uint32
	orig := randUint32
	randUint32 = func() uint32 { seq++; return seq - 1 }
	defer func() { randUint32 = orig }()

	cc := fakes.NewClientConn()
	b := balancer.Get(Name).Build(cc, balancer.BuildOptions{})
	defer b.Close()
	var rs resolver.State
	for i := range 3 {
		rs.Endpoints = append(rs.Endpoints, resolver.Endpoint{Addresses: []resolver.Address{{Addr: fmt.Sprintf("e%d:1", i)}}})
	}
	cfg, _ := balancer.Get(Name).(balancer.ConfigParser).ParseConfig(json.RawMessage(`{"choiceCount": 10}`))
	if err := b.UpdateClientConnState(balancer.ClientConnState{ResolverState: rs, BalancerConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	for _, sc := range cc.SubConns() {
		sc.SetState(connectivity.Connecting)
		sc.SetState(connectivity.Ready)
		sc.SetHealth(balancer.SubConnState{ConnectivityState: connectivity.Ready})
	}
	st := cc.LastState()
	if st.ConnectivityState != connectivity.Ready {
		t.Fatalf("state %v, want READY", st.ConnectivityState)
	}

	pick := func() balancer.PickResult {
		t.Helper()
		seq = 0
		res, err := st.Picker.Pick(balancer.PickInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// Three RPCs in flight land on three different endpoints.
	var open []balancer.PickResult
	used := map[balancer.SubConn]bool{}
	for range 3 {
		r := pick()
		if used[r.SubConn] {
			t.Fatalf("%v picked twice while other endpoints were idle", r.SubConn)
		}
		used[r.SubConn] = true
		open = append(open, r)
	}
	// Two more RPCs on each: still balanced, the counts are all equal.
	for range 3 {
		open = append(open, pick())
	}
	// Finishing one RPC makes its endpoint the least loaded.
	open[1].Done(balancer.DoneInfo{})
	if r := pick(); r.SubConn != open[1].SubConn {
		t.Fatalf("picked %v, want the endpoint that just finished an RPC (%v)", r.SubConn, open[1].SubConn)
	}

	// Counts survive a picker update.
	cc.SubConns()[0].SetState(connectivity.Idle)
	for range 10 {
		// Drain the reconnection triggered by endpointsharding.
		if sc := <-cc.Connects; sc == cc.SubConns()[0] && sc.Connects() == 2 {
			break
		}
	}
	cc.SubConns()[0].SetState(connectivity.Connecting)
	cc.SubConns()[0].SetState(connectivity.Ready)
	cc.SubConns()[0].SetHealth(balancer.SubConnState{ConnectivityState: connectivity.Ready})
	st = cc.LastState()
	r := pick()
	if r.SubConn != cc.SubConns()[0] {
		t.Fatalf("picked %v, want the reconnected endpoint, which has no RPC in flight", r.SubConn)
	}
}
