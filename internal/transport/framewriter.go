package transport

import (
	"encoding/binary"
	"errors"
	"io"

	"golang.org/x/net/http2"
)

// frameWriter encodes the frames other than DATA that we send, with the
// method set of http2.Framer that the transport uses. It exists so that a
// connection does not keep a whole Framer (and its growing write buffer)
// for writing: each frame is encoded into a small array and handed to the
// connection's buffered writer.
type frameWriter struct {
	out io.Writer
	// Scratch for a frame header plus a 4-byte payload; reused once
	// each Write returns (the writer copies or sends at once). Kept this
	// small because it lives in every connection.
	buf [frameHeaderLen + 4]byte
}

var errBadFrameArg = errors.New("transport: invalid frame argument")

// header fills the frame header into f.buf.
func (f *frameWriter) header(length int, t http2.FrameType, flags http2.Flags, id uint32) {
	h := f.buf[:frameHeaderLen]
	h[0], h[1], h[2] = byte(length>>16), byte(length>>8), byte(length)
	h[3] = byte(t)
	h[4] = byte(flags)
	binary.BigEndian.PutUint32(h[5:], id&(1<<31-1))
}

// frame writes a frame whose payload is p.
func (f *frameWriter) frame(t http2.FrameType, flags http2.Flags, id uint32, p []byte) error {
	f.header(len(p), t, flags, id)
	if _, err := f.out.Write(f.buf[:frameHeaderLen]); err != nil {
		return err
	}
	if len(p) == 0 {
		return nil
	}
	_, err := f.out.Write(p)
	return err
}

// fixed writes a frame whose n-byte payload is already in f.buf after the
// header.
func (f *frameWriter) fixed(t http2.FrameType, flags http2.Flags, id uint32, n int) error {
	f.header(n, t, flags, id)
	_, err := f.out.Write(f.buf[:frameHeaderLen+n])
	return err
}

// WriteWindowUpdate writes a WINDOW_UPDATE frame.
func (f *frameWriter) WriteWindowUpdate(id, inc uint32) error {
	if inc < 1 || inc > 1<<31-1 {
		return errBadFrameArg
	}
	binary.BigEndian.PutUint32(f.buf[frameHeaderLen:], inc)
	return f.fixed(http2.FrameWindowUpdate, 0, id, 4)
}

// WriteRSTStream writes a RST_STREAM frame.
func (f *frameWriter) WriteRSTStream(id uint32, code http2.ErrCode) error {
	if id == 0 {
		return errBadFrameArg
	}
	binary.BigEndian.PutUint32(f.buf[frameHeaderLen:], uint32(code))
	return f.fixed(http2.FrameRSTStream, 0, id, 4)
}

// WritePing writes a PING frame, an ack when ack is set.
func (f *frameWriter) WritePing(ack bool, data [8]byte) error {
	var flags http2.Flags
	if ack {
		flags = http2.FlagPingAck
	}
	f.header(8, http2.FramePing, flags, 0)
	if _, err := f.out.Write(f.buf[:frameHeaderLen]); err != nil {
		return err
	}
	copy(f.buf[:8], data[:])
	_, err := f.out.Write(f.buf[:8])
	return err
}

// WriteSettingsAck writes an empty SETTINGS frame with the ACK flag.
func (f *frameWriter) WriteSettingsAck() error {
	return f.fixed(http2.FrameSettings, http2.FlagSettingsAck, 0, 0)
}

// WriteSettings writes a SETTINGS frame with ss.
func (f *frameWriter) WriteSettings(ss ...http2.Setting) error {
	f.header(6*len(ss), http2.FrameSettings, 0, 0)
	if _, err := f.out.Write(f.buf[:frameHeaderLen]); err != nil {
		return err
	}
	for _, st := range ss {
		binary.BigEndian.PutUint16(f.buf[:], uint16(st.ID))
		binary.BigEndian.PutUint32(f.buf[2:], st.Val)
		if _, err := f.out.Write(f.buf[:6]); err != nil {
			return err
		}
	}
	return nil
}

// WriteGoAway writes a GOAWAY frame.
func (f *frameWriter) WriteGoAway(last uint32, code http2.ErrCode, debug []byte) error {
	f.header(8+len(debug), http2.FrameGoAway, 0, 0)
	if _, err := f.out.Write(f.buf[:frameHeaderLen]); err != nil {
		return err
	}
	binary.BigEndian.PutUint32(f.buf[:], last&(1<<31-1))
	binary.BigEndian.PutUint32(f.buf[4:], uint32(code))
	if _, err := f.out.Write(f.buf[:8]); err != nil {
		return err
	}
	if len(debug) == 0 {
		return nil
	}
	_, err := f.out.Write(debug)
	return err
}

// WriteHeaders writes a HEADERS frame (no padding or priority: we never
// send them).
func (f *frameWriter) WriteHeaders(p http2.HeadersFrameParam) error {
	if p.StreamID == 0 {
		return errBadFrameArg
	}
	var flags http2.Flags
	if p.EndStream {
		flags |= http2.FlagHeadersEndStream
	}
	if p.EndHeaders {
		flags |= http2.FlagHeadersEndHeaders
	}
	return f.frame(http2.FrameHeaders, flags, p.StreamID, p.BlockFragment)
}

// WriteContinuation writes a CONTINUATION frame.
func (f *frameWriter) WriteContinuation(id uint32, endHeaders bool, frag []byte) error {
	if id == 0 {
		return errBadFrameArg
	}
	var flags http2.Flags
	if endHeaders {
		flags = http2.FlagContinuationEndHeaders
	}
	return f.frame(http2.FrameContinuation, flags, id, frag)
}
