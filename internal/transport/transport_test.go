package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func TestUnaryWithMetadata(t *testing.T) {
	defer leakcheck.Check(t)
	var gotMD metadata.MD
	var gotPeer *peer.Peer
	var gotMethod string
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, func(s *ServerStream) {
		gotMD, _ = metadata.FromIncomingContext(s.Context())
		gotPeer, _ = peer.FromContext(s.Context())
		gotMethod = s.Method()
		m, err := readMsg(s)
		if err != nil {
			s.WriteStatus(status.Convert(err))
			return
		}
		s.SetHeader(metadata.Pairs("h1", "v1", "hb-bin", "\x00\x01\xff"))
		s.SetTrailer(metadata.Pairs("t1", "tv", "tb-bin", "\xfe"))
		writeServerMsg(s, append([]byte("echo:"), m...))
		s.WriteStatus(status.New(codes.OK, ""))
	})
	defer done()
	ctx := testCtx(t)
	md := metadata.Pairs("k1", "a", "k1", "b", "key-bin", "\x00\xff\x10", "content-type", "evil", "grpc-status", "13")
	cs, err := ct.NewStream(ctx, &CallHdr{Method: "/svc/M", Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeClientMsg(cs, []byte("hi"), true); err != nil {
		t.Fatal(err)
	}
	hdr, err := cs.Header()
	if err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get("h1"); len(got) != 1 || got[0] != "v1" {
		t.Errorf("header h1 = %v", got)
	}
	if got := hdr.Get("hb-bin"); len(got) != 1 || got[0] != "\x00\x01\xff" {
		t.Errorf("header hb-bin = %q", got)
	}
	m, err := readMsg(cs)
	if err != nil || string(m) != "echo:hi" {
		t.Fatalf("readMsg = %q, %v", m, err)
	}
	if _, err := cs.Read(5); err != io.EOF {
		t.Fatalf("Read after last message = %v, want io.EOF", err)
	}
	<-cs.Done()
	if st := cs.Status(); st.Code() != codes.OK {
		t.Fatalf("status = %v", st)
	}
	tr := cs.Trailer()
	if got := tr.Get("t1"); len(got) != 1 || got[0] != "tv" {
		t.Errorf("trailer t1 = %v", got)
	}
	if got := tr.Get("tb-bin"); len(got) != 1 || got[0] != "\xfe" {
		t.Errorf("trailer tb-bin = %q", got)
	}
	if cs.TrailersOnly() {
		t.Error("TrailersOnly = true for a normal response")
	}
	if gotMethod != "/svc/M" {
		t.Errorf("method = %q", gotMethod)
	}
	if got := gotMD.Get("k1"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("k1 = %v", got)
	}
	if got := gotMD.Get("key-bin"); len(got) != 1 || got[0] != "\x00\xff\x10" {
		t.Errorf("key-bin = %q", got)
	}
	if got := gotMD.Get(":authority"); len(got) != 1 || got[0] != "test.server" {
		t.Errorf(":authority = %v", got)
	}
	if got := gotMD.Get("user-agent"); len(got) != 1 || got[0] != "test-agent grpc-go/1.85.0" {
		t.Errorf("user-agent = %v", got)
	}
	if got := gotMD.Get("content-type"); len(got) != 1 || got[0] != "application/grpc" {
		t.Errorf("content-type = %v (user value must be dropped)", got)
	}
	if got := gotMD.Get("grpc-status"); len(got) != 0 {
		t.Errorf("reserved grpc-status surfaced: %v", got)
	}
	if gotPeer == nil || gotPeer.Addr.String() != ct.LocalAddr().String() {
		t.Errorf("peer = %v, want addr %v", gotPeer, ct.LocalAddr())
	}
}

func TestStreamingBothDirections(t *testing.T) {
	defer leakcheck.Check(t)
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, echoHandler)
	defer done()
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if err := writeClientMsg(cs, []byte(fmt.Sprintf("msg-%d", i)), false); err != nil {
				errc <- err
				return
			}
		}
		errc <- cs.CloseSend()
	}()
	for i := 0; i < n; i++ {
		m, err := readMsg(cs)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if want := fmt.Sprintf("msg-%d", i); string(m) != want {
			t.Fatalf("message %d = %q, want %q", i, m, want)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if _, err := readMsg(cs); err != io.EOF {
		t.Fatalf("final read = %v, want io.EOF", err)
	}
	if st := cs.Status(); st.Code() != codes.OK {
		t.Fatalf("status %v", st)
	}
}

func TestLargePayloadFlowControl(t *testing.T) {
	defer leakcheck.Check(t)
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, echoHandler)
	defer done()
	payload := make([]byte, 4<<20)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	for range 2 {
		cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- writeClientMsg(cs, payload, true) }()
		m, err := readMsg(cs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m, payload) {
			t.Fatal("payload corrupted")
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if _, err := readMsg(cs); err != io.EOF {
			t.Fatalf("got %v, want io.EOF", err)
		}
	}
}

func TestLargeWindows(t *testing.T) {
	defer leakcheck.Check(t)
	win := int32(1 << 20)
	ct, _, done := setup(t, ServerOptions{InitialWindowSize: win, InitialConnWindowSize: 2 * win},
		ClientOptions{InitialWindowSize: win, InitialConnWindowSize: 2 * win}, echoHandler)
	defer done()
	payload := bytes.Repeat([]byte("abcdefgh"), 1<<19)
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
	if err != nil {
		t.Fatal(err)
	}
	go writeClientMsg(cs, payload, true)
	m, err := readMsg(cs)
	if err != nil || !bytes.Equal(m, payload) {
		t.Fatalf("echo failed: %v", err)
	}
}

func TestManyConcurrentStreams(t *testing.T) {
	defer leakcheck.Check(t)
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, echoHandler)
	defer done()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
			if err != nil {
				errs <- err
				return
			}
			msg := bytes.Repeat([]byte{byte(i)}, 1000+i*300)
			for range 3 {
				if err := writeClientMsg(cs, msg, false); err != nil {
					errs <- err
					return
				}
				m, err := readMsg(cs)
				if err != nil || !bytes.Equal(m, msg) {
					errs <- fmt.Errorf("stream %d: %v", i, err)
					return
				}
			}
			cs.CloseSend()
			if _, err := readMsg(cs); err != io.EOF {
				errs <- fmt.Errorf("stream %d end: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClientCancelReachesServer(t *testing.T) {
	defer leakcheck.Check(t)
	srvErr := make(chan error, 1)
	started := make(chan struct{})
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, func(s *ServerStream) {
		close(started)
		<-s.Context().Done()
		_, err := s.Read(1)
		srvErr <- err
	})
	defer done()
	ctx, cancel := context.WithCancel(context.Background())
	cs, err := ct.NewStream(ctx, &CallHdr{Method: "/svc/Wait"})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	<-cs.Done()
	wantCode(t, cs.Status().Err(), codes.Canceled)
	if _, err := cs.Read(1); status.Code(err) != codes.Canceled {
		t.Fatalf("client Read after cancel = %v", err)
	}
	err = <-srvErr
	wantCode(t, err, codes.Canceled)
	// As in grpc-go, the handler sees a plain cancellation.
	if want := "context canceled"; status.Convert(err).Message() != want {
		t.Fatalf("server saw %v, want %q", err, want)
	}
}

func TestDeadlinePropagation(t *testing.T) {
	defer leakcheck.Check(t)
	dl := make(chan time.Time, 1)
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, func(s *ServerStream) {
		d, _ := s.Context().Deadline()
		dl <- d
		<-s.Context().Done()
		s.WriteStatus(status.FromContextError(s.Context().Err()))
	})
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	want, _ := ctx.Deadline()
	cs, err := ct.NewStream(ctx, &CallHdr{Method: "/svc/D"})
	if err != nil {
		t.Fatal(err)
	}
	got := <-dl
	// The server's deadline is the client's plus transit time (generous
	// bound for loaded CI machines), never noticeably earlier.
	if diff := got.Sub(want); diff > time.Second || diff < -10*time.Millisecond {
		t.Fatalf("server deadline %v differs from client's %v by %v", got, want, diff)
	}
	cs.Close(nil)
}

func TestTrailersOnlyAndDetails(t *testing.T) {
	defer leakcheck.Check(t)
	detail, _ := anypb.New(&spb.Status{Code: 3, Message: "inner"})
	sp := &spb.Status{Code: int32(codes.InvalidArgument), Message: "bad arg: 100% \u00e9\n", Details: []*anypb.Any{detail}}
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, func(s *ServerStream) {
		s.SetTrailer(metadata.Pairs("tk", "tv"))
		s.WriteStatus(status.FromProto(sp))
	})
	defer done()
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Fail"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := cs.Header()
	if err != nil {
		t.Fatal(err)
	}
	if !cs.TrailersOnly() {
		t.Fatal("TrailersOnly() = false")
	}
	if got := md.Get("tk"); len(got) != 1 {
		t.Errorf("trailers-only Header() md = %v", md)
	}
	if _, err := cs.Read(5); err != io.EOF {
		t.Fatalf("Read = %v, want io.EOF", err)
	}
	st := cs.Status()
	if !proto.Equal(st.Proto(), sp) {
		t.Fatalf("status = %v, want %v", st.Proto(), sp)
	}
	if got := cs.Trailer().Get("tk"); len(got) != 1 || got[0] != "tv" {
		t.Errorf("trailer = %v", cs.Trailer())
	}
}

func TestMaxConcurrentStreamsBlocks(t *testing.T) {
	defer leakcheck.Check(t)
	release := make(chan struct{})
	ct, _, done := setup(t, ServerOptions{MaxConcurrentStreams: 1}, ClientOptions{}, func(s *ServerStream) {
		s.SendHeader(nil)
		<-release
		s.WriteStatus(status.New(codes.OK, ""))
	})
	defer done()
	cs1, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Hold"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs1.Header(); err != nil { // server SETTINGS precede its headers
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err = ct.NewStream(short, &CallHdr{Method: "/svc/Hold"})
	cancel()
	wantCode(t, err, codes.DeadlineExceeded)
	if IsTransparentRetryable(err) {
		t.Error("ctx expiry must not be transparently retryable")
	}
	got := make(chan error, 1)
	go func() {
		cs2, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Hold"})
		if err == nil {
			_, err = cs2.Header()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second stream started while the first holds the only slot: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func TestServerRefusesExcessStreams(t *testing.T) {
	defer leakcheck.Check(t)
	release := make(chan struct{})
	srv := startServer(t, ServerOptions{MaxConcurrentStreams: 1}, func(s *ServerStream) {
		<-release
		s.WriteStatus(status.New(codes.OK, ""))
	})
	defer srv.stop()
	defer close(release)
	fc := dialRaw(t, srv.addr())
	defer fc.close()
	fc.headers(1, validRequest("/a/b"), false)
	fc.headers(3, validRequest("/a/b"), false)
	rst := fc.waitFor(t, func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok }).(*http2.RSTStreamFrame)
	if rst.StreamID != 3 || rst.ErrCode != http2.ErrCodeRefusedStream {
		t.Fatalf("got %v, want RST_STREAM(3, REFUSED_STREAM)", rst)
	}
}

func TestDrain(t *testing.T) {
	defer leakcheck.Check(t)
	release := make(chan struct{})
	goAway := make(chan struct{})
	srv := startServer(t, ServerOptions{}, func(s *ServerStream) {
		<-release
		echoHandler(s)
	})
	defer srv.stop()
	ct := dial(t, srv.addr(), ClientOptions{OnGoAway: func() { close(goAway) }})
	defer ct.Close(nil)
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
	if err != nil {
		t.Fatal(err)
	}
	st := <-srv.newST
	st.Drain("graceful")
	<-goAway
	_, err = ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
	if !IsTransparentRetryable(err) {
		t.Fatalf("NewStream on draining transport: %v, want transparently retryable", err)
	}
	wantCode(t, err, codes.Unavailable)
	close(release)
	if err := writeClientMsg(cs, []byte("x"), true); err != nil {
		t.Fatal(err)
	}
	if m, err := readMsg(cs); err != nil || string(m) != "x" {
		t.Fatalf("in-flight stream: %q %v", m, err)
	}
	if _, err := readMsg(cs); err != io.EOF {
		t.Fatal(err)
	}
	select {
	case <-ct.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("client transport did not close after drain")
	}
	select {
	case <-st.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server transport did not close after drain")
	}
}

func TestCloseFailsStreams(t *testing.T) {
	defer leakcheck.Check(t)
	closed := make(chan error, 1)
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{OnClose: func(err error) { closed <- err }}, func(s *ServerStream) {
		<-s.Context().Done()
	})
	defer done()
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Wait"})
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() { _, err := cs.Read(5); readErr <- err }()
	ct.Close(errors.New("bye"))
	wantCode(t, <-readErr, codes.Unavailable)
	wantCode(t, cs.Status().Err(), codes.Unavailable)
	<-closed
	_, err = ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Wait"})
	if !IsTransparentRetryable(err) {
		t.Fatalf("NewStream after Close = %v", err)
	}
}

func TestServerGoneFailsStreams(t *testing.T) {
	defer leakcheck.Check(t)
	srv := startServer(t, ServerOptions{}, func(s *ServerStream) { <-s.Context().Done() })
	ct := dial(t, srv.addr(), ClientOptions{})
	defer ct.Close(nil)
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Wait"})
	if err != nil {
		t.Fatal(err)
	}
	<-srv.newST
	srv.stop()
	_, err = cs.Read(5)
	wantCode(t, err, codes.Unavailable)
}

func TestServerWriteAfterClientGone(t *testing.T) {
	defer leakcheck.Check(t)
	res := make(chan error, 1)
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, func(s *ServerStream) {
		<-s.Context().Done()
		res <- writeServerMsg(s, make([]byte, 1<<20))
	})
	defer done()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := ct.NewStream(ctx, &CallHdr{Method: "/svc/X"}); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(10*time.Millisecond, cancel)
	if err := <-res; err == nil {
		t.Fatal("server Write on a reset stream succeeded")
	}
}

func TestNonGRPCResponseStatus(t *testing.T) {
	cases := []struct {
		fields []string
		code   codes.Code
		msg    string
	}{
		{[]string{":status", "404"}, codes.Unimplemented,
			"unexpected HTTP status code received from server: 404 (Not Found); malformed header: missing HTTP content-type"},
		{[]string{":status", "503", "content-type", "text/html"}, codes.Unavailable,
			"unexpected HTTP status code received from server: 503 (Service Unavailable); transport: received unexpected content-type \"text/html\""},
		{[]string{":status", "200", "content-type", "application/grpc", "grpc-status", "xx"}, codes.Unknown,
			"transport: malformed grpc-status: strconv.ParseInt: parsing \"xx\": invalid syntax"},
	}
	for _, c := range cases {
		_, st, _ := parseResponse(fields(c.fields...), true, true)
		if st.Code() != c.code || st.Message() != c.msg {
			t.Errorf("%v: got %v %q, want %v %q", c.fields, st.Code(), st.Message(), c.code, c.msg)
		}
	}
}

func TestHeaderListSizeLimits(t *testing.T) {
	defer leakcheck.Check(t)
	small, srvLimit := uint32(200), uint32(1000)
	srvErr := make(chan error, 1)
	ct, _, done := setup(t, ServerOptions{MaxHeaderListSize: &srvLimit}, ClientOptions{MaxHeaderListSize: &small}, func(s *ServerStream) {
		srvErr <- s.SendHeader(metadata.Pairs("big", string(make([]byte, 300))))
	})
	defer done()
	// The first stream makes sure the server's SETTINGS arrived.
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/M"})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-srvErr; err != ErrHeaderListSizeLimitViolation {
		t.Fatalf("server SendHeader = %v", err)
	}
	<-cs.Done()
	wantCode(t, cs.Status().Err(), codes.Internal)
	_, err = ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/M", Metadata: metadata.Pairs("big", string(make([]byte, 2000)))})
	wantCode(t, err, codes.Internal)
	if IsTransparentRetryable(err) {
		t.Fatal("oversized headers must not be retried")
	}
}

func TestServerFinishesBeforeClient(t *testing.T) {
	defer leakcheck.Check(t)
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, func(s *ServerStream) {
		readMsg(s)
		s.WriteStatus(status.New(codes.ResourceExhausted, "enough"))
	})
	defer done()
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Short"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeClientMsg(cs, []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	<-cs.Done()
	if err := writeClientMsg(cs, []byte("two"), false); err != io.EOF {
		t.Fatalf("Write after the server finished = %v, want io.EOF", err)
	}
	if _, err := cs.Read(5); err != io.EOF {
		t.Fatalf("Read = %v, want io.EOF", err)
	}
	st := cs.Status()
	if st.Code() != codes.ResourceExhausted || st.Message() != "enough" {
		t.Fatalf("status %v", st)
	}
	// The connection is still usable.
	cs2, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Short"})
	if err != nil {
		t.Fatal(err)
	}
	writeClientMsg(cs2, nil, true)
	<-cs2.Done()
	wantCode(t, cs2.Status().Err(), codes.ResourceExhausted)
}

func TestServerResetMapsToStatus(t *testing.T) {
	defer leakcheck.Check(t)
	for _, c := range []struct {
		code http2.ErrCode
		want codes.Code
	}{
		{http2.ErrCodeCancel, codes.Canceled},
		{http2.ErrCodeRefusedStream, codes.Unavailable},
		{http2.ErrCodeEnhanceYourCalm, codes.ResourceExhausted},
		{http2.ErrCodeProtocol, codes.Internal},
	} {
		st := rstStatus(c.code)
		if st.Code() != c.want || st.Message() != "stream terminated by RST_STREAM with error code: "+c.code.String() {
			t.Errorf("%v -> %v", c.code, st)
		}
	}
	// End to end: the server resets an active stream.
	ct, _, done := setup(t, ServerOptions{}, ClientOptions{}, func(s *ServerStream) {
		s.st.resetStream(s.id, http2.ErrCodeRefusedStream)
	})
	defer done()
	cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/R"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.Read(5)
	wantCode(t, err, codes.Unavailable)
	if !cs.Unprocessed() {
		t.Error("REFUSED_STREAM must mark the stream unprocessed")
	}
}

func TestUnbufferedWriterAndSchemes(t *testing.T) {
	defer leakcheck.Check(t)
	var mu sync.Mutex
	ct, _, done := setup(t, ServerOptions{WriteBufferSize: -1, ReadBufferSize: 1024}, ClientOptions{WriteBufferSize: -1}, func(s *ServerStream) {
		mu.Lock()
		defer mu.Unlock()
		echoHandler(s)
	})
	defer done()
	for range 3 {
		cs, err := ct.NewStream(testCtx(t), &CallHdr{Method: "/svc/Echo"})
		if err != nil {
			t.Fatal(err)
		}
		big := bytes.Repeat([]byte("z"), 100000)
		go writeClientMsg(cs, big, true)
		if m, err := readMsg(cs); err != nil || !bytes.Equal(m, big) {
			t.Fatalf("unbuffered echo: %v", err)
		}
	}
	if ct.scheme != "http" {
		t.Errorf("scheme without TLS = %q, want http", ct.scheme)
	}
}
