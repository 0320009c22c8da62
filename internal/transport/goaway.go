package transport

import (
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/status"
)

// GOAWAY handling: the client's reaction to the server's GOAWAY, and the
// server's two-phase graceful drain.

// onGoAway stops new streams; streams above the last processed id fail as
// unprocessed so the caller may retry them elsewhere.
func (t *ClientTransport) onGoAway(f *http2.GoAwayFrame) error {
	t.mu.Lock()
	if f.LastStreamID > t.goAwayID {
		t.mu.Unlock()
		return newConnError(http2.ErrCodeProtocol, "received GOAWAY with increasing last stream id")
	}
	t.goAwayID = f.LastStreamID
	t.draining = true
	if d := f.DebugData(); len(d) > 0 {
		t.goAwayDebug = string(d)
	} else if f.ErrCode != http2.ErrCodeNo {
		t.goAwayDebug = f.ErrCode.String()
	}
	var refused []*ClientStream
	for id, s := range t.streams {
		if id > f.LastStreamID {
			refused = append(refused, s.cs)
		}
	}
	idle := t.active == 0
	t.wakeSlotsLocked()
	t.mu.Unlock()
	tooManyPings := f.ErrCode == http2.ErrCodeEnhanceYourCalm && string(f.DebugData()) == "too_many_pings"
	t.goAwayOnce.Do(func() {
		if tooManyPings && t.opts.OnTooManyPings != nil {
			t.opts.OnTooManyPings()
		}
		if t.opts.OnGoAway != nil {
			t.opts.OnGoAway()
		}
	})
	st := status.Convert(errStreamDrain)
	for _, s := range refused {
		s.unprocessed.Store(true)
		t.finish(s, st, st.Err(), true, false, 0)
	}
	if idle {
		t.close(ConnectionError{Desc: "received GOAWAY with no active streams"})
	}
	return nil
}

// Drain starts a graceful shutdown: GOAWAY(MaxInt32) plus a PING, then,
// once the PING is acknowledged (so the client has seen the first GOAWAY),
// the final GOAWAY with the last accepted stream id. The connection closes
// when the last stream finishes.
func (t *ServerTransport) Drain(debug string) {
	t.mu.Lock()
	if t.closed || t.drainPhase != 0 {
		t.mu.Unlock()
		return
	}
	t.drainPhase = 1
	t.drainDebug = debug
	t.drainTimer = time.AfterFunc(time.Minute, t.finalGoAway)
	t.mu.Unlock()
	t.writeFailed(t.w.control(func(fr *frameWriter) error {
		if err := fr.WriteGoAway(maxStreamID, http2.ErrCodeNo, []byte(debug)); err != nil {
			return err
		}
		return fr.WritePing(false, drainPing)
	}))
}

func (t *ServerTransport) finalGoAway() {
	t.mu.Lock()
	if t.closed || t.drainPhase != 1 {
		t.mu.Unlock()
		return
	}
	t.drainPhase = 2
	last := t.maxStreamID.Load()
	t.goAwayLast = last
	debug := t.drainDebug
	t.drainTimer.Stop()
	t.mu.Unlock()
	t.writeFailed(t.w.control(func(fr *frameWriter) error {
		return fr.WriteGoAway(last, http2.ErrCodeNo, []byte(debug))
	}))
	t.mu.Lock()
	idle := t.drainedLocked()
	t.mu.Unlock()
	if idle {
		t.closeDrained()
	}
}
