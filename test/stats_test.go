package test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/encoding/gzip" // registers "gzip"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/proto"
)

// statsTagKey keys what a statsRecorder's Tag methods put in contexts.
type statsTagKey struct {
	name string
	conn bool
}

type statsEvent struct {
	s   stats.RPCStats
	ctx context.Context
}

// statsLog records the order in which several recorders saw events.
type statsLog struct {
	mu  sync.Mutex
	log []string
}

func (l *statsLog) add(s string) {
	l.mu.Lock()
	l.log = append(l.log, s)
	l.mu.Unlock()
}

// statsRecorder is a stats.Handler that records everything it is given.
type statsRecorder struct {
	name string
	log  *statsLog // optional

	mu      sync.Mutex
	rpcs    []statsEvent
	conns   []stats.ConnStats
	connCtx []context.Context
}

func (r *statsRecorder) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, statsTagKey{name: r.name}, info)
}

func (r *statsRecorder) HandleRPC(ctx context.Context, s stats.RPCStats) {
	r.mu.Lock()
	r.rpcs = append(r.rpcs, statsEvent{s: s, ctx: ctx})
	r.mu.Unlock()
	if r.log != nil {
		r.log.add(r.name + ":" + statsKind(s))
	}
}

func (r *statsRecorder) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	return context.WithValue(ctx, statsTagKey{name: r.name, conn: true}, info)
}

func (r *statsRecorder) HandleConn(ctx context.Context, s stats.ConnStats) {
	r.mu.Lock()
	r.conns = append(r.conns, s)
	r.connCtx = append(r.connCtx, ctx)
	r.mu.Unlock()
}

func (r *statsRecorder) reset() {
	r.mu.Lock()
	r.rpcs = nil
	r.mu.Unlock()
}

func (r *statsRecorder) events() []statsEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]statsEvent(nil), r.rpcs...)
}

func (r *statsRecorder) rpcTag(e statsEvent) *stats.RPCTagInfo {
	info, _ := e.ctx.Value(statsTagKey{name: r.name}).(*stats.RPCTagInfo)
	return info
}

func (r *statsRecorder) connTag(ctx context.Context) *stats.ConnTagInfo {
	info, _ := ctx.Value(statsTagKey{name: r.name, conn: true}).(*stats.ConnTagInfo)
	return info
}

// waitEnds waits until the recorder saw n End events.
func (r *statsRecorder) waitEnds(t *testing.T, n int) []statsEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := r.events()
		ends := 0
		for _, e := range evs {
			if _, ok := e.s.(*stats.End); ok {
				ends++
			}
		}
		if ends >= n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: saw %d End events, want %d; events: %s", r.name, ends, n, statsKinds(evs))
		}
		time.Sleep(time.Millisecond)
	}
}

// waitConns waits until the recorder saw n connection events.
func (r *statsRecorder) waitConns(t *testing.T, n int) ([]stats.ConnStats, []context.Context) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got, ctxs := append([]stats.ConnStats(nil), r.conns...), append([]context.Context(nil), r.connCtx...)
		r.mu.Unlock()
		if len(got) >= n {
			return got, ctxs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: saw %d connection events, want %d", r.name, len(got), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func statsKind(s any) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", s), "*stats.")
}

// Like grpc-go, the client reports InTrailer as soon as it sees the
// trailers, which may be before the InPayload of a last message read in the
// same batch (or before several, when a stream's last messages and
// trailers arrive together); statsKinds writes that order as the canonical one so that
// tests do not depend on how the bytes were batched.
func statsKinds(evs []statsEvent) string {
	k := make([]string, len(evs))
	for i, e := range evs {
		k[i] = statsKind(e.s)
	}
	s := strings.Join(k, ",")
	for strings.Contains(s, "InTrailer,InPayload") {
		s = strings.ReplaceAll(s, "InTrailer,InPayload", "InPayload,InTrailer")
	}
	return s
}

// repeatKind is "k,k,...,k" (n times).
func repeatKind(k string, n int) string {
	return strings.TrimSuffix(strings.Repeat(k+",", n), ",")
}

// statsEnv is an env whose client and server each have a statsRecorder,
// with the channel ready so that picks do not wait.
type statsEnv struct {
	*env
	client, server *statsRecorder
}

func newStatsEnv(t *testing.T, ts *testServer, sopts []grpc.ServerOption, dopts ...grpc.DialOption) *statsEnv {
	t.Helper()
	se := &statsEnv{client: &statsRecorder{name: "client"}, server: &statsRecorder{name: "server"}}
	sopts = append(sopts, grpc.StatsHandler(se.server))
	dopts = append(dopts, grpc.WithStatsHandler(se.client))
	se.env = newEnv(t, ts, sopts, dopts...)
	ctx, cancel := testCtx(t)
	defer cancel()
	se.cc.Connect()
	waitForState(ctx, t, se.cc, connectivity.Ready)
	return se
}

// rpcGroups splits server events by RPC (their RPCTagInfo), in order of
// arrival.
func (r *statsRecorder) rpcGroups(evs []statsEvent) [][]statsEvent {
	var groups [][]statsEvent
	index := map[*stats.RPCTagInfo]int{}
	for _, e := range evs {
		tag := r.rpcTag(e)
		i, ok := index[tag]
		if !ok {
			i = len(groups)
			index[tag] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e)
	}
	return groups
}

// checkCommon checks what every event of one RPC (client attempt or server
// RPC) must satisfy: the side, one RPCTagInfo for all of them, matching
// Begin and End times, and payload sizes.
func checkCommon(t *testing.T, r *statsRecorder, evs []statsEvent, client bool, method string) {
	t.Helper()
	var tag *stats.RPCTagInfo
	var begin time.Time
	for i, e := range evs {
		if e.s.IsClient() != client {
			t.Errorf("%s event %d (%s): IsClient() = %v", r.name, i, statsKind(e.s), e.s.IsClient())
		}
		got := r.rpcTag(e)
		if got == nil {
			t.Fatalf("%s event %d (%s): context without the RPC's tag", r.name, i, statsKind(e.s))
		}
		if tag == nil {
			tag = got
		} else if got != tag {
			t.Errorf("%s event %d (%s): context of another RPC tag", r.name, i, statsKind(e.s))
		}
		switch s := e.s.(type) {
		case *stats.InHeader:
			if s.WireLength <= 0 {
				t.Errorf("%s InHeader: WireLength %d", r.name, s.WireLength)
			}
		case *stats.InTrailer:
			if s.WireLength <= 0 {
				t.Errorf("%s InTrailer: WireLength %d", r.name, s.WireLength)
			}
		case *stats.Begin:
			begin = s.BeginTime
			if s.BeginTime.IsZero() {
				t.Errorf("%s Begin: zero BeginTime", r.name)
			}
		case *stats.End:
			if !s.BeginTime.Equal(begin) || s.EndTime.Before(s.BeginTime) {
				t.Errorf("%s End: BeginTime %v EndTime %v, Begin said %v", r.name, s.BeginTime, s.EndTime, begin)
			}
		case *stats.OutPayload:
			want := proto.Size(s.Payload.(proto.Message))
			if s.Length != want || s.WireLength != s.CompressedLength+5 || (s.Length > 0) != (s.CompressedLength > 0) || s.SentTime.IsZero() {
				t.Errorf("%s OutPayload: Length %d (want %d) CompressedLength %d WireLength %d SentTime %v", r.name, s.Length, want, s.CompressedLength, s.WireLength, s.SentTime)
			}
		case *stats.InPayload:
			want := proto.Size(s.Payload.(proto.Message))
			if s.Length != want || s.WireLength != s.CompressedLength+5 || (s.Length > 0) != (s.CompressedLength > 0) || s.RecvTime.IsZero() {
				t.Errorf("%s InPayload: Length %d (want %d) CompressedLength %d WireLength %d RecvTime %v", r.name, s.Length, want, s.CompressedLength, s.WireLength, s.RecvTime)
			}
		}
	}
	if tag != nil && tag.FullMethodName != method {
		t.Errorf("%s: RPCTagInfo.FullMethodName %q, want %q", r.name, tag.FullMethodName, method)
	}
}

const testService = "/grpc.e2e.TestService/"

func TestStatsRPCKinds(t *testing.T) {
	defer leakcheck.Check(t)
	md := metadata.Pairs("x-stats", "v1")
	for _, tc := range []struct {
		name        string
		method      string
		compress    bool
		clientKinds string
		serverKinds string
		wantCode    codes.Code
		clientSt    bool // client streams
		serverSt    bool // server streams
		run         func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error
	}{{
		name:        "unary",
		method:      "Unary",
		clientKinds: "Begin,OutHeader,OutPayload,InHeader,InPayload,InTrailer,End",
		serverKinds: "InHeader,Begin,InPayload,OutHeader,OutPayload,OutTrailer,End",
		run: func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
			_, err := c.Unary(metadata.NewOutgoingContext(ctx, md), &testpb.Request{Payload: payload(10), ResponseSize: 20}, opts...)
			return err
		},
	}, {
		name:        "unary error, trailers only",
		method:      "Unary",
		clientKinds: "Begin,OutHeader,OutPayload,InTrailer,End",
		serverKinds: "InHeader,Begin,InPayload,OutTrailer,End",
		wantCode:    codes.FailedPrecondition,
		run: func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
			_, err := c.Unary(ctx, &testpb.Request{Payload: payload(10), ResponseStatus: &testpb.EchoStatus{Code: int32(codes.FailedPrecondition), Message: "no"}}, opts...)
			return err
		},
	}, {
		name:        "unary error after headers",
		method:      "Unary",
		clientKinds: "Begin,OutHeader,OutPayload,InHeader,InTrailer,End",
		serverKinds: "InHeader,Begin,InPayload,OutHeader,OutTrailer,End",
		wantCode:    codes.FailedPrecondition,
		run: func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
			_, err := c.Unary(metadata.NewOutgoingContext(ctx, md), &testpb.Request{Payload: payload(10), ResponseStatus: &testpb.EchoStatus{Code: int32(codes.FailedPrecondition), Message: "no"}}, opts...)
			return err
		},
	}, {
		name:        "server streaming",
		method:      "StreamingOutput",
		compress:    true,
		serverSt:    true,
		clientKinds: "Begin,OutHeader,OutPayload,InHeader," + repeatKind("InPayload", 3) + ",InTrailer,End",
		serverKinds: "InHeader,Begin,InPayload,OutHeader," + repeatKind("OutPayload", 3) + ",OutTrailer,End",
		run: func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
			s, err := c.StreamingOutput(metadata.NewOutgoingContext(ctx, md), &testpb.Request{Payload: payload(10), ResponseSize: 500, ResponseCount: 3}, opts...)
			if err != nil {
				return err
			}
			for {
				if _, err := s.Recv(); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
			}
		},
	}, {
		name:        "client streaming",
		method:      "StreamingInput",
		compress:    true,
		clientSt:    true,
		clientKinds: "Begin,OutHeader," + repeatKind("OutPayload", 3) + ",InHeader,InPayload,InTrailer,End",
		serverKinds: "InHeader,Begin," + repeatKind("InPayload", 3) + ",OutHeader,OutPayload,OutTrailer,End",
		run: func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
			s, err := c.StreamingInput(ctx, opts...)
			if err != nil {
				return err
			}
			for i := 0; i < 3; i++ {
				if err := s.Send(&testpb.Request{Payload: payload(300 * (i + 1))}); err != nil {
					return err
				}
			}
			_, err = s.CloseAndRecv()
			return err
		},
	}, {
		name:        "bidi",
		method:      "FullDuplex",
		clientSt:    true,
		serverSt:    true,
		clientKinds: "Begin,OutHeader,OutPayload,InHeader,InPayload,OutPayload,InPayload,InTrailer,End",
		serverKinds: "InHeader,Begin,InPayload,OutHeader,OutPayload,InPayload,OutPayload,OutTrailer,End",
		run: func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
			s, err := c.FullDuplex(metadata.NewOutgoingContext(ctx, md), opts...)
			if err != nil {
				return err
			}
			for i := 0; i < 2; i++ {
				if err := s.Send(&testpb.Request{Payload: payload(7), ResponseSize: 9}); err != nil {
					return err
				}
				if _, err := s.Recv(); err != nil {
					return err
				}
			}
			if err := s.CloseSend(); err != nil {
				return err
			}
			if _, err := s.Recv(); err != io.EOF {
				return fmt.Errorf("Recv after CloseSend: %v, want io.EOF", err)
			}
			return nil
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			se := newStatsEnv(t, nil, nil)
			defer se.stop()
			ctx, cancel := testCtx(t)
			defer cancel()
			var opts []grpc.CallOption
			wantComp := ""
			if tc.compress {
				opts = append(opts, grpc.UseCompressor("gzip"))
				wantComp = "gzip"
			}
			if err := tc.run(ctx, se.env.client, opts...); status.Code(err) != tc.wantCode {
				t.Fatalf("RPC error %v, want code %v", err, tc.wantCode)
			}
			cevs := se.client.waitEnds(t, 1)
			sevs := se.server.waitEnds(t, 1)
			if got := statsKinds(cevs); got != tc.clientKinds {
				t.Errorf("client events:\n got %s\nwant %s", got, tc.clientKinds)
			}
			if got := statsKinds(sevs); got != tc.serverKinds {
				t.Errorf("server events:\n got %s\nwant %s", got, tc.serverKinds)
			}
			method := testService + tc.method
			checkCommon(t, se.client, cevs, true, method)
			checkCommon(t, se.server, sevs, false, method)
			echoed := strings.Contains(tc.clientKinds, "InHeader") && tc.method != "StreamingInput"

			var clientLocal net.Addr
			for _, e := range cevs {
				switch s := e.s.(type) {
				case *stats.Begin:
					if !s.FailFast || s.IsClientStream != tc.clientSt || s.IsServerStream != tc.serverSt || s.IsTransparentRetryAttempt {
						t.Errorf("client Begin %+v", s)
					}
					if tag := se.client.rpcTag(e); !tag.FailFast || tag.NameResolutionDelay {
						t.Errorf("client RPCTagInfo %+v", tag)
					}
				case *stats.OutHeader:
					clientLocal = s.LocalAddr
					if s.FullMethod != method || s.RemoteAddr.String() != se.addr || s.LocalAddr == nil || s.Authority != se.addr || s.Compression != wantComp {
						t.Errorf("client OutHeader %+v", s)
					}
					if len(s.Header.Get("user-agent")) != 1 || (tc.method != "StreamingInput" && tc.wantCode == 0 && !reflect.DeepEqual(s.Header.Get("x-stats"), []string{"v1"}) && echoed) {
						t.Errorf("client OutHeader.Header %v", s.Header)
					}
				case *stats.InHeader:
					if s.Compression != wantComp || s.FullMethod != "" {
						t.Errorf("client InHeader %+v", s)
					}
					if echoed && !reflect.DeepEqual(s.Header.Get("x-stats"), []string{"v1"}) {
						t.Errorf("client InHeader.Header %v, want x-stats", s.Header)
					}
				case *stats.InTrailer:
					want := metadata.MD{}
					if echoed {
						want = metadata.Pairs("tr-x-stats", "v1")
					}
					if !strings.Contains(tc.clientKinds, "InHeader") {
						// As in grpc-go, a trailers-only response's
						// trailer holds all its metadata.
						want = metadata.Pairs("content-type", "application/grpc")
					}
					if !reflect.DeepEqual(s.Trailer, want) {
						t.Errorf("client InTrailer.Trailer %v, want %v", s.Trailer, want)
					}
				case *stats.End:
					if status.Code(s.Error) != tc.wantCode {
						t.Errorf("client End.Error %v, want code %v", s.Error, tc.wantCode)
					}
					if echoed && !reflect.DeepEqual(s.Trailer, metadata.Pairs("tr-x-stats", "v1")) {
						t.Errorf("client End.Trailer %v", s.Trailer)
					}
				case *stats.OutPayload:
					if tc.compress && s.Length > 100 && s.CompressedLength >= s.Length {
						t.Errorf("client OutPayload not compressed: %+v", s)
					}
				}
			}
			for _, e := range sevs {
				switch s := e.s.(type) {
				case *stats.InHeader:
					if s.FullMethod != method || s.LocalAddr.String() != se.addr || s.RemoteAddr.String() != clientLocal.String() || s.Compression != wantComp {
						t.Errorf("server InHeader %+v", s)
					}
					ci := se.server.connTag(e.ctx)
					if ci == nil || ci.RemoteAddr != s.RemoteAddr || ci.LocalAddr != s.LocalAddr {
						t.Errorf("server InHeader context: conn tag %+v", ci)
					}
				case *stats.Begin:
					if s.FailFast || s.IsClientStream != tc.clientSt || s.IsServerStream != tc.serverSt {
						t.Errorf("server Begin %+v", s)
					}
				case *stats.OutHeader:
					if s.Compression != wantComp {
						t.Errorf("server OutHeader %+v", s)
					}
					if echoed && !reflect.DeepEqual(s.Header, metadata.Pairs("x-stats", "v1")) {
						t.Errorf("server OutHeader.Header %v", s.Header)
					}
				case *stats.OutTrailer:
					want := metadata.MD{}
					if echoed {
						want = metadata.Pairs("tr-x-stats", "v1")
					}
					if !reflect.DeepEqual(s.Trailer, want) {
						t.Errorf("server OutTrailer.Trailer %v, want %v", s.Trailer, want)
					}
				case *stats.End:
					if status.Code(s.Error) != tc.wantCode || s.Trailer != nil {
						t.Errorf("server End %+v, want code %v", s, tc.wantCode)
					}
				case *stats.InPayload:
					if tc.compress && s.Length > 100 && s.CompressedLength >= s.Length {
						t.Errorf("server InPayload not compressed: %+v", s)
					}
				}
			}
		})
	}
}

func TestStatsConnEvents(t *testing.T) {
	defer leakcheck.Check(t)
	se := newStatsEnv(t, nil, nil)
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := se.env.client.Unary(ctx, &testpb.Request{}); err != nil {
		se.stop()
		t.Fatalf("RPC: %v", err)
	}
	se.stop()
	for _, r := range []*statsRecorder{se.client, se.server} {
		got, ctxs := r.waitConns(t, 2)
		if len(got) != 2 {
			t.Fatalf("%s connection events %v, want ConnBegin, ConnEnd", r.name, got)
		}
		client := r == se.client
		b, ok1 := got[0].(*stats.ConnBegin)
		e, ok2 := got[1].(*stats.ConnEnd)
		if !ok1 || !ok2 || b.Client != client || e.Client != client {
			t.Fatalf("%s connection events %#v, %#v", r.name, got[0], got[1])
		}
		ci := r.connTag(ctxs[1])
		if ci == nil || ci.LocalAddr == nil || ci.RemoteAddr == nil {
			t.Fatalf("%s ConnEnd context conn tag %+v", r.name, ci)
		}
		if addr := ci.RemoteAddr.String(); client && addr != se.addr {
			t.Errorf("client conn RemoteAddr %v, want %v", addr, se.addr)
		}
		if addr := ci.LocalAddr.String(); !client && addr != se.addr {
			t.Errorf("server conn LocalAddr %v, want %v", addr, se.addr)
		}
	}
}

func TestStatsRetriedRPC(t *testing.T) {
	defer leakcheck.Check(t)
	f := &flakyServer{failures: 1, code: codes.Unavailable}
	se := newStatsEnv(t, f.testServer(), nil, grpc.WithDefaultServiceConfig(retryConfig(3, `"UNAVAILABLE"`)))
	defer se.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := se.env.client.Unary(ctx, &testpb.Request{Payload: payload(3)}); err != nil {
		t.Fatalf("RPC: %v", err)
	}
	cevs := se.client.waitEnds(t, 2)
	want := "Begin,OutHeader,OutPayload,InTrailer,End,Begin,OutHeader,OutPayload,InHeader,InPayload,InTrailer,End"
	if got := statsKinds(cevs); got != want {
		t.Fatalf("client events:\n got %s\nwant %s", got, want)
	}
	first, second := cevs[:5], cevs[5:]
	checkCommon(t, se.client, first, true, testService+"Unary")
	checkCommon(t, se.client, second, true, testService+"Unary")
	if se.client.rpcTag(first[0]) == se.client.rpcTag(second[0]) {
		t.Errorf("both attempts share one RPCTagInfo; want one TagRPC per attempt")
	}
	if code := status.Code(first[4].s.(*stats.End).Error); code != codes.Unavailable {
		t.Errorf("first attempt End.Error code %v, want Unavailable", code)
	}
	if err := second[6].s.(*stats.End).Error; err != nil {
		t.Errorf("second attempt End.Error %v, want nil", err)
	}
	if b := second[0].s.(*stats.Begin); b.IsTransparentRetryAttempt {
		t.Errorf("retry under the policy marked transparent")
	}
	sevs := se.server.waitEnds(t, 2)
	groups := se.server.rpcGroups(sevs)
	if len(groups) != 2 {
		t.Fatalf("server saw %d RPCs, want 2", len(groups))
	}
	for i, want := range []string{
		"InHeader,Begin,InPayload,OutTrailer,End",
		"InHeader,Begin,InPayload,OutHeader,OutPayload,OutTrailer,End",
	} {
		if got := statsKinds(groups[i]); got != want {
			t.Errorf("server RPC %d events:\n got %s\nwant %s", i, got, want)
		}
		checkCommon(t, se.server, groups[i], false, testService+"Unary")
	}
}

func TestStatsMultipleHandlers(t *testing.T) {
	defer leakcheck.Check(t)
	clog, slog := &statsLog{}, &statsLog{}
	c1, c2 := &statsRecorder{name: "c1", log: clog}, &statsRecorder{name: "c2", log: clog}
	s1, s2 := &statsRecorder{name: "s1", log: slog}, &statsRecorder{name: "s2", log: slog}
	e := newEnv(t, nil, []grpc.ServerOption{grpc.StatsHandler(s1), grpc.StatsHandler(s2), grpc.StatsHandler(nil)},
		grpc.WithStatsHandler(c1), grpc.WithStatsHandler(nil), grpc.WithStatsHandler(c2))
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(1)}); err != nil {
		e.stop()
		t.Fatalf("RPC: %v", err)
	}
	s1.waitEnds(t, 1)
	s2.waitEnds(t, 1)
	e.stop()
	for _, pair := range [][2]*statsRecorder{{c1, c2}, {s1, s2}} {
		a, b := pair[0], pair[1]
		ea, eb := a.events(), b.events()
		if statsKinds(ea) != statsKinds(eb) {
			t.Errorf("%s saw %s, %s saw %s", a.name, statsKinds(ea), b.name, statsKinds(eb))
		}
		for i := range min(len(ea), len(eb)) {
			if ea[i].s != eb[i].s {
				t.Errorf("event %d: %s and %s were given different values", i, a.name, b.name)
			}
			// The context carries the tags of both handlers.
			if a.rpcTag(ea[i]) == nil || b.rpcTag(ea[i]) == nil {
				t.Errorf("event %d (%s): context lacks one handler's tag", i, statsKind(ea[i].s))
			}
		}
	}
	// Each event reaches the handlers in registration order.
	for _, l := range []*statsLog{clog, slog} {
		l.mu.Lock()
		log := append([]string(nil), l.log...)
		l.mu.Unlock()
		for i := 0; i+1 < len(log); i += 2 {
			first, second, _ := strings.Cut(log[i], ":")
			third, fourth, _ := strings.Cut(log[i+1], ":")
			if !strings.HasSuffix(first, "1") || !strings.HasSuffix(third, "2") || second != fourth {
				t.Fatalf("handler order %v", log)
			}
		}
	}
}

func TestStatsDelayedPickAndNameResolutionDelay(t *testing.T) {
	defer leakcheck.Check(t)
	srv, lis, served := startServer(t, nil)
	defer func() {
		srv.Stop()
		<-served
	}()
	// The resolver reports only after a while, and the dialer holds the
	// connection back for longer: the first RPC waits for both.
	r := manual.NewBuilderWithScheme("statsdelay")
	release := make(chan struct{})
	dialer := func(ctx context.Context, addr string) (net.Conn, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	rec := &statsRecorder{name: "client"}
	cc, err := grpc.NewClient(r.Scheme()+":///test", grpc.WithResolvers(r), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(rec), grpc.WithContextDialer(dialer))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)
	ctx, cancel := testCtx(t)
	defer cancel()
	resolve := time.AfterFunc(100*time.Millisecond, func() {
		r.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: lis.Addr().String()}}})
	})
	defer resolve.Stop()
	dial := time.AfterFunc(300*time.Millisecond, func() { close(release) })
	defer dial.Stop()
	if _, err := client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("RPC: %v", err)
	}
	evs := rec.events()
	if want := "Begin,DelayedPickComplete,OutHeader,OutPayload,InHeader,InPayload,InTrailer,End"; statsKinds(evs) != want {
		t.Fatalf("first RPC events:\n got %s\nwant %s", statsKinds(evs), want)
	}
	if !evs[1].s.IsClient() {
		t.Errorf("DelayedPickComplete.IsClient() = false")
	}
	if tag := rec.rpcTag(evs[0]); !tag.NameResolutionDelay {
		t.Errorf("first RPC: NameResolutionDelay false, want true")
	}
	rec.reset()
	if _, err := client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("RPC: %v", err)
	}
	evs = rec.events()
	if want := "Begin,OutHeader,OutPayload,InHeader,InPayload,InTrailer,End"; statsKinds(evs) != want {
		t.Fatalf("second RPC events:\n got %s\nwant %s", statsKinds(evs), want)
	}
	if tag := rec.rpcTag(evs[0]); tag.NameResolutionDelay {
		t.Errorf("second RPC: NameResolutionDelay true, want false")
	}
}

type tapKey struct{}

func TestTapHandle(t *testing.T) {
	defer leakcheck.Check(t)
	var mu sync.Mutex
	var infos []tap.Info
	handle := func(ctx context.Context, info *tap.Info) (context.Context, error) {
		mu.Lock()
		infos = append(infos, *info)
		mu.Unlock()
		switch {
		case len(info.Header.Get("x-refuse")) > 0:
			return nil, status.Error(codes.ResourceExhausted, "too many")
		case len(info.Header.Get("x-refuse-plain")) > 0:
			return nil, errors.New("plain refusal")
		}
		return context.WithValue(ctx, tapKey{}, info.FullMethodName), nil
	}
	ts := &testServer{unary: func(ctx context.Context, _ *testpb.Request) (*testpb.Response, error) {
		v, _ := ctx.Value(tapKey{}).(string)
		if _, ok := metadata.FromIncomingContext(ctx); !ok {
			return nil, status.Error(codes.Internal, "no incoming metadata")
		}
		return &testpb.Response{Payload: &testpb.Payload{Body: []byte(v)}}, nil
	}}
	srec := &statsRecorder{name: "server"}
	e := newEnv(t, ts, []grpc.ServerOption{grpc.InTapHandle(handle), grpc.StatsHandler(srec)})
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	resp, err := e.client.Unary(ctx, &testpb.Request{})
	if err != nil {
		t.Fatalf("accepted RPC: %v", err)
	}
	if got := string(resp.GetPayload().GetBody()); got != testService+"Unary" {
		t.Errorf("handler saw tap context value %q, want the method", got)
	}
	srec.waitEnds(t, 1)
	srec.reset()

	_, err = e.client.Unary(metadata.AppendToOutgoingContext(ctx, "x-refuse", "1"), &testpb.Request{})
	if st := wantCode(t, err, codes.ResourceExhausted); st.Message() != "too many" {
		t.Errorf("refused RPC message %q", st.Message())
	}
	_, err = e.client.Unary(metadata.AppendToOutgoingContext(ctx, "x-refuse-plain", "1"), &testpb.Request{})
	if st := wantCode(t, err, codes.PermissionDenied); st.Message() != "plain refusal" {
		t.Errorf("refused RPC message %q", st.Message())
	}
	// The connection still works after refusals.
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("RPC after refusals: %v", err)
	}
	// Refused streams never reach the server's RPC machinery.
	if got := statsKinds(srec.waitEnds(t, 1)); got != "InHeader,Begin,InPayload,OutHeader,OutPayload,OutTrailer,End" {
		t.Errorf("server events %s, want only the last RPC's", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(infos) != 4 {
		t.Fatalf("tap handle ran %d times, want 4", len(infos))
	}
	for _, info := range infos {
		if info.FullMethodName != testService+"Unary" {
			t.Errorf("tap Info.FullMethodName %q", info.FullMethodName)
		}
	}
	if got := infos[1].Header.Get("x-refuse"); !reflect.DeepEqual(got, []string{"1"}) {
		t.Errorf("tap Info.Header x-refuse = %v", got)
	}
}

func TestTapHandleSetTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("second InTapHandle did not panic")
		}
	}()
	h := func(ctx context.Context, _ *tap.Info) (context.Context, error) { return ctx, nil }
	grpc.NewServer(grpc.InTapHandle(h), grpc.InTapHandle(h))
}

func TestStatsUnknownMethod(t *testing.T) {
	defer leakcheck.Check(t)
	se := newStatsEnv(t, nil, nil)
	defer se.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	err := se.cc.Invoke(ctx, testService+"Nope", &testpb.Request{}, &testpb.Response{})
	wantCode(t, err, codes.Unimplemented)
	// As in grpc-go, the server reports the headers and the status it
	// wrote, but no Begin or End: no handler ran.
	deadline := time.Now().Add(10 * time.Second)
	for statsKinds(se.server.events()) != "InHeader,OutTrailer" {
		if time.Now().After(deadline) {
			t.Fatalf("server events %s, want InHeader,OutTrailer", statsKinds(se.server.events()))
		}
		time.Sleep(time.Millisecond)
	}
	if got := statsKinds(se.client.events()); got != "Begin,OutHeader,OutPayload,InTrailer,End" {
		t.Errorf("client events %s", got)
	}
}

func TestStatsHedgedRPC(t *testing.T) {
	defer leakcheck.Check(t)
	var mu sync.Mutex
	n := 0
	ts := &testServer{unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			<-ctx.Done() // loses the race and is cancelled
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return &testpb.Response{}, nil
	}}
	se := newStatsEnv(t, ts, nil, grpc.WithDefaultServiceConfig(hedgingConfig(2, "0.05s", "")))
	defer se.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	if _, err := se.env.client.Unary(ctx, &testpb.Request{Payload: payload(4)}); err != nil {
		t.Fatalf("hedged RPC: %v", err)
	}
	evs := se.client.waitEnds(t, 2)
	// Each attempt is tagged and reported on its own: group by tag.
	groups := se.client.rpcGroups(evs)
	if len(groups) != 2 {
		t.Fatalf("client saw %d attempts, want 2: %s", len(groups), statsKinds(evs))
	}
	for i, want := range []string{
		"Begin,OutHeader,OutPayload,End",
		"Begin,OutHeader,OutPayload,InHeader,InPayload,InTrailer,End",
	} {
		if got := statsKinds(groups[i]); got != want {
			t.Errorf("attempt %d events:\n got %s\nwant %s", i, got, want)
		}
		checkCommon(t, se.client, groups[i], true, testService+"Unary")
	}
	if code := status.Code(groups[0][len(groups[0])-1].s.(*stats.End).Error); code != codes.Canceled {
		t.Errorf("losing attempt End.Error code %v, want Canceled", code)
	}
}

// injectingHandler is a statsRecorder whose TagRPC adds outgoing metadata,
// as tracing handlers do to propagate their context.
type injectingHandler struct{ *statsRecorder }

func (h injectingHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	ctx = metadata.AppendToOutgoingContext(ctx, "x-trace", h.name)
	return h.statsRecorder.TagRPC(ctx, info)
}

func TestStatsTagRPCMetadataIsSent(t *testing.T) {
	defer leakcheck.Check(t)
	ts := &testServer{unary: func(ctx context.Context, _ *testpb.Request) (*testpb.Response, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		return &testpb.Response{Payload: &testpb.Payload{Body: []byte(strings.Join(md.Get("x-trace"), ","))}}, nil
	}}
	h1, h2 := injectingHandler{&statsRecorder{name: "h1"}}, injectingHandler{&statsRecorder{name: "h2"}}
	e := newEnv(t, ts, nil, grpc.WithStatsHandler(h1), grpc.WithStatsHandler(h2))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	resp, err := e.client.Unary(metadata.AppendToOutgoingContext(ctx, "x-trace", "caller"), &testpb.Request{})
	if err != nil {
		t.Fatalf("RPC: %v", err)
	}
	if got := string(resp.GetPayload().GetBody()); got != "caller,h1,h2" {
		t.Errorf("server saw x-trace %q, want \"caller,h1,h2\"", got)
	}
	for _, e := range h1.events() {
		if oh, ok := e.s.(*stats.OutHeader); ok && !reflect.DeepEqual(oh.Header.Get("x-trace"), []string{"caller", "h1", "h2"}) {
			t.Errorf("OutHeader.Header x-trace %v", oh.Header.Get("x-trace"))
		}
	}
}

// A client stream's Context carries what the stats handler's TagRPC added
// and the peer, as in grpc-go.
func TestClientStreamContextHasTagRPCValues(t *testing.T) {
	defer leakcheck.Check(t)
	rec := &statsRecorder{name: "client"}
	ts := &testServer{bidi: func(stream testpb.TestService_FullDuplexServer) error {
		for {
			if _, err := stream.Recv(); err != nil {
				return nil
			}
		}
	}}
	e := newEnv(t, ts, nil, grpc.WithStatsHandler(rec))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	stream, err := e.client.FullDuplex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sctx := stream.Context()
	info, ok := sctx.Value(statsTagKey{name: "client"}).(*stats.RPCTagInfo)
	if !ok || info.FullMethodName != "/grpc.e2e.TestService/FullDuplex" {
		t.Errorf("stream.Context() TagRPC value = %v, %v; want the RPC's tag info", info, ok)
	}
	if p, ok := peer.FromContext(sctx); !ok || p.Addr.String() != e.addr {
		t.Errorf("stream.Context() peer = %v, %v; want %s", p, ok, e.addr)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv() = %v, want io.EOF", err)
	}
}
