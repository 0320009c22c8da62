package grpcutil

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestEncodeTimeout(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0n"},
		{0, "0n"},
		{1, "1n"},
		{99999999, "99999999n"},
		{100000000, "100000u"},
		{100000001, "100001u"}, // rounded up, never shortened
		{time.Second, "1000000u"},
		{100 * time.Second, "100000m"},
		{100000 * time.Second, "100000S"},
		{100000*time.Second + 1, "100001S"},
		{100000000 * time.Second, "1666667M"},
		{100000000 * time.Minute, "1666667H"},
		{time.Duration(math.MaxInt64), "2562048H"},
	}
	for _, tt := range tests {
		if got := EncodeTimeout(tt.d); got != tt.want {
			t.Errorf("EncodeTimeout(%d) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDecodeTimeout(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "1n", want: 1},
		{in: "10u", want: 10 * time.Microsecond},
		{in: "5m", want: 5 * time.Millisecond},
		{in: "7S", want: 7 * time.Second},
		{in: "2M", want: 2 * time.Minute},
		{in: "3H", want: 3 * time.Hour},
		{in: "00000001S", want: time.Second},
		{in: "99999999H", want: time.Duration(math.MaxInt64)},
		{in: "", wantErr: "transport: timeout string is too short: \"\""},
		{in: "S", wantErr: "too short"},
		{in: "123456789S", wantErr: "transport: timeout string is too long: \"123456789S\""},
		{in: "1x", wantErr: "transport: timeout unit is not recognized: \"1x\""},
		{in: "1s", wantErr: "not recognized"},
		{in: "-1S", wantErr: "not a number"},
		{in: "+1S", wantErr: "not a number"},
		{in: "1 S", wantErr: "not a number"},
	}
	for _, tt := range tests {
		got, err := DecodeTimeout(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DecodeTimeout(%q) error = %v, want containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("DecodeTimeout(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestTimeoutRoundTripNeverShortens(t *testing.T) {
	for _, d := range []time.Duration{1, 999, 123456789, 3*time.Hour + 1, 1<<62 + 12345} {
		got, err := DecodeTimeout(EncodeTimeout(d))
		if err != nil || got < d {
			t.Errorf("round trip of %d = %d, %v", d, got, err)
		}
	}
}

func TestGRPCMessage(t *testing.T) {
	tests := []struct{ in, enc string }{
		{"", ""},
		{"hello world ~", "hello world ~"},
		{"100%", "100%25"},
		{"a\nb\tc", "a%0Ab%09c"},
		{"\x00\x7f", "%00%7F"},
		{"héllo", "h%C3%A9llo"},
		{"日本", "%E6%97%A5%E6%9C%AC"},
	}
	for _, tt := range tests {
		if got := EncodeGRPCMessage(tt.in); got != tt.enc {
			t.Errorf("EncodeGRPCMessage(%q) = %q, want %q", tt.in, got, tt.enc)
		}
		if got := DecodeGRPCMessage(tt.enc); got != tt.in {
			t.Errorf("DecodeGRPCMessage(%q) = %q, want %q", tt.enc, got, tt.in)
		}
	}
}

func TestEncodeGRPCMessageInvalidUTF8(t *testing.T) {
	if got, want := EncodeGRPCMessage("a\xffb"), "a%EF%BF%BDb"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDecodeGRPCMessageLenient(t *testing.T) {
	for in, want := range map[string]string{
		"%":      "%",
		"%4":     "%4",
		"%41":    "A",
		"%4G":    "%4G",
		"%zz%41": "%zzA",
		"a%a":    "a%a",
		"%%41":   "%A",
		"%61%62": "ab",
	} {
		if got := DecodeGRPCMessage(in); got != want {
			t.Errorf("DecodeGRPCMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBinHeader(t *testing.T) {
	for _, v := range [][]byte{nil, {0}, {1, 2}, {1, 2, 3}, []byte("hello, world")} {
		enc := EncodeBinHeader(v)
		if strings.Contains(enc, "=") {
			t.Errorf("EncodeBinHeader(%v) = %q is padded", v, enc)
		}
		got, err := DecodeBinHeader(enc)
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("DecodeBinHeader(%q) = %v, %v; want %v", enc, got, err, v)
		}
	}
	if got, err := DecodeBinHeader("AQI="); err != nil || !bytes.Equal(got, []byte{1, 2}) {
		t.Errorf("padded: got %v, %v", got, err)
	}
	for _, bad := range []string{"A", "!!!!", "AQI=AQI=x"} {
		if _, err := DecodeBinHeader(bad); err == nil {
			t.Errorf("DecodeBinHeader(%q): want error", bad)
		}
	}
}

func TestContentType(t *testing.T) {
	if got := ContentType(""); got != "application/grpc" {
		t.Errorf("ContentType(\"\") = %q", got)
	}
	if got := ContentType("json"); got != "application/grpc+json" {
		t.Errorf("ContentType(json) = %q", got)
	}
	tests := []struct {
		ct   string
		sub  string
		isOK bool
	}{
		{"application/grpc", "", true},
		{"application/grpc+proto", "proto", true},
		{"application/grpc;json", "json", true},
		{"application/grpc+", "", true},
		{"application/grpcx", "", false},
		{"application/json", "", false},
		{"", "", false},
		{"application/grp", "", false},
	}
	for _, tt := range tests {
		sub, ok := ContentSubtype(tt.ct)
		if sub != tt.sub || ok != tt.isOK {
			t.Errorf("ContentSubtype(%q) = %q, %v; want %q, %v", tt.ct, sub, ok, tt.sub, tt.isOK)
		}
	}
}

func TestReservedHeaders(t *testing.T) {
	for _, k := range []string{":path", ":authority", "content-type", "user-agent", "grpc-message-type",
		"grpc-encoding", "grpc-message", "grpc-status", "grpc-timeout", "grpc-status-details-bin",
		"grpc-accept-encoding", "te"} {
		if !IsReservedHeader(k) {
			t.Errorf("IsReservedHeader(%q) = false", k)
		}
	}
	for _, k := range []string{"", "x-custom", "grpc-previous-rpc-attempts", "grpc-retry-pushback-ms", "authorization"} {
		if IsReservedHeader(k) {
			t.Errorf("IsReservedHeader(%q) = true", k)
		}
	}
	for k, want := range map[string]bool{":authority": true, "user-agent": true, ":path": false, "te": false} {
		if IsWhitelistedHeader(k) != want {
			t.Errorf("IsWhitelistedHeader(%q) != %v", k, want)
		}
	}
}

func TestParseMethod(t *testing.T) {
	tests := []struct {
		in        string
		svc, meth string
		ok        bool
	}{
		{"/a/b", "a", "b", true},
		{"/helloworld.Greeter/SayHello", "helloworld.Greeter", "SayHello", true},
		{"a/b", "", "", false},
		{"/a", "", "", false},
		{"/a/", "", "", false},
		{"//b", "", "", false},
		{"/a/b/c", "", "", false},
		{"", "", "", false},
		{"/", "", "", false},
	}
	for _, tt := range tests {
		svc, meth, ok := ParseMethod(tt.in)
		if svc != tt.svc || meth != tt.meth || ok != tt.ok {
			t.Errorf("ParseMethod(%q) = %q, %q, %v; want %q, %q, %v", tt.in, svc, meth, ok, tt.svc, tt.meth, tt.ok)
		}
	}
}

func TestCompressorNames(t *testing.T) {
	old := RegisteredCompressorNames
	defer func() { RegisteredCompressorNames = old }()
	RegisteredCompressorNames = []string{"gzip"}
	if !IsCompressorNameRegistered("gzip") || IsCompressorNameRegistered("snappy") {
		t.Fatal("IsCompressorNameRegistered wrong")
	}
}
