package test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/protobuf/proto"
)

// refusingServer is a minimal raw HTTP/2 peer: it refuses the first `refuse`
// streams with RST_STREAM(REFUSED_STREAM) and answers later ones with an
// OK gRPC response carrying reply.
type refusingServer struct {
	lis     net.Listener
	refuse  int
	reply   []byte
	wg      sync.WaitGroup
	mu      sync.Mutex
	streams int
}

func startRefusingServer(t *testing.T, refuse int) *refusingServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := proto.Marshal(&testpb.Response{Payload: &testpb.Payload{Body: []byte("ok")}})
	if err != nil {
		t.Fatal(err)
	}
	s := &refusingServer{lis: lis, refuse: refuse, reply: reply}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				s.serve(conn)
			}()
		}
	}()
	return s
}

func (s *refusingServer) stop() {
	s.lis.Close()
	s.wg.Wait()
}

func (s *refusingServer) serve(conn net.Conn) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil {
		return
	}
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		return
	}
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	headers := func(fields ...string) []byte {
		hbuf.Reset()
		for i := 0; i < len(fields); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return hbuf.Bytes()
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				fr.WritePing(true, f.Data)
			}
		case *http2.MetaHeadersFrame:
			s.mu.Lock()
			s.streams++
			refuse := s.streams <= s.refuse
			s.mu.Unlock()
			id := f.StreamID
			if refuse {
				fr.WriteRSTStream(id, http2.ErrCodeRefusedStream)
				continue
			}
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true,
				BlockFragment: headers(":status", "200", "content-type", "application/grpc")})
			msg := make([]byte, 5+len(s.reply))
			binary.BigEndian.PutUint32(msg[1:], uint32(len(s.reply)))
			copy(msg[5:], s.reply)
			fr.WriteData(id, false, msg)
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, EndStream: true,
				BlockFragment: headers("grpc-status", "0")})
		}
	}
}

func TestTransparentRetryOfRefusedStream(t *testing.T) {
	defer leakcheck.Check(t)
	srv := startRefusingServer(t, 1)
	defer srv.stop()
	cc, err := grpc.NewClient(srv.lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := testCtx(t)
	defer cancel()

	var finished []error
	resp, err := testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{}, grpc.OnFinish(func(err error) { finished = append(finished, err) }))
	if err != nil {
		t.Fatalf("Unary with the first stream refused: %v", err)
	}
	if string(resp.GetPayload().GetBody()) != "ok" {
		t.Fatalf("response %v", resp)
	}
	if len(finished) != 1 || finished[0] != nil {
		t.Fatalf("OnFinish calls %v, want exactly one with nil", finished)
	}

	// Only one transparent retry: a second refusal is the RPC's result.
	srv.mu.Lock()
	srv.refuse = srv.streams + 2
	srv.mu.Unlock()
	_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{})
	wantCode(t, err, codes.Unavailable)
}
