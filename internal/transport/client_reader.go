package transport

import (
	"fmt"
	"io"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// reader is the client's frame-reading goroutine. It reads whenever it
// holds the read turn, which it gives to stream goroutines that read for
// themselves (readturn.go), and exits once the connection is closed.
func (t *ClientTransport) reader() {
	defer close(t.readerDone)
	for {
		if t.turn.take(nil) && !t.readAsReader() {
			return
		}
		// The turn is someone else's, or was just given up: wait until
		// asked to take it.
		if !t.turn.sleep(t.done) {
			return
		}
	}
}

// readAsReader reads frames as the reader goroutine until it gives the turn up
// (true) or the connection fails (false). It gives the turn up when it is
// about to block on the socket having just delivered to waiting streams,
// none of which still waits, on a quiet connection: the goroutine it woke
// is likely to be back for more soon, and is then better off reading
// itself.
func (t *ClientTransport) readAsReader() bool {
	rt := t.turn
	for {
		if t.br.buffered() == 0 {
			t.wakeDeferred()
			if rt.enabled && rt.engaged && !rt.waiting() && t.quiet() {
				rt.engaged = false
				t.releaseTurn()
				return true
			}
			rt.engaged = false
		}
		if t.readStep() == stepClosed {
			t.releaseTurn()
			return false
		}
	}
}

// readStep reads and handles one frame; the caller holds the read turn.
func (t *ClientTransport) readStep() stepResult {
	f, hb, df, err := t.readFrame()
	if err != nil {
		if err == errInterrupted {
			return stepInterrupted
		}
		if se, ok := err.(http2.StreamError); ok {
			t.resetStream(se.StreamID, se.Code, status.New(codes.Internal, "transport: "+se.Error()))
			return stepOK
		}
		if ce := frameConnError(err); ce != nil {
			t.connError(ce)
			return stepClosed
		}
		what := "error reading from server: "
		if !t.gotPreface {
			what = "error reading server preface: "
		}
		t.close(ConnectionError{Desc: what + err.Error()})
		return stepClosed
	}
	t.activity.Store(true)
	if !t.gotPreface {
		if err := t.checkPreface(f, hb, df); err != nil {
			t.connError(err)
			return stepClosed
		}
	}
	switch {
	case df != nil:
		err = t.onData(df)
	case hb != nil:
		err = t.onHeaders(hb)
		t.hr.release() // the handler copied what it keeps
	default:
		err = t.handleFrame(f)
	}
	if err != nil {
		if se, ok := err.(http2.StreamError); ok {
			t.resetStream(se.StreamID, se.Code, status.New(rstCodeToGRPC(se.Code), "transport: "+se.Error()))
			return stepOK
		}
		t.connError(err)
		return stepClosed
	}
	return stepOK
}

// checkPreface checks the first frame from the server, which must be its
// SETTINGS (RFC 9113 §3.4), and marks the preface received.
func (t *ClientTransport) checkPreface(f http2.Frame, hb *headerBlock, df *inData) error {
	var kind string
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if !f.IsAck() {
			t.gotPreface = true
			close(t.preface)
			return nil
		}
		kind = "*http2.SettingsFrame (ack)"
	case nil:
		kind = "*http2.DataFrame"
		if hb != nil {
			kind = "*http2.MetaHeadersFrame"
		} else if df != nil {
			t.dropData()
		}
	default:
		kind = fmt.Sprintf("%T", f)
	}
	return newConnError(http2.ErrCodeProtocol, "initial http2 frame from server is not a settings frame: "+kind)
}

// connError answers a peer's protocol violation with GOAWAY and closes.
func (t *ClientTransport) connError(err error) {
	code := http2.ErrCodeProtocol
	if ce, ok := err.(*connError); ok {
		code = ce.code
	}
	t.goAwayAndClose(0, code, err.Error())
	t.close(ConnectionError{Desc: err.Error()})
}

// resetStream fails a stream because of a stream error and resets it.
func (t *ClientTransport) resetStream(id uint32, code http2.ErrCode, st *status.Status) {
	if s := t.lookup(id); s != nil {
		t.finish(s, st, st.Err(), true, true, code)
		return
	}
	t.writeRST(id, code)
}

func (t *ClientTransport) lookup(id uint32) *ClientStream {
	t.mu.Lock()
	s := t.streams[id]
	t.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.cs
}

func (t *ClientTransport) handleFrame(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.RSTStreamFrame:
		if s := t.lookup(f.StreamID); s != nil {
			if f.ErrCode == http2.ErrCodeRefusedStream {
				s.unprocessed.Store(true)
			}
			st := rstStatus(f.ErrCode)
			// A server cancelling a stream whose deadline has passed most
			// likely did it because of that deadline: report it as such,
			// as grpc-go does, whichever side noticed first.
			if f.ErrCode == http2.ErrCodeCancel {
				if d, ok := s.ctx.Deadline(); ok && !time.Now().Before(d) {
					st = status.New(codes.DeadlineExceeded, st.Message())
				}
			}
			t.finish(s, st, st.Err(), false, false, 0)
		}
	case *http2.SettingsFrame:
		return t.handleSettings(f)
	case *http2.PingFrame:
		if !f.IsAck() {
			t.writePingAck(f.Data)
		} else if isBDPAck(f) {
			t.bdpPingAck()
		}
	case *http2.WindowUpdateFrame:
		return t.handleWindowUpdate(f)
	case *http2.GoAwayFrame:
		return t.onGoAway(f)
	case *http2.PushPromiseFrame:
		return newConnError(http2.ErrCodeProtocol, "received PUSH_PROMISE with push disabled")
	}
	return nil
}

func (t *ClientTransport) onHeaders(f *headerBlock) error {
	id := f.StreamID
	t.mu.Lock()
	next := t.nextID
	t.mu.Unlock()
	if id%2 == 0 || id >= next {
		return newConnError(http2.ErrCodeProtocol, "received HEADERS for a stream the client never opened")
	}
	s := t.lookup(id)
	if s == nil {
		return nil // locally finished; late headers are expected
	}
	t.turn.engaged = true
	s.bytesReceived.Store(true)
	end := f.StreamEnded()
	if f.Truncated {
		st := status.New(codes.Internal, "peer header list size exceeded limit")
		t.finish(s, st, st.Err(), true, !end, http2.ErrCodeFrameSize)
		return nil
	}
	initial := !s.gotHeader
	if !initial && !end {
		st := status.New(codes.Internal, "a HEADERS frame cannot appear in the middle of a stream")
		t.finish(s, st, st.Err(), true, true, http2.ErrCodeProtocol)
		return nil
	}
	r, st, _ := parseResponse(f.Fields, initial, end)
	if r == nil && st == nil {
		return nil // informational 1xx
	}
	s.gotHeader = true
	if r == nil {
		t.finish(s, st, st.Err(), true, !end, http2.ErrCodeProtocol)
		return nil
	}
	if !end {
		t.mu.Lock()
		if !s.headerDone {
			s.headerDone = true
			s.header = r.md
			s.wire.hdr = f.wireLen
			s.recvCompress = r.recvCompress
			t.deferWake(s.headerCh)
		}
		t.mu.Unlock()
		return nil
	}
	// Trailers, or a trailers-only response.
	t.mu.Lock()
	if initial && !s.headerDone {
		s.trailersOnly = true
		s.recvCompress = r.recvCompress
	}
	s.trailer = r.md
	s.wire.trl = f.wireLen
	t.mu.Unlock()
	t.finish(s, st, io.EOF, false, false, 0)
	return nil
}

func (t *ClientTransport) onData(f *inData) error {
	id := f.StreamID
	s := t.lookup(id)
	if s == nil {
		t.mu.Lock()
		next := t.nextID
		t.mu.Unlock()
		if id%2 == 0 || id >= next {
			return newConnError(http2.ErrCodeProtocol, "received DATA for an idle stream")
		}
		return t.dataFrame(f, nil)
	}
	t.turn.engaged = true
	s.bytesReceived.Store(true)
	if err := t.dataFrame(f, &s.stream); err != nil {
		return err
	}
	if f.StreamEnded() {
		st := status.New(codes.Internal, "server closed the stream without sending trailers")
		t.finish(s, st, st.Err(), false, false, 0)
	}
	return nil
}
