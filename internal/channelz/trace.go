package channelz

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Severity grades a trace event.
type Severity int

// The severities, numbered as in the channelz protocol.
const (
	CtUnknown Severity = iota
	CtInfo
	CtWarning
	CtError
)

// ChildRef names the child entity a trace event is about.
type ChildRef struct {
	Kind EntityKind
	ID   int64
	Name string
}

// TraceEvent is one recorded event.
type TraceEvent struct {
	Desc      string
	Severity  Severity
	Timestamp time.Time
	// Child, if not nil, is the channel or subchannel the event concerns.
	Child *ChildRef
}

// defaultMaxTraceEvents bounds each entity's trace; the oldest events make
// room for new ones.
const defaultMaxTraceEvents = 30

var maxTraceEvents atomic.Int32

func init() { maxTraceEvents.Store(defaultMaxTraceEvents) }

// SetMaxTraceEntry changes how many events each entity keeps from now on;
// 0 disables tracing.
func SetMaxTraceEntry(n int32) { maxTraceEvents.Store(max(n, 0)) }

// ResetMaxTraceEntryToDefault restores the default trace length.
func ResetMaxTraceEntryToDefault() { maxTraceEvents.Store(defaultMaxTraceEvents) }

// ChannelTrace is the bounded event log of a channel, subchannel or server.
type ChannelTrace struct {
	created time.Time

	mu     sync.Mutex
	total  int64         // events ever added
	events []*TraceEvent // oldest first
}

func newTrace() *ChannelTrace { return &ChannelTrace{created: time.Now()} }

func (t *ChannelTrace) add(ev *TraceEvent) {
	limit := int(maxTraceEvents.Load())
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	if limit == 0 {
		t.events = nil
		return
	}
	if len(t.events) >= limit {
		// Drop the oldest events; the log is short, so shifting is cheap.
		n := copy(t.events, t.events[len(t.events)-limit+1:])
		clear(t.events[n:])
		t.events = t.events[:n]
	}
	t.events = append(t.events, ev)
}

// TraceSnapshot is a copy of a trace at one instant.
type TraceSnapshot struct {
	CreationTime time.Time
	// EventNum counts every event ever recorded, including evicted ones.
	EventNum int64
	// Events are the retained events, oldest first.
	Events []*TraceEvent
}

// Snapshot copies the trace.
func (t *ChannelTrace) Snapshot() TraceSnapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return TraceSnapshot{CreationTime: t.created, EventNum: t.total, Events: append([]*TraceEvent(nil), t.events...)}
}

// AddTraceEvent records ev on the trace of e, when e is a channel,
// subchannel or server that is recorded in the registry. A zero Timestamp
// is set to now.
func AddTraceEvent(e Entity, ev *TraceEvent) {
	if !IsOn() || e == nil {
		return
	}
	t := traceOf(e)
	if t == nil {
		return
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = time.Now()
	}
	t.add(ev)
}

// Infof records an informational event on e.
func Infof(e Entity, format string, args ...any) {
	if !IsOn() {
		return
	}
	AddTraceEvent(e, &TraceEvent{Desc: fmt.Sprintf(format, args...), Severity: CtInfo})
}

// Warningf records a warning event on e.
func Warningf(e Entity, format string, args ...any) {
	if !IsOn() {
		return
	}
	AddTraceEvent(e, &TraceEvent{Desc: fmt.Sprintf(format, args...), Severity: CtWarning})
}

func traceOf(e Entity) *ChannelTrace {
	switch v := e.(type) {
	case *Channel:
		if v != nil {
			return v.trace
		}
	case *SubChannel:
		if v != nil {
			return v.trace
		}
	case *Server:
		if v != nil {
			return v.trace
		}
	}
	return nil
}
