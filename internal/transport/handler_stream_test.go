package transport

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// newHandlerRequest is a gRPC request as net/http's HTTP/2 server would
// hand it to a handler.
func newHandlerRequest(body io.Reader) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://example.com/pkg.Svc/Method", body)
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
	r.Header.Set("Content-Type", "application/grpc")
	r.Header.Set("Te", "trailers")
	return r
}

// noFlushWriter hides the recorder's Flush method.
type noFlushWriter struct{ http.ResponseWriter }

func TestHandlerStreamRejects(t *testing.T) {
	defer leakcheck.Check(t)
	for _, tc := range []struct {
		name   string
		modify func(*http.Request)
		plain  bool // the ResponseWriter cannot flush
		code   int
		msg    string
	}{
		{name: "GET", modify: func(r *http.Request) { r.Method = http.MethodGet },
			code: http.StatusMethodNotAllowed, msg: `invalid gRPC request method "GET"`},
		{name: "content-type", modify: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") },
			code: http.StatusUnsupportedMediaType, msg: `invalid gRPC request content-type "application/json"`},
		{name: "HTTP/1.1", modify: func(r *http.Request) { r.ProtoMajor, r.ProtoMinor = 1, 1 },
			code: http.StatusHTTPVersionNotSupported, msg: "gRPC requires HTTP/2"},
		{name: "no Flusher", plain: true,
			code: http.StatusInternalServerError, msg: "gRPC requires a ResponseWriter supporting http.Flusher"},
		{name: "grpc-timeout", modify: func(r *http.Request) { r.Header.Set("Grpc-Timeout", "soon") },
			code: http.StatusBadRequest, msg: "malformed grpc-timeout: "},
		{name: "binary metadata", modify: func(r *http.Request) { r.Header.Set("Foo-Bin", "!!!") },
			code: http.StatusBadRequest, msg: `malformed binary metadata "!!!" in header "foo-bin": `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newHandlerRequest(strings.NewReader(""))
			if tc.modify != nil {
				tc.modify(r)
			}
			rec := httptest.NewRecorder()
			var w http.ResponseWriter = rec
			if tc.plain {
				w = noFlushWriter{rec}
			}
			s, err := NewHandlerStream(w, r, HandlerOptions{})
			if err == nil {
				s.EndHTTP()
				t.Fatal("NewHandlerStream accepted the request")
			}
			if rec.Code != tc.code || !strings.HasPrefix(rec.Body.String(), tc.msg) {
				t.Fatalf("answered %d %q, want %d %q...", rec.Code, rec.Body.String(), tc.code, tc.msg)
			}
			if tc.code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", rec.Header().Get("Allow"))
			}
		})
	}
}

func TestHandlerStreamRequest(t *testing.T) {
	defer leakcheck.Check(t)
	r := newHandlerRequest(strings.NewReader(""))
	r.Header.Set("Content-Type", "application/grpc+json")
	r.Header.Set("Grpc-Encoding", "gzip")
	r.Header.Set("Grpc-Accept-Encoding", "gzip,identity")
	r.Header.Set("Grpc-Timeout", "5S")
	r.Header.Set("User-Agent", "test-agent")
	r.Header.Add("Foo", "a")
	r.Header.Add("Foo", "b")
	r.Header.Set("Foo-Bin", base64.RawStdEncoding.EncodeToString([]byte{0, 1, 0xff}))
	r.RemoteAddr = "10.0.0.1:1234"
	r.TLS = &tls.ConnectionState{HandshakeComplete: true}

	var tagged *peer.Peer
	type connKey struct{}
	s, err := NewHandlerStream(httptest.NewRecorder(), r, HandlerOptions{
		ConnContext: func(ctx context.Context, p *peer.Peer) context.Context {
			tagged = p
			return context.WithValue(ctx, connKey{}, "conn")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.EndHTTP()
	if s.Method() != "/pkg.Svc/Method" || s.ContentSubtype() != "json" ||
		s.RecvCompress() != "gzip" || s.AcceptCompress() != "gzip,identity" {
		t.Errorf("method %q subtype %q recv %q accept %q", s.Method(), s.ContentSubtype(), s.RecvCompress(), s.AcceptCompress())
	}
	ctx := s.Context()
	if ctx.Value(connKey{}) != "conn" {
		t.Error("stream context does not derive from ConnContext's")
	}
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > 5*time.Second || time.Until(dl) < 4*time.Second {
		t.Errorf("deadline %v, %v; want in 5s", dl, ok)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	want := metadata.MD{
		"content-type":         {"application/grpc+json"},
		"grpc-accept-encoding": {"gzip,identity"},
		"user-agent":           {"test-agent"},
		"foo":                  {"a", "b"},
		"foo-bin":              {"\x00\x01\xff"},
		":authority":           {"example.com"},
	}
	for k, v := range want {
		if got := md[k]; strings.Join(got, "|") != strings.Join(v, "|") {
			t.Errorf("metadata %s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"te", "grpc-timeout", "grpc-encoding"} {
		if _, ok := md[k]; ok {
			t.Errorf("reserved header %s in metadata", k)
		}
	}
	p, ok := peer.FromContext(ctx)
	if !ok || p != tagged || p.Addr.String() != "10.0.0.1:1234" || p.Addr.Network() != "tcp" {
		t.Fatalf("peer %+v (ConnContext saw %+v)", p, tagged)
	}
	if ti, ok := p.AuthInfo.(credentials.TLSInfo); !ok || !ti.State.HandshakeComplete || ti.SecurityLevel != credentials.PrivacyAndIntegrity {
		t.Errorf("AuthInfo %#v", p.AuthInfo)
	}
}

func TestHandlerStreamReadWrite(t *testing.T) {
	defer leakcheck.Check(t)
	// More than one body read's worth, to cross buffer boundaries.
	in := strings.Repeat("0123456789", 5000)
	rec := httptest.NewRecorder()
	s, err := NewHandlerStream(rec, newHandlerRequest(strings.NewReader(in)), HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 7)
	if err := s.ReadFull(got); err != nil || string(got) != in[:7] {
		t.Fatalf("ReadFull: %q, %v", got, err)
	}
	rest, err := s.Read(len(in) - 7)
	if err != nil || string(rest.Materialize()) != in[7:] {
		t.Fatalf("Read: %v", err)
	}
	rest.Free()
	if _, err := s.Read(1); err != io.EOF {
		t.Fatalf("Read at end: %v, want io.EOF", err)
	}

	s.SetSendCompress("gzip")
	if err := s.SetHeader(metadata.Pairs("h1", "v1", "h-bin", "\x00")); err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]byte("hdr"), mem.BufferSlice{mem.SliceBuffer("data")}); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed || rec.Code != http.StatusOK {
		t.Fatalf("after Write: flushed %v, code %d", rec.Flushed, rec.Code)
	}
	if err := s.SetHeader(metadata.Pairs("late", "x")); err == nil {
		t.Error("SetHeader after the headers were sent succeeded")
	}
	if err := s.WriteLast([]byte("2"), nil); err != nil {
		t.Fatal(err)
	}
	s.SetTrailer(metadata.Pairs("t1", "v1", "t-bin", "\xff"))
	st, _ := status.New(codes.Aborted, "100% done\n").WithDetails(wrapperspb.String("d"))
	if err := s.WriteStatus(st); err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]byte("late"), nil); err == nil {
		t.Error("Write after WriteStatus succeeded")
	}
	s.EndHTTP()

	res := rec.Result()
	if got := rec.Body.String(); got != "hdrdata2" {
		t.Errorf("body %q", got)
	}
	h := res.Header
	if h.Get("Content-Type") != "application/grpc" || h.Get("Grpc-Encoding") != "gzip" ||
		h.Get("H1") != "v1" || h.Get("H-Bin") != "AA" || h.Get("Late") != "" {
		t.Errorf("headers %v", h)
	}
	tr := res.Trailer
	if tr.Get("Grpc-Status") != "10" || tr.Get("Grpc-Message") != "100%25 done%0A" ||
		tr.Get("Grpc-Status-Details-Bin") == "" || tr.Get("T1") != "v1" || tr.Get("T-Bin") != "/w" {
		t.Errorf("trailers %v", tr)
	}
	if s.Context().Err() == nil {
		t.Error("stream context not canceled by EndHTTP")
	}
}

func TestHandlerStreamTrailersOnly(t *testing.T) {
	defer leakcheck.Check(t)
	rec := httptest.NewRecorder()
	s, err := NewHandlerStream(rec, newHandlerRequest(strings.NewReader("")), HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.SetHeader(metadata.Pairs("h", "1"))
	s.SetTrailer(metadata.Pairs("t", "2"))
	if err := s.WriteStatus(status.New(codes.NotFound, "nope")); err != nil {
		t.Fatal(err)
	}
	s.EndHTTP()
	// Nothing was flushed: net/http sends the header map, status
	// included, as one HEADERS frame ending the stream.
	if rec.Flushed || rec.Body.Len() != 0 {
		t.Fatalf("flushed %v, body %q", rec.Flushed, rec.Body.String())
	}
	h := rec.Result().Header
	if h.Get("Grpc-Status") != "5" || h.Get("Grpc-Message") != "nope" || h.Get("H") != "1" || h.Get("T") != "2" {
		t.Errorf("headers %v", h)
	}
	if len(rec.Result().Trailer) != 0 {
		t.Errorf("trailers %v", rec.Result().Trailer)
	}
}

func TestHandlerStreamSendHeader(t *testing.T) {
	defer leakcheck.Check(t)
	rec := httptest.NewRecorder()
	s, err := NewHandlerStream(rec, newHandlerRequest(strings.NewReader("")), HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.EndHTTP()
	if err := s.SendHeader(metadata.Pairs("k", "v")); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed || rec.Code != http.StatusOK || rec.Header().Get("K") != "v" {
		t.Fatalf("flushed %v, code %d, header %v", rec.Flushed, rec.Code, rec.Header())
	}
	if err := s.SendHeader(nil); err == nil {
		t.Error("second SendHeader succeeded")
	}
}

// errAfterReader returns its data, then err.
type errAfterReader struct {
	data string
	err  error
}

func (r *errAfterReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestHandlerStreamBodyError(t *testing.T) {
	defer leakcheck.Check(t)
	body := &errAfterReader{data: "abc", err: errors.New("boom")}
	s, err := NewHandlerStream(httptest.NewRecorder(), newHandlerRequest(body), HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.EndHTTP()
	got := make([]byte, 3)
	if err := s.ReadFull(got); err != nil || string(got) != "abc" {
		t.Fatalf("ReadFull: %q, %v", got, err)
	}
	if _, err := s.Read(1); status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Read after the failure: %v", err)
	}
}

func TestHandlerStreamCanceled(t *testing.T) {
	defer leakcheck.Check(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r := newHandlerRequest(pr).WithContext(ctx)
	s, err := NewHandlerStream(httptest.NewRecorder(), r, HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := s.Read(5)
		readErr <- err
	}()
	pw.Write([]byte("ab")) // part of what the reader waits for
	cancel()               // the client goes away
	if err := <-readErr; status.Code(err) != codes.Canceled {
		t.Fatalf("Read: %v, want Canceled", err)
	}
	// EndHTTP closes the body, ending the blocked body reader.
	s.EndHTTP()
	if err := s.WriteStatus(status.New(codes.OK, "")); err == nil {
		t.Error("WriteStatus after EndHTTP succeeded")
	}
}
