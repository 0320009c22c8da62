package transport

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/grpcutil"
)

// fuzzFields decodes an HPACK block into header fields; nil when the block
// is not valid HPACK.
func fuzzFields(block []byte) []hpack.HeaderField {
	var hf []hpack.HeaderField
	d := hpack.NewDecoder(4096, func(f hpack.HeaderField) { hf = append(hf, f) })
	d.SetMaxStringLength(64 << 10)
	if _, err := d.Write(block); err != nil {
		return nil
	}
	if err := d.Close(); err != nil {
		return nil
	}
	return hf
}

// fuzzSeedBlock encodes name/value pairs as an HPACK block.
func fuzzSeedBlock(kv ...string) []byte {
	var b bytes.Buffer
	e := hpack.NewEncoder(&b)
	for i := 0; i+1 < len(kv); i += 2 {
		e.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return b.Bytes()
}

// FuzzParseRequest decodes request header blocks into metadata: it must
// never panic, and what lands in the metadata must be what a client could
// have sent (binary values decoded, no Host, a valid timeout).
func FuzzParseRequest(f *testing.F) {
	f.Add(fuzzSeedBlock(":method", "POST", ":scheme", "http", ":path", "/a/b", ":authority", "x",
		"content-type", "application/grpc", "te", "trailers", "grpc-timeout", "10S", "x-bin", "AQI", "k", "v"))
	f.Add(fuzzSeedBlock(":path", "a/b", "content-type", "application/grpc+json", "grpc-timeout", "99999999H",
		"host", "h", "connection", "close", "x-bin", "!!", "grpc-encoding", "gzip", "grpc-accept-encoding", "gzip,br"))
	f.Add(fuzzSeedBlock("content-type", "text/html", "grpc-timeout", "-1S", "k", "a", "k", "b", "grpc-trace-bin", "AAEC"))
	f.Add([]byte{0x82, 0x86, 0x84, 0xbe})
	f.Fuzz(func(t *testing.T, block []byte) {
		hf := fuzzFields(block)
		if hf == nil {
			return
		}
		var r request
		parseRequest(hf, &r)
		if r.md == nil {
			t.Fatal("parseRequest left metadata nil")
		}
		if _, ok := r.md["host"]; ok {
			t.Fatalf("host kept in metadata: %v", r.md)
		}
		if r.timeoutSet && r.headerErr == nil && r.timeout < 0 {
			t.Fatalf("negative timeout %v accepted", r.timeout)
		}
		if r.headerErr != nil && r.headerErr.Code() != codes.Internal {
			t.Fatalf("header error with code %v: %v", r.headerErr.Code(), r.headerErr)
		}
		for k, vs := range r.md {
			if !strings.HasSuffix(k, "-bin") {
				continue
			}
			// A binary value is stored decoded: encoding it again must
			// decode to the same bytes.
			for _, v := range vs {
				b, err := grpcutil.DecodeBinHeader(grpcutil.EncodeBinHeader([]byte(v)))
				if err != nil || string(b) != v {
					t.Fatalf("binary value %q of %q does not survive a round trip: %q, %v", v, k, b, err)
				}
			}
		}
		// Metadata sent back out must parse to the same user metadata.
		var r2 request
		parseRequest(appendMD(nil, r.md), &r2)
		for k, vs := range r.md {
			if grpcutil.IsReservedHeader(k) || k == "content-type" || k == "grpc-accept-encoding" || strings.HasPrefix(k, ":") {
				continue
			}
			if got := r2.md[k]; len(got) != len(vs) {
				t.Fatalf("metadata %q = %q re-parsed as %q", k, vs, got)
			}
		}
	})
}

// FuzzParseResponse decodes response header blocks (headers and trailers):
// it must never panic, and a block that ends the stream must yield a
// status.
func FuzzParseResponse(f *testing.F) {
	f.Add(fuzzSeedBlock(":status", "200", "content-type", "application/grpc", "grpc-status", "3",
		"grpc-message", "bad%20thing", "x-bin", "AQI", "grpc-status-details-bin", "CAM"), true, true)
	f.Add(fuzzSeedBlock(":status", "503", "content-type", "text/plain"), true, true)
	f.Add(fuzzSeedBlock(":status", "100"), true, false)
	f.Add(fuzzSeedBlock("grpc-status", "x", "grpc-message", "%zz%"), false, true)
	f.Add(fuzzSeedBlock("grpc-status", "99999999999", "grpc-status-details-bin", "@@"), false, true)
	f.Fuzz(func(t *testing.T, block []byte, initial, end bool) {
		hf := fuzzFields(block)
		if hf == nil {
			return
		}
		r, st, final := parseResponse(hf, initial, end)
		if end && !final {
			t.Fatal("a block with END_STREAM did not end the stream")
		}
		if final && st == nil && (r == nil || end) {
			t.Fatalf("final block without a status: %v", r)
		}
		if st != nil && !final {
			t.Fatalf("status %v from a non-final block", st)
		}
		if r != nil {
			for k := range r.md.md() {
				if k == "grpc-status" || k == "grpc-message" || k == ":status" {
					t.Fatalf("reserved field %q surfaced as metadata", k)
				}
			}
		}
	})
}
