package grpc

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // registers "gzip"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

var bidiDesc = &StreamDesc{ServerStreams: true, ClientStreams: true}

func TestPreparedMsgClientAndServer(t *testing.T) {
	defer leakcheck.Check(t)
	// The server answers every stream with the same prepared message, twice.
	srv := startEchoServer(t, nil, UnknownServiceHandler(func(_ any, stream ServerStream) error {
		in := new(wrapperspb.StringValue)
		if err := stream.RecvMsg(in); err != nil {
			return err
		}
		var pm PreparedMsg
		if err := pm.Encode(stream, wrapperspb.String("prepared:"+in.GetValue())); err != nil {
			return err
		}
		for range 2 {
			if err := stream.SendMsg(&pm); err != nil {
				return err
			}
		}
		return nil
	}))
	defer srv.stop(t)
	cc, err := NewClient(srv.addr, insecureOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()

	for _, opts := range [][]CallOption{nil, {UseCompressor("gzip")}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cs, err := cc.NewStream(ctx, bidiDesc, "/any.Service/Method", opts...)
		if err != nil {
			t.Fatal(err)
		}
		var pm PreparedMsg
		if err := cs.SendMsg(&pm); status.Code(err) != codes.Internal {
			t.Fatalf("sending a PreparedMsg before Encode: %v", err)
		}
		cancel()

		ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
		cs, err = cc.NewStream(ctx, bidiDesc, "/any.Service/Method", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := pm.Encode(cs, wrapperspb.String("hello")); err != nil {
			t.Fatal(err)
		}
		if err := cs.SendMsg(&pm); err != nil {
			t.Fatal(err)
		}
		cs.CloseSend()
		for range 2 {
			out := new(wrapperspb.StringValue)
			if err := cs.RecvMsg(out); err != nil {
				t.Fatal(err)
			}
			if out.GetValue() != "prepared:hello" {
				t.Fatalf("got %q", out.GetValue())
			}
		}
		cancel()
	}
}

type foreignStream struct{ Stream }

func (foreignStream) Context() context.Context { return context.Background() }

func TestPreparedMsgNeedsOurStream(t *testing.T) {
	var pm PreparedMsg
	if err := pm.Encode(foreignStream{}, wrapperspb.String("x")); err == nil {
		t.Fatal("Encode on a stream of unknown origin succeeded")
	}
}
