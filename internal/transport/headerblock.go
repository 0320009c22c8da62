package transport

import (
	"encoding/binary"
	"errors"
	"google.golang.org/grpc/internal/grpcutil"
	"io"
	"strconv"
	"sync"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/mem"
)

// headerBlock is one decoded HEADERS (+CONTINUATION) block. The reader
// reuses it for every block, so handlers must copy what they keep (the
// strings themselves are immutable and may be kept).
type headerBlock struct {
	StreamID  uint32
	endStream bool
	Truncated bool // the block exceeded our SETTINGS_MAX_HEADER_LIST_SIZE
	Fields    []hpack.HeaderField
	wireLen   uint32 // length of the HEADERS frame, for stats
}

// StreamEnded reports whether the HEADERS frame carried END_STREAM.
func (b *headerBlock) StreamEnded() bool { return b.endStream }

// headerReader assembles header blocks straight off the framer's input,
// decoding into a reused field slice with a reused HPACK decoder. It
// enforces the same limits and validity rules as http2.Framer's
// ReadMetaHeaders, without its per-block allocations.
type headerReader struct {
	fr      *http2.Framer
	r       io.Reader
	dec     *hpack.Decoder
	maxList uint32
	pool    mem.BufferPool
	buf     *[]byte              // pooled payload of the frame being decoded
	fields  *[]hpack.HeaderField // pooled backing of block.Fields, while in use
	block   headerBlock

	// Per-block decoding state, reset by read.
	remain     uint32 // header list budget left
	trlRemain  uint32 // budget for "trailer" fields, counted apart as x/net does
	sawRegular bool
	invalid    error
}

func (h *headerReader) init(fr *http2.Framer, r io.Reader, maxList uint32, pool mem.BufferPool) {
	h.fr = fr
	h.pool = pool
	h.r = r
	h.maxList = maxList
	h.dec = hpack.NewDecoder(4096, h.emit)
	h.dec.SetMaxStringLength(int(min(uint64(maxList), uint64(^uint(0)>>1))))
}

var (
	errPseudoAfterRegular   = errors.New("pseudo header field after regular")
	errMixPseudoHeaderTypes = errors.New("mix of request and response pseudo headers")
)

type headerFieldError struct{ msg string }

func (e *headerFieldError) Error() string { return e.msg }

func (h *headerReader) emit(f hpack.HeaderField) {
	if !validHeaderValue(f.Value) {
		h.invalid = &headerFieldError{"invalid header field value for " + strconv.Quote(f.Name)}
	}
	if len(f.Name) > 0 && f.Name[0] == ':' {
		if h.sawRegular {
			h.invalid = errPseudoAfterRegular
		}
	} else {
		h.sawRegular = true
		if !validHeaderName(f.Name) {
			h.invalid = &headerFieldError{"invalid header field name " + strconv.Quote(f.Name)}
		}
	}
	if h.invalid != nil {
		h.dec.SetEmitEnabled(false)
		return
	}
	budget := &h.remain
	var size uint32
	if f.Name == "trailer" {
		budget = &h.trlRemain
		n := uint32(1)
		for i := 0; i < len(f.Value); i++ {
			if f.Value[i] == ',' {
				n++
			}
		}
		size = uint32(len(f.Value)) - n + 1 + n*32
	} else {
		size = f.Size()
	}
	if size > *budget {
		h.dec.SetEmitEnabled(false)
		h.block.Truncated = true
		h.remain, h.trlRemain = 0, 0
		return
	}
	*budget -= size
	h.block.Fields = append(h.block.Fields, f)
}

// payload reads the payload of the frame fh into a pooled buffer, which
// h.donePayload returns (the decoder copies what it keeps).
func (h *headerReader) payload(fh http2.FrameHeader) ([]byte, error) {
	h.donePayload()
	h.buf = grpcutil.GetForOverwrite(h.pool, int(fh.Length))
	if _, err := io.ReadFull(h.r, *h.buf); err != nil {
		h.donePayload()
		return nil, err
	}
	return *h.buf, nil
}

func (h *headerReader) donePayload() {
	if h.buf != nil {
		h.pool.Put(h.buf)
		h.buf = nil
	}
}

// fieldSlices recycles the decoded-field slices of header blocks between
// connections: an idle connection holds none.
var fieldSlices = sync.Pool{New: func() any { return new([]hpack.HeaderField) }}

// release gives back the current block's field slice once its handler is
// done with it. Reader only.
func (h *headerReader) release() {
	if h.fields == nil {
		return
	}
	clear(h.block.Fields)
	*h.fields = h.block.Fields[:0]
	h.block.Fields = nil
	fieldSlices.Put(h.fields)
	h.fields = nil
}

// read decodes the header block that starts with the HEADERS frame fh
// (whose frame header the framer has just read and checked).
func (h *headerReader) read(fh http2.FrameHeader) (*headerBlock, error) {
	p, err := h.payload(fh)
	if err != nil {
		return nil, err
	}
	if fh.StreamID == 0 {
		return nil, http2.ConnectionError(http2.ErrCodeProtocol)
	}
	var pad int
	if fh.Flags.Has(http2.FlagHeadersPadded) {
		if len(p) < 1 {
			return nil, io.ErrUnexpectedEOF
		}
		pad = int(p[0])
		p = p[1:]
	}
	if fh.Flags.Has(http2.FlagHeadersPriority) {
		if len(p) < 5 {
			return nil, io.ErrUnexpectedEOF
		}
		_ = binary.BigEndian.Uint32(p)
		p = p[5:]
	}
	if len(p) < pad {
		return nil, http2.StreamError{StreamID: fh.StreamID, Code: http2.ErrCodeProtocol}
	}
	p = p[:len(p)-pad]

	defer h.donePayload()
	h.release()
	h.fields = fieldSlices.Get().(*[]hpack.HeaderField)
	b := &h.block
	*b = headerBlock{
		StreamID:  fh.StreamID,
		endStream: fh.Flags.Has(http2.FlagHeadersEndStream),
		Fields:    (*h.fields)[:0],
		wireLen:   fh.Length,
	}
	h.remain, h.trlRemain = h.maxList, h.maxList
	h.sawRegular, h.invalid = false, nil
	h.dec.SetEmitEnabled(true)
	ended := fh.Flags.Has(http2.FlagHeadersEndHeaders)
	for {
		// A fragment far beyond what we would accept, or any fragment
		// after the block went bad, is not worth decoding.
		if int64(len(p)) > 2*(int64(h.remain)+int64(h.trlRemain)) || h.invalid != nil {
			return nil, http2.ConnectionError(http2.ErrCodeProtocol)
		}
		if _, err := h.dec.Write(p); err != nil {
			return nil, http2.ConnectionError(http2.ErrCodeCompression)
		}
		if ended {
			break
		}
		// The framer checks that this is a CONTINUATION of the same stream.
		cfh, err := h.fr.ReadFrameHeader()
		if err != nil {
			return nil, err
		}
		if p, err = h.payload(cfh); err != nil {
			return nil, err
		}
		if cfh.StreamID == 0 {
			return nil, http2.ConnectionError(http2.ErrCodeProtocol)
		}
		ended = cfh.Flags.Has(http2.FlagContinuationEndHeaders)
	}
	if err := h.dec.Close(); err != nil {
		return nil, http2.ConnectionError(http2.ErrCodeCompression)
	}
	if h.invalid != nil {
		return nil, http2.StreamError{StreamID: b.StreamID, Code: http2.ErrCodeProtocol, Cause: h.invalid}
	}
	if err := checkPseudos(b.Fields); err != nil {
		return nil, http2.StreamError{StreamID: b.StreamID, Code: http2.ErrCodeProtocol, Cause: err}
	}
	return b, nil
}

// checkPseudos rejects unknown, duplicate or mixed request/response
// pseudo-headers (they come first in a valid block).
func checkPseudos(fields []hpack.HeaderField) error {
	var req, resp bool
	for i, f := range fields {
		if len(f.Name) == 0 || f.Name[0] != ':' {
			break
		}
		switch f.Name {
		case ":method", ":path", ":scheme", ":authority", ":protocol":
			req = true
		case ":status":
			resp = true
		default:
			return &headerFieldError{"invalid pseudo-header " + strconv.Quote(f.Name)}
		}
		for _, g := range fields[:i] {
			if g.Name == f.Name {
				return &headerFieldError{"duplicate pseudo-header " + strconv.Quote(f.Name)}
			}
		}
	}
	if req && resp {
		return errMixPseudoHeaderTypes
	}
	return nil
}

// validHeaderValue reports whether v has no control characters other
// than space and tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// validHeaderName reports whether name is a non-empty lower-case token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isTokenByte(name[i]) || ('A' <= name[i] && name[i] <= 'Z') {
			return false
		}
	}
	return true
}

func isTokenByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
