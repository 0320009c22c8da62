package grpcutil

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// needsEscape reports whether b must be percent-encoded in grpc-message:
// everything outside printable ASCII, and '%' itself.
func needsEscape(b byte) bool {
	return b < ' ' || b > '~' || b == '%'
}

const hexDigits = "0123456789ABCDEF"

// EncodeGRPCMessage percent-encodes msg for the grpc-message header as
// described in PROTOCOL-HTTP2.md. Invalid UTF-8 is replaced by U+FFFD first,
// so the header always decodes to valid UTF-8.
func EncodeGRPCMessage(msg string) string {
	i := 0
	for i < len(msg) && !needsEscape(msg[i]) {
		i++
	}
	if i == len(msg) {
		return msg
	}
	var b strings.Builder
	b.Grow(len(msg) + 16)
	b.WriteString(msg[:i])
	var rbuf [utf8.UTFMax]byte
	for i < len(msg) {
		c := msg[i]
		if c < utf8.RuneSelf {
			if needsEscape(c) {
				b.WriteByte('%')
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xF])
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(msg[i:])
		// For invalid UTF-8, r is RuneError and this encodes U+FFFD.
		n := utf8.EncodeRune(rbuf[:], r)
		for _, x := range rbuf[:n] {
			b.WriteByte('%')
			b.WriteByte(hexDigits[x>>4])
			b.WriteByte(hexDigits[x&0xF])
		}
		i += size
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// DecodeGRPCMessage reverses EncodeGRPCMessage. A '%' that is not followed by
// two hex digits is kept as-is rather than treated as an error, since the
// message is informational and a peer may not have encoded it.
func DecodeGRPCMessage(msg string) string {
	i := strings.IndexByte(msg, '%')
	if i < 0 {
		return msg
	}
	var b strings.Builder
	b.Grow(len(msg))
	b.WriteString(msg[:i])
	for ; i < len(msg); i++ {
		c := msg[i]
		if c == '%' && i+2 < len(msg) {
			hi, ok1 := unhex(msg[i+1])
			lo, ok2 := unhex(msg[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// EncodeBinHeader encodes the value of a "-bin" metadata key as unpadded
// base64, as grpc-go sends it.
func EncodeBinHeader(v []byte) string {
	return base64.RawStdEncoding.EncodeToString(v)
}

// DecodeBinHeader decodes the value of a "-bin" metadata key; peers may send
// it with or without padding.
func DecodeBinHeader(v string) ([]byte, error) {
	if len(v)%4 == 0 {
		return base64.StdEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}
