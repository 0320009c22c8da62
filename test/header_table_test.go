package test

import (
	"testing"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
)

func TestHeaderTableSize(t *testing.T) {
	for _, size := range []uint32{0, 256, 16384} {
		t.Run("", func(t *testing.T) {
			defer leakcheck.Check(t)
			ctx, cancel := testCtx(t)
			defer cancel()
			e := newEnv(t, nil, []grpc.ServerOption{grpc.HeaderTableSize(size)})
			defer e.stop()

			// The size is advertised...
			a := dialAttacker(t, e.addr)
			defer a.close()
			a.mustSend(atkPreface())
			f := a.readUntil(func(f http2.Frame) bool {
				s, ok := f.(*http2.SettingsFrame)
				return ok && !s.IsAck()
			})
			if f == nil {
				t.Fatal("no SETTINGS from the server")
			}
			if got, ok := f.(*http2.SettingsFrame).Value(http2.SettingHeaderTableSize); !ok || got != size {
				t.Fatalf("SETTINGS_HEADER_TABLE_SIZE = %d (present %v), want %d", got, ok, size)
			}
			// ...and a client whose encoder follows it keeps working with
			// headers that would otherwise be indexed.
			for i := range 20 {
				rctx := metadata.AppendToOutgoingContext(ctx, "x-repeated", "a fairly long value that HPACK would like to index", "x-n", string(rune('a'+i)))
				if _, err := e.client.Unary(rctx, &testpb.Request{}); err != nil {
					t.Fatalf("RPC %d with table size %d: %v", i, size, err)
				}
			}
		})
	}
}
