package channelz

import (
	"slices"
	"strconv"
	"sync"
)

// EntriesPerPage is the page size of the Get* listings when the caller
// asks for none in particular.
var EntriesPerPage = 50

// registry holds every recorded entity by id. An entity removed while it
// still has children stays (marked removed) until its last child goes, so
// that the tree can always be walked from the top.
type registry struct {
	mu          sync.RWMutex
	top         map[int64]*Channel
	channels    map[int64]*Channel
	subChannels map[int64]*SubChannel
	servers     map[int64]*Server
	sockets     map[int64]*Socket
}

var db = newRegistry()

func newRegistry() *registry {
	return &registry{
		top:         make(map[int64]*Channel),
		channels:    make(map[int64]*Channel),
		subChannels: make(map[int64]*SubChannel),
		servers:     make(map[int64]*Server),
		sockets:     make(map[int64]*Socket),
	}
}

// ResetForTesting forgets every entity and restarts ids at 1.
func ResetForTesting() {
	fresh := newRegistry()
	db.mu.Lock()
	db.top, db.channels, db.subChannels = fresh.top, fresh.channels, fresh.subChannels
	db.servers, db.sockets = fresh.servers, fresh.sockets
	db.mu.Unlock()
	IDGen.Reset()
}

// RegisterChannel creates a channel with target as its name and target. A
// nil parent makes it a top channel; otherwise it is nested in parent.
func RegisterChannel(parent *Channel, target string) *Channel {
	c := &Channel{ID: IDGen.next(), RefName: target, Parent: parent}
	c.ChannelMetrics.SetTarget(target)
	if !IsOn() {
		return c
	}
	c.trace = newTrace()
	c.nested = make(map[int64]string)
	c.subs = make(map[int64]string)
	db.mu.Lock()
	db.channels[c.ID] = c
	if parent == nil {
		db.top[c.ID] = c
	} else if parent.nested != nil {
		parent.nested[c.ID] = target
	}
	db.mu.Unlock()
	if parent == nil {
		Infof(c, "Channel created")
	} else {
		Infof(c, "Nested Channel created")
		AddTraceEvent(parent, &TraceEvent{
			Desc:     "Nested Channel(id:" + itoa(c.ID) + ") created",
			Severity: CtInfo,
			Child:    &ChildRef{Kind: KindChannel, ID: c.ID, Name: target},
		})
	}
	return c
}

// RegisterSubChannel creates a subchannel of parent named ref.
func RegisterSubChannel(parent *Channel, ref string) *SubChannel {
	sc := &SubChannel{ID: IDGen.next(), RefName: ref, Parent: parent}
	if !IsOn() {
		return sc
	}
	sc.trace = newTrace()
	sc.sockets = make(map[int64]string)
	db.mu.Lock()
	db.subChannels[sc.ID] = sc
	if parent != nil && parent.subs != nil {
		parent.subs[sc.ID] = ref
	}
	db.mu.Unlock()
	Infof(sc, "Subchannel created")
	if parent != nil {
		AddTraceEvent(parent, &TraceEvent{
			Desc:     "Subchannel(id:" + itoa(sc.ID) + ") created",
			Severity: CtInfo,
			Child:    &ChildRef{Kind: KindSubChannel, ID: sc.ID, Name: ref},
		})
	}
	return sc
}

// RegisterServer creates a server named ref.
func RegisterServer(ref string) *Server {
	s := &Server{ID: IDGen.next(), RefName: ref}
	if !IsOn() {
		return s
	}
	s.trace = newTrace()
	s.listeners = make(map[int64]string)
	s.conns = make(map[int64]string)
	db.mu.Lock()
	db.servers[s.ID] = s
	db.mu.Unlock()
	Infof(s, "Server created")
	return s
}

// RegisterSocket creates a socket of the given kind under parent, which
// must be a *SubChannel or a *Server (listeners belong to servers only).
func RegisterSocket(parent Entity, kind SocketKind, info SocketInfo) *Socket {
	s := &Socket{ID: IDGen.next(), SocketType: kind, Parent: parent, SocketInfo: info}
	if !IsOn() {
		return s
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	db.sockets[s.ID] = s
	switch p := parent.(type) {
	case *SubChannel:
		if p.sockets != nil {
			p.sockets[s.ID] = info.RefName
		}
	case *Server:
		m := p.conns
		if kind == SocketTypeListen {
			m = p.listeners
		}
		if m != nil {
			m[s.ID] = info.RefName
		}
	}
	return s
}

// RemoveEntry takes the entity with the given id out of the registry. An
// entity that still has children leaves when its last child does.
func RemoveEntry(id int64) {
	if !IsOn() {
		return
	}
	var events []func()
	db.mu.Lock()
	events = db.removeLocked(id, events)
	db.mu.Unlock()
	for _, f := range events {
		f()
	}
}

// removeLocked removes id if it has no children, detaching it from its
// parent and retrying the parent when that was only waiting for its
// children. Trace events to add after unlocking are appended to ev.
func (r *registry) removeLocked(id int64, ev []func()) []func() {
	if c, ok := r.channels[id]; ok {
		c.removed = true
		if len(c.nested) > 0 || len(c.subs) > 0 {
			return ev
		}
		delete(r.channels, id)
		delete(r.top, id)
		if p := c.Parent; p != nil {
			delete(p.nested, id)
			ev = append(ev, func() {
				AddTraceEvent(p, &TraceEvent{
					Desc:     "Nested channel(id:" + itoa(id) + ") deleted",
					Severity: CtInfo,
					Child:    &ChildRef{Kind: KindChannel, ID: id, Name: c.RefName},
				})
			})
			if p.removed {
				ev = r.removeLocked(p.ID, ev)
			}
		}
		return ev
	}
	if sc, ok := r.subChannels[id]; ok {
		sc.removed = true
		if len(sc.sockets) > 0 {
			return ev
		}
		delete(r.subChannels, id)
		if p := sc.Parent; p != nil {
			delete(p.subs, id)
			ev = append(ev, func() {
				AddTraceEvent(p, &TraceEvent{
					Desc:     "Subchannel(id:" + itoa(id) + ") deleted",
					Severity: CtInfo,
					Child:    &ChildRef{Kind: KindSubChannel, ID: id, Name: sc.RefName},
				})
			})
			if p.removed {
				ev = r.removeLocked(p.ID, ev)
			}
		}
		return ev
	}
	if s, ok := r.servers[id]; ok {
		s.removed = true
		if len(s.listeners) > 0 || len(s.conns) > 0 {
			return ev
		}
		delete(r.servers, id)
		return ev
	}
	if s, ok := r.sockets[id]; ok {
		delete(r.sockets, id)
		switch p := s.Parent.(type) {
		case *SubChannel:
			delete(p.sockets, id)
			if p.removed {
				ev = r.removeLocked(p.ID, ev)
			}
		case *Server:
			delete(p.listeners, id)
			delete(p.conns, id)
			if p.removed {
				ev = r.removeLocked(p.ID, ev)
			}
		}
	}
	return ev
}

// page returns the values of m with id >= start in id order, at most max
// of them (EntriesPerPage when max <= 0), and whether none are left after.
func page[T any](m map[int64]T, start int64, max int) ([]T, bool) {
	if max <= 0 {
		max = EntriesPerPage
	}
	ids := make([]int64, 0, len(m))
	for id := range m {
		if id >= start {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	end := len(ids) <= max
	if !end {
		ids = ids[:max]
	}
	out := make([]T, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out, end
}

// GetTopChannels lists top channels with id >= start, in id order, up to
// max of them; end reports that no more follow.
func GetTopChannels(start int64, max int) (chans []*Channel, end bool) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return page(db.top, start, max)
}

// GetServers lists servers with id >= start, in id order, up to max of
// them; end reports that no more follow.
func GetServers(start int64, max int) (servers []*Server, end bool) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return page(db.servers, start, max)
}

// GetServerSockets lists the connections (not listeners) of server id with
// socket id >= start, in id order, up to max of them; end reports that no
// more follow. An unknown server has none.
func GetServerSockets(id, start int64, max int) (sockets []*Socket, end bool) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	s, ok := db.servers[id]
	if !ok {
		return nil, true
	}
	m := make(map[int64]*Socket, len(s.conns))
	for sid := range s.conns {
		if skt, ok := db.sockets[sid]; ok {
			m[sid] = skt
		}
	}
	return page(m, start, max)
}

// GetChannel returns the channel with id, or nil.
func GetChannel(id int64) *Channel {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.channels[id]
}

// GetSubChannel returns the subchannel with id, or nil.
func GetSubChannel(id int64) *SubChannel {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.subChannels[id]
}

// GetServer returns the server with id, or nil.
func GetServer(id int64) *Server {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.servers[id]
}

// GetSocket returns the socket with id, or nil.
func GetSocket(id int64) *Socket {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.sockets[id]
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
