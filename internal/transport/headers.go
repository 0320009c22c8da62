package transport

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal/grpcutil"
	istatus "google.golang.org/grpc/internal/status"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// appendMD appends user metadata as header fields, dropping reserved keys
// and base64-encoding binary values.
func appendMD(hf []hpack.HeaderField, md metadata.MD) []hpack.HeaderField {
	for k, vs := range md {
		if grpcutil.IsReservedHeader(k) {
			continue
		}
		bin := strings.HasSuffix(k, "-bin")
		for _, v := range vs {
			if bin {
				v = grpcutil.EncodeBinHeader([]byte(v))
			}
			hf = append(hf, hpack.HeaderField{Name: k, Value: v})
		}
	}
	return hf
}

// decodeMDValue decodes a header value for the metadata map.
func decodeMDValue(k, v string) (string, error) {
	if strings.HasSuffix(k, "-bin") {
		b, err := grpcutil.DecodeBinHeader(v)
		return string(b), err
	}
	return v, nil
}

// requestFields builds the HEADERS of a new client stream.
// The fields are appended to hf, which callers pass with room on their
// stack so that building the header costs no allocation.
func (t *ClientTransport) requestFields(ctx context.Context, h *CallHdr, hf []hpack.HeaderField) []hpack.HeaderField {
	host := h.Host
	if host == "" {
		host = t.opts.Authority
	}
	hf = append(hf,
		hpack.HeaderField{Name: ":method", Value: "POST"},
		hpack.HeaderField{Name: ":scheme", Value: t.scheme},
		hpack.HeaderField{Name: ":path", Value: h.Method},
		hpack.HeaderField{Name: ":authority", Value: host},
		hpack.HeaderField{Name: "content-type", Value: grpcutil.ContentType(h.ContentSubtype)},
		hpack.HeaderField{Name: "user-agent", Value: t.opts.UserAgent},
		hpack.HeaderField{Name: "te", Value: "trailers"},
	)
	if h.PreviousAttempts > 0 {
		hf = append(hf, hpack.HeaderField{Name: "grpc-previous-rpc-attempts", Value: strconv.Itoa(h.PreviousAttempts)})
	}
	if h.SendCompress != "" && h.SendCompress != "identity" {
		hf = append(hf, hpack.HeaderField{Name: "grpc-encoding", Value: h.SendCompress})
	}
	if h.AcceptCompress != "" {
		hf = append(hf, hpack.HeaderField{Name: "grpc-accept-encoding", Value: h.AcceptCompress})
	}
	if dl, ok := ctx.Deadline(); ok {
		d := max(time.Until(dl), time.Nanosecond)
		hf = append(hf, hpack.HeaderField{Name: "grpc-timeout", Value: grpcutil.EncodeTimeout(d)})
	}
	return appendMD(hf, h.Metadata)
}

// statusFields appends grpc-status, grpc-message and details.
func statusFields(hf []hpack.HeaderField, st *status.Status) []hpack.HeaderField {
	hf = append(hf,
		hpack.HeaderField{Name: "grpc-status", Value: strconv.Itoa(int(st.Code()))},
		hpack.HeaderField{Name: "grpc-message", Value: grpcutil.EncodeGRPCMessage(st.Message())},
	)
	if p := istatus.RawProto(st); p != nil && len(p.Details) > 0 {
		if b, err := proto.Marshal(p); err == nil {
			hf = append(hf, hpack.HeaderField{Name: "grpc-status-details-bin", Value: grpcutil.EncodeBinHeader(b)})
		}
	}
	return hf
}

// request is a parsed client request header block.
type request struct {
	path           string
	httpMethod     string
	contentSubtype string
	recvCompress   string
	acceptCompress string
	badContentType string
	isGRPC         bool
	protocolErr    bool
	timeoutSet     bool
	timeout        time.Duration
	headerErr      *status.Status
	md             metadata.MD
}

// mdBuilder fills a metadata map whose single-valued keys share one
// backing array, so a header block costs two allocations, not one per key.
// mapGroupSize is the most entries a map made with that size hint holds
// in a single group (Go's maps allocate far more for larger hints).
const mapGroupSize = 8

type mdBuilder struct {
	md   metadata.MD
	vals []string
	n    int // expected number of values
}

func (b *mdBuilder) add(k, v string) {
	if b.md == nil {
		b.md = make(metadata.MD, b.n)
	}
	if old, ok := b.md[k]; ok {
		b.md[k] = append(old, v) // full capacity: copies, never clobbers vals
		return
	}
	if b.vals == nil {
		b.vals = make([]string, 0, max(b.n, 1))
	}
	if len(b.vals) == cap(b.vals) {
		b.md[k] = []string{v}
		return
	}
	b.vals = append(b.vals, v)
	i := len(b.vals)
	b.md[k] = b.vals[i-1 : i : i]
}

func parseRequest(fields []hpack.HeaderField, r *request) {
	// Pseudo-headers, te and grpc-timeout are not kept: a typical request
	// keeps fewer keys than it has fields, and a map sized for at most
	// mapGroupSize keys is one small allocation.
	mb := mdBuilder{n: min(len(fields), mapGroupSize)}
	defer func() {
		if mb.md == nil {
			mb.md = metadata.MD{}
		}
		r.md = mb.md
		// RFC 9113 §8.3.1: Host is the fallback for a missing :authority.
		if len(r.md[":authority"]) == 0 {
			if h, ok := r.md["host"]; ok {
				r.md[":authority"] = h
			}
		}
		delete(r.md, "host")
	}()
	for _, f := range fields {
		switch f.Name {
		case "content-type":
			sub, ok := grpcutil.ContentSubtype(f.Value)
			if !ok {
				r.badContentType = f.Value
				continue
			}
			mb.add(f.Name, f.Value)
			r.contentSubtype = sub
			r.isGRPC = true
		case "grpc-accept-encoding":
			mb.add(f.Name, f.Value)
			if f.Value != "" {
				if r.acceptCompress != "" {
					r.acceptCompress += "," + f.Value
				} else {
					r.acceptCompress = f.Value
				}
			}
		case "grpc-encoding":
			r.recvCompress = f.Value
		case ":method":
			r.httpMethod = f.Value
		case ":path":
			r.path = f.Value
		case "grpc-timeout":
			r.timeoutSet = true
			d, err := grpcutil.DecodeTimeout(f.Value)
			if err != nil {
				r.headerErr = status.New(codes.Internal, "malformed grpc-timeout: "+err.Error())
			}
			r.timeout = d
		case "connection":
			// RFC 9113 §8.2.2: connection-specific headers make the request malformed.
			r.protocolErr = true
		default:
			if grpcutil.IsReservedHeader(f.Name) && !grpcutil.IsWhitelistedHeader(f.Name) {
				continue
			}
			v, err := decodeMDValue(f.Name, f.Value)
			if err != nil {
				r.headerErr = status.New(codes.Internal, "malformed binary metadata "+strconv.Quote(f.Value)+
					" in header "+strconv.Quote(f.Name)+": "+err.Error())
				continue
			}
			mb.add(f.Name, v)
		}
	}
}

// response is a parsed server response header block (headers or trailers).
type response struct {
	md           mdPairs
	recvCompress string
}

func (r *response) add(k, v string) {
	r.md = append(r.md, k, v)
}

// mdPairs is received metadata kept as key, value, key, value...: most
// calls never look at response metadata, so its map is made only when
// asked for. nil means no header block was received; a received block
// without metadata is noMD.
type mdPairs []string

var noMD = mdPairs{}

// ok reports whether a header block was received.
func (p mdPairs) ok() bool { return p != nil }

// md returns the metadata as a new map (empty if none was received).
func (p mdPairs) md() metadata.MD {
	md := make(metadata.MD, min(len(p)/2, mapGroupSize))
	for i := 0; i+1 < len(p); i += 2 {
		md[p[i]] = append(md[p[i]], p[i+1])
	}
	return md
}

// parseResponse interprets a response header block. initial is true for the
// first block of the stream; end is its END_STREAM flag. The returned
// status is set when the block carries (or implies) the final status.
func parseResponse(fields []hpack.HeaderField, initial, end bool) (*response, *status.Status, bool) {
	r := &response{md: noMD}
	var (
		isGRPC         = !initial
		contentTypeErr = "malformed header: missing HTTP content-type"
		grpcMessage    string
		httpStatus     string
		code           = codes.Unknown
		headerErr      string
		details        string
		nDetails       int
	)
	for _, f := range fields {
		switch f.Name {
		case "content-type":
			if _, ok := grpcutil.ContentSubtype(f.Value); !ok {
				contentTypeErr = "transport: received unexpected content-type " + strconv.Quote(f.Value)
				continue
			}
			contentTypeErr = ""
			r.add(f.Name, f.Value)
			isGRPC = true
		case "grpc-encoding":
			r.recvCompress = f.Value
		case "grpc-status":
			c, err := strconv.ParseInt(f.Value, 10, 32)
			if err != nil {
				return nil, status.New(codes.Unknown, "transport: malformed grpc-status: "+err.Error()), true
			}
			code = codes.Code(uint32(c))
		case "grpc-message":
			grpcMessage = grpcutil.DecodeGRPCMessage(f.Value)
		case "grpc-status-details-bin":
			// Not reserved in grpc-go: it is also surfaced in the trailer.
			b, err := grpcutil.DecodeBinHeader(f.Value)
			if err != nil {
				headerErr = "transport: malformed " + f.Name + ": " + err.Error()
				continue
			}
			details = string(b)
			nDetails++
			r.add(f.Name, details)
		case ":status":
			httpStatus = f.Value
		default:
			if grpcutil.IsReservedHeader(f.Name) && !grpcutil.IsWhitelistedHeader(f.Name) {
				continue
			}
			v, err := decodeMDValue(f.Name, f.Value)
			if err != nil {
				headerErr = "transport: malformed " + f.Name + ": " + err.Error()
				continue
			}
			r.add(f.Name, v)
		}
	}
	if !isGRPC {
		gc := codes.Internal
		var errs []string
		if httpStatus == "" {
			errs = append(errs, "malformed header: missing HTTP status")
		} else {
			sc, err := strconv.Atoi(httpStatus)
			if err != nil {
				return nil, status.New(codes.Internal, "transport: malformed http-status: "+err.Error()), true
			}
			if sc >= 100 && sc < 200 {
				if end {
					return nil, status.New(codes.Internal, "protocol error: informational header with status code "+
						strconv.Itoa(sc)+" must not have END_STREAM set"), true
				}
				return nil, nil, false // informational: ignore
			}
			errs = append(errs, "unexpected HTTP status code received from server: "+strconv.Itoa(sc)+
				" ("+http.StatusText(sc)+")")
			gc = httpStatusCode(sc)
		}
		if contentTypeErr != "" {
			errs = append(errs, contentTypeErr)
		}
		return nil, status.New(gc, strings.Join(errs, "; ")), true
	}
	if headerErr != "" {
		return nil, status.New(codes.Internal, headerErr), true
	}
	if !end {
		return r, nil, false
	}
	var st *status.Status
	if nDetails == 1 {
		st = istatus.NewWithProto(code, grpcMessage, []string{details})
	} else {
		st = istatus.New(code, grpcMessage)
	}
	return r, st, true
}

// httpStatusCode maps a non-gRPC HTTP status to a gRPC code.
func httpStatusCode(sc int) codes.Code {
	switch sc {
	case http.StatusBadRequest:
		return codes.Internal
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.Unimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return codes.Unavailable
	}
	return codes.Unknown
}
