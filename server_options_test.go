package grpc

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
)

func TestServerOptionDefaults(t *testing.T) {
	s := NewServer()
	o := s.opts
	if o.maxRecvMsgSize != 4<<20 || o.maxSendMsgSize != math.MaxInt32 || o.connectionTimeout != 120*time.Second ||
		o.maxConcurrentStreams != math.MaxUint32 || o.writeBufferSize != 32<<10 || o.readBufferSize != 32<<10 {
		t.Fatalf("defaults = %+v", o)
	}
	if o.unaryInt != nil || o.streamInt != nil || o.codec != nil {
		t.Fatal("interceptors or codec set by default")
	}
}

func TestServerOptionsApply(t *testing.T) {
	s := NewServer(
		MaxMsgSize(10),
		MaxSendMsgSize(20),
		MaxConcurrentStreams(0),
		KeepaliveParams(keepalive.ServerParameters{Time: time.Millisecond, Timeout: time.Second}),
		KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
		ConnectionTimeout(time.Minute),
		MaxHeaderListSize(1234),
		InitialWindowSize(1000),      // below the HTTP/2 default: ignored
		InitialConnWindowSize(1<<20), // honoured
		WriteBufferSize(0),
		ReadBufferSize(100),
		WaitForHandlers(true),
		NumStreamWorkers(4),
		EmptyServerOption{},
	)
	o := s.opts
	if o.maxRecvMsgSize != 10 || o.maxSendMsgSize != 20 || o.maxConcurrentStreams != math.MaxUint32 ||
		o.connectionTimeout != time.Minute || !o.waitForHandlers || o.numServerWorkers != 4 {
		t.Fatalf("options = %+v", o)
	}
	if o.keepaliveParams.Time != time.Second {
		t.Fatalf("keepalive Time = %v, want it raised to 1s", o.keepaliveParams.Time)
	}
	to := s.transportOptions(nil)
	want := to
	want.InitialWindowSize = 0
	want.InitialConnWindowSize = 1 << 20
	want.WriteBufferSize = -1
	want.ReadBufferSize = 100
	want.MaxConcurrentStreams = 0 // unlimited: not advertised
	if !reflect.DeepEqual(to, want) || *to.MaxHeaderListSize != 1234 || !to.KeepalivePolicy.PermitWithoutStream {
		t.Fatalf("transport options = %+v", to)
	}
}

func TestForcedServerCodec(t *testing.T) {
	proto, _ := getCodec("")
	s := NewServer(ForceServerCodecV2(proto))
	if c := s.streamCodec("json"); c != proto {
		t.Fatalf("forced codec not used: %v", c)
	}
	// Without a forced codec an unknown subtype falls back to proto.
	if c := NewServer().streamCodec("nosuch"); c == nil || c.Name() != "proto" {
		t.Fatalf("fallback codec = %v", c)
	}
}

// fakeTransportStream is a ServerTransportStream for handler unit tests.
type fakeTransportStream struct {
	header, trailer metadata.MD
	sent            bool
}

func (f *fakeTransportStream) Method() string { return "/fake.Svc/Do" }
func (f *fakeTransportStream) SetHeader(md metadata.MD) error {
	f.header = metadata.Join(f.header, md)
	return nil
}
func (f *fakeTransportStream) SendHeader(md metadata.MD) error {
	f.header = metadata.Join(f.header, md)
	f.sent = true
	return nil
}
func (f *fakeTransportStream) SetTrailer(md metadata.MD) error {
	f.trailer = metadata.Join(f.trailer, md)
	return nil
}

func TestContextWithFakeTransportStream(t *testing.T) {
	f := &fakeTransportStream{}
	ctx := NewContextWithServerTransportStream(context.Background(), f)
	if ServerTransportStreamFromContext(ctx) != f {
		t.Fatal("stream not found in context")
	}
	if err := SetHeader(ctx, metadata.Pairs("a", "1")); err != nil {
		t.Fatal(err)
	}
	if err := SetTrailer(ctx, metadata.Pairs("b", "2")); err != nil {
		t.Fatal(err)
	}
	if err := SendHeader(ctx, metadata.Pairs("c", "3")); err != nil {
		t.Fatal(err)
	}
	if m, ok := Method(ctx); !ok || m != "/fake.Svc/Do" {
		t.Fatalf("Method = %q, %v", m, ok)
	}
	if !f.sent || f.header.Get("a")[0] != "1" || f.header.Get("c")[0] != "3" || f.trailer.Get("b")[0] != "2" {
		t.Fatalf("fake stream = %+v", f)
	}
	// These need the real stream.
	if err := SetSendCompressor(ctx, "gzip"); err == nil {
		t.Fatal("SetSendCompressor accepted a fake stream")
	}
}
