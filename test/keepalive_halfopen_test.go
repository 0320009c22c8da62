package test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/keepalive"
)

// blackholeProxy forwards TCP connections to a backend until blackhole is
// set; from then on it keeps every socket open but drops all bytes, like a
// middlebox that lost its state.
type blackholeProxy struct {
	lis       net.Listener
	backend   string
	blackhole atomic.Bool
	mu        sync.Mutex
	conns     []net.Conn
	wg        sync.WaitGroup
}

func startBlackholeProxy(t *testing.T, backend string) *blackholeProxy {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackholeProxy{lis: lis, backend: backend}
	p.wg.Add(1)
	go p.accept()
	return p
}

func (p *blackholeProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.lis.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.backend)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *blackholeProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.blackhole.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *blackholeProxy) close() {
	p.lis.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestKeepaliveDetectsHalfOpenConnection needs about 11 s: the client's
// ping interval cannot go below 10 s through the public API.
func TestKeepaliveDetectsHalfOpenConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the 10 s minimum keepalive interval")
	}
	defer leakcheck.Check(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	e := newEnv(t, nil, []grpc.ServerOption{grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true})})
	defer e.stop()
	p := startBlackholeProxy(t, e.addr)
	defer p.close()

	cc, err := grpc.NewClient(p.lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	stream, err := testpb.NewTestServiceClient(cc).FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&testpb.Request{Payload: payload(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	p.blackhole.Store(true)
	// Nothing will ever arrive; only keepalive can end this Recv.
	_, err = stream.Recv()
	wantCode(t, err, codes.Unavailable)
}
