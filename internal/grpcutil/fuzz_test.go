package grpcutil

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzDecodeTimeout(f *testing.F) {
	for _, s := range []string{"1n", "99999999H", "0S", "", "S", "123456789S", "1x", "-1m", "00000000u", "2562048H", "2562047H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := DecodeTimeout(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("DecodeTimeout(%q) = %v, negative", s, d)
		}
		if len(s) < 2 || len(s) > 9 {
			t.Fatalf("DecodeTimeout(%q) accepted a bad length", s)
		}
		// Re-encoding must give a timeout at least as long.
		d2, err := DecodeTimeout(EncodeTimeout(d))
		if err != nil || d2 < d {
			t.Fatalf("re-encode of %v: %v, %v", d, d2, err)
		}
	})
}

func FuzzEncodeTimeout(f *testing.F) {
	for _, d := range []int64{0, 1, 99999999, 100000000, int64(time.Hour), 1 << 62, -5} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		d := time.Duration(n)
		s := EncodeTimeout(d)
		if len(s) < 2 || len(s) > 9 {
			t.Fatalf("EncodeTimeout(%d) = %q: bad length", n, s)
		}
		got, err := DecodeTimeout(s)
		if err != nil {
			t.Fatalf("DecodeTimeout(EncodeTimeout(%d) = %q): %v", n, s, err)
		}
		if d > 0 && got < d {
			t.Fatalf("EncodeTimeout(%d) = %q decodes shorter: %d", n, s, got)
		}
	})
}

func FuzzGRPCMessage(f *testing.F) {
	for _, s := range []string{"", "plain", "100%", "%41", "%", "%zz", "héllo\n", "\xff\xfe", "日本語", "%%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := EncodeGRPCMessage(s)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c < ' ' || c > '~' {
				t.Fatalf("EncodeGRPCMessage(%q) = %q contains byte %#x", s, enc, c)
			}
		}
		dec := DecodeGRPCMessage(enc)
		if utf8.ValidString(s) {
			if dec != s {
				t.Fatalf("round trip of %q: encoded %q, decoded %q", s, enc, dec)
			}
		} else if !utf8.ValidString(dec) {
			// Invalid input is sent as U+FFFD, so what arrives is valid.
			t.Fatalf("invalid UTF-8 %q decoded to invalid %q", s, dec)
		}
		// Decoding arbitrary input must not panic and never grows it.
		if d := DecodeGRPCMessage(s); len(d) > len(s) {
			t.Fatalf("DecodeGRPCMessage(%q) grew to %q", s, d)
		}
	})
}

func FuzzDecodeBinHeader(f *testing.F) {
	for _, s := range []string{"", "AQI", "AQI=", "AQID", "A", "====", "!!", "aGVsbG8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeBinHeader(s)
		if err != nil {
			return
		}
		b2, err := DecodeBinHeader(EncodeBinHeader(b))
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("re-encode of %q: %v, %v", s, b2, err)
		}
	})
}

func FuzzParseMethod(f *testing.F) {
	for _, s := range []string{"/a/b", "/pkg.Svc/Method", "a/b", "/a", "/a/", "//b", "/a/b/c", "", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		svc, meth, ok := ParseMethod(s)
		if !ok {
			if svc != "" || meth != "" {
				t.Fatalf("ParseMethod(%q) failed but returned %q, %q", s, svc, meth)
			}
			return
		}
		if svc == "" || meth == "" || strings.Contains(svc, "/") || strings.Contains(meth, "/") {
			t.Fatalf("ParseMethod(%q) = %q, %q", s, svc, meth)
		}
		if "/"+svc+"/"+meth != s {
			t.Fatalf("ParseMethod(%q) = %q, %q does not rebuild the input", s, svc, meth)
		}
	})
}
