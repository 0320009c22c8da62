package grpcutil

import "strings"

const baseContentType = "application/grpc"

// ContentType returns the content-type for a content-subtype: "" gives
// "application/grpc", "proto" gives "application/grpc+proto".
func ContentType(subtype string) string {
	if subtype == "" {
		return baseContentType
	}
	return baseContentType + "+" + subtype
}

// ContentSubtype returns the content-subtype of a gRPC content-type and
// whether it is a gRPC content-type at all. "application/grpc" yields ("",
// true); "application/grpc+json" and "application/grpc;json" yield ("json",
// true).
func ContentSubtype(contentType string) (string, bool) {
	if contentType == baseContentType {
		return "", true
	}
	if len(contentType) <= len(baseContentType) || !strings.HasPrefix(contentType, baseContentType) {
		return "", false
	}
	switch contentType[len(baseContentType)] {
	case '+', ';':
		return contentType[len(baseContentType)+1:], true
	}
	return "", false
}

// IsReservedHeader reports whether key is a header the transport manages
// itself and so must not be taken from, or surfaced as, user metadata.
func IsReservedHeader(key string) bool {
	if key != "" && key[0] == ':' {
		return true
	}
	switch key {
	case "content-type", "user-agent", "grpc-message-type", "grpc-encoding",
		"grpc-message", "grpc-status", "grpc-timeout", "grpc-status-details-bin",
		"grpc-accept-encoding", "te":
		return true
	}
	return false
}

// IsWhitelistedHeader reports whether a reserved key is nevertheless
// surfaced to the server application in the incoming metadata.
func IsWhitelistedHeader(key string) bool {
	return key == ":authority" || key == "user-agent"
}

// ParseMethod splits a full method name "/service/method" into its parts. ok
// is false unless the name starts with '/', and contains exactly one more '/'
// separating a non-empty service from a non-empty method.
func ParseMethod(path string) (service, method string, ok bool) {
	if len(path) < 4 || path[0] != '/' {
		return "", "", false
	}
	rest := path[1:]
	i := strings.IndexByte(rest, '/')
	if i <= 0 || i == len(rest)-1 || strings.IndexByte(rest[i+1:], '/') >= 0 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// RegisteredCompressorNames lists, in registration order, the compressors
// registered with the encoding package; the grpc package advertises them in
// grpc-accept-encoding. It is written only during init.
var RegisteredCompressorNames []string

// IsCompressorNameRegistered reports whether name is in
// RegisteredCompressorNames.
func IsCompressorNameRegistered(name string) bool {
	for _, n := range RegisteredCompressorNames {
		if n == name {
			return true
		}
	}
	return false
}
