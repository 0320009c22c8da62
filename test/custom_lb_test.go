//lint:file-ignore SA1019 NewSubConn is deprecated upstream too, yet every custom policy calls it

package test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
	"google.golang.org/grpc/status"
)

// This file plays a third party: a resolver and an LB policy written only
// against the public resolver and balancer APIs, as a Consul resolver or a
// custom picker would be.

// listResolverBuilder resolves "list:///host1:port1,host2:port2" to those
// addresses.
type listResolverBuilder struct {
	resolveNows atomic.Int32
}

func (b *listResolverBuilder) Scheme() string { return "list" }

func (b *listResolverBuilder) Build(target resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	var addrs []resolver.Address
	for _, a := range strings.Split(target.Endpoint(), ",") {
		if a == "" {
			return nil, fmt.Errorf("list resolver: empty address in %q", target.Endpoint())
		}
		addrs = append(addrs, resolver.Address{Addr: a})
	}
	if err := cc.UpdateState(resolver.State{Addresses: addrs}); err != nil {
		return nil, err
	}
	return &listResolver{b: b}, nil
}

type listResolver struct{ b *listResolverBuilder }

func (r *listResolver) ResolveNow(resolver.ResolveNowOptions) { r.b.resolveNows.Add(1) }
func (r *listResolver) Close()                                {}

// byHeaderConfig is the policy's JSON config: which request header names
// the backend index.
type byHeaderConfig struct {
	serviceconfig.LoadBalancingConfig
	Header string `json:"header"`
}

// byHeaderBuilder builds "pick_by_header": one SubConn per address; each RPC
// goes to the address whose index its header names.
type byHeaderBuilder struct {
	done atomic.Int32 // RPCs reported finished through PickResult.Done
}

func (b *byHeaderBuilder) Name() string { return "pick_by_header" }

func (b *byHeaderBuilder) ParseConfig(js json.RawMessage) (serviceconfig.LoadBalancingConfig, error) {
	cfg := &byHeaderConfig{}
	if err := json.Unmarshal(js, cfg); err != nil {
		return nil, err
	}
	if cfg.Header == "" {
		return nil, fmt.Errorf("pick_by_header: header must be set")
	}
	return cfg, nil
}

func (b *byHeaderBuilder) Build(cc balancer.ClientConn, _ balancer.BuildOptions) balancer.Balancer {
	return &byHeader{cc: cc, builder: b, states: map[balancer.SubConn]connectivity.State{}}
}

type byHeader struct {
	cc      balancer.ClientConn
	builder *byHeaderBuilder

	mu     sync.Mutex
	header string
	scs    []balancer.SubConn // in address order
	states map[balancer.SubConn]connectivity.State
}

func (p *byHeader) UpdateClientConnState(s balancer.ClientConnState) error {
	cfg, ok := s.BalancerConfig.(*byHeaderConfig)
	if !ok {
		return fmt.Errorf("pick_by_header: config of type %T", s.BalancerConfig)
	}
	p.mu.Lock()
	p.header = cfg.Header
	old := p.scs
	p.scs = nil
	p.mu.Unlock()
	for _, sc := range old {
		sc.Shutdown()
	}
	for _, a := range s.ResolverState.Addresses {
		var sc balancer.SubConn
		sc, err := p.cc.NewSubConn([]resolver.Address{a}, balancer.NewSubConnOptions{
			StateListener: func(st balancer.SubConnState) { p.onState(sc, st) },
		})
		if err != nil {
			return err
		}
		p.mu.Lock()
		p.scs = append(p.scs, sc)
		p.states[sc] = connectivity.Idle
		p.mu.Unlock()
		sc.Connect()
	}
	p.publish()
	return nil
}

func (p *byHeader) onState(sc balancer.SubConn, st balancer.SubConnState) {
	p.mu.Lock()
	if st.ConnectivityState == connectivity.Shutdown {
		delete(p.states, sc)
	} else {
		p.states[sc] = st.ConnectivityState
	}
	p.mu.Unlock()
	if st.ConnectivityState == connectivity.Idle {
		sc.Connect()
	}
	p.publish()
}

func (p *byHeader) publish() {
	p.mu.Lock()
	ready := make([]balancer.SubConn, len(p.scs))
	anyReady := false
	for i, sc := range p.scs {
		if p.states[sc] == connectivity.Ready {
			ready[i] = sc
			anyReady = true
		}
	}
	header := p.header
	p.mu.Unlock()
	state := connectivity.Connecting
	if anyReady {
		state = connectivity.Ready
	}
	p.cc.UpdateState(balancer.State{ConnectivityState: state, Picker: &byHeaderPicker{header: header, ready: ready, builder: p.builder}})
}

func (p *byHeader) ResolverError(err error) {
	p.cc.UpdateState(balancer.State{ConnectivityState: connectivity.TransientFailure, Picker: errorPicker{err}})
}

func (p *byHeader) UpdateSubConnState(balancer.SubConn, balancer.SubConnState) {}
func (p *byHeader) ExitIdle()                                                  {}
func (p *byHeader) Close()                                                     {}

type byHeaderPicker struct {
	header  string
	ready   []balancer.SubConn
	builder *byHeaderBuilder
}

func (p *byHeaderPicker) Pick(info balancer.PickInfo) (balancer.PickResult, error) {
	md, _ := metadata.FromOutgoingContext(info.Ctx)
	v := md.Get(p.header)
	var i int
	if len(v) != 1 {
		return balancer.PickResult{}, status.Errorf(codes.PermissionDenied, "pick_by_header: need exactly one %q header", p.header)
	}
	if _, err := fmt.Sscan(v[0], &i); err != nil || i < 0 || i >= len(p.ready) {
		return balancer.PickResult{}, status.Errorf(codes.PermissionDenied, "pick_by_header: bad backend index %q", v[0])
	}
	if p.ready[i] == nil {
		return balancer.PickResult{}, balancer.ErrNoSubConnAvailable
	}
	return balancer.PickResult{SubConn: p.ready[i], Done: func(balancer.DoneInfo) { p.builder.done.Add(1) }}, nil
}

type errorPicker struct{ err error }

func (p errorPicker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	return balancer.PickResult{}, p.err
}

var byHeaderPolicy = &byHeaderBuilder{}

func init() { balancer.Register(byHeaderPolicy) }

func TestThirdPartyResolverAndBalancer(t *testing.T) {
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	a, b := startBackend(t, "a"), startBackend(t, "b")
	defer a.stop()
	defer b.stop()
	rb := &listResolverBuilder{}
	cc, err := grpc.NewClient("list:///"+a.addr+","+b.addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(rb),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"pick_by_header": {"header": "x-backend"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	c := testpb.NewTestServiceClient(cc)
	before := byHeaderPolicy.done.Load()
	for i, want := range []string{"a", "b", "b", "a"} {
		rctx := metadata.AppendToOutgoingContext(ctx, "x-backend", fmt.Sprint(map[string]int{"a": 0, "b": 1}[want]))
		name, err := whoAnswers(rctx, c, grpc.WaitForReady(true))
		if err != nil || name != want {
			t.Fatalf("RPC %d went to %q (%v), want %s", i, name, err, want)
		}
	}
	if got := byHeaderPolicy.done.Load() - before; got != 4 {
		t.Fatalf("PickResult.Done ran %d times for 4 RPCs", got)
	}
	// A status from the picker fails the RPC with that status.
	_, err = c.Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.PermissionDenied)

	// A config the policy rejects makes NewClient fail.
	_, err = grpc.NewClient("list:///"+a.addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithResolvers(rb),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"pick_by_header": {}}]}`))
	if err == nil || !strings.Contains(err.Error(), "header must be set") {
		t.Fatalf("NewClient with a config the policy rejects: %v", err)
	}
}
