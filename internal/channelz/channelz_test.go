package channelz

import (
	"net"
	"testing"

	"google.golang.org/grpc/connectivity"
)

func setup(t *testing.T) {
	t.Helper()
	ResetForTesting()
	TurnOn()
	t.Cleanup(func() {
		ResetForTesting()
		ResetMaxTraceEntryToDefault()
	})
}

func TestIDsIncreaseFromOne(t *testing.T) {
	setup(t)
	c := RegisterChannel(nil, "a")
	sc := RegisterSubChannel(c, "")
	s := RegisterServer("")
	sk := RegisterSocket(sc, SocketTypeNormal, SocketInfo{})
	for i, id := range []int64{c.ID, sc.ID, s.ID, sk.ID} {
		if id != int64(i+1) {
			t.Errorf("entity %d got id %d, want %d", i, id, i+1)
		}
	}
}

func TestOffDoesNotRecord(t *testing.T) {
	setup(t)
	TurnOffForTesting()
	defer TurnOn()
	c := RegisterChannel(nil, "off")
	if c.ID == 0 {
		t.Fatal("no id allocated while off")
	}
	if GetChannel(c.ID) != nil {
		t.Fatal("channel recorded while off")
	}
	// Removing and tracing an unrecorded entity are no-ops.
	Infof(c, "ignored")
	RemoveEntry(c.ID)
}

func TestTreeAndRemoval(t *testing.T) {
	setup(t)
	top := RegisterChannel(nil, "dns:///x")
	nested := RegisterChannel(top, "nested")
	sc := RegisterSubChannel(top, "sc")
	sk := RegisterSocket(sc, SocketTypeNormal, SocketInfo{RefName: "conn"})

	if got := top.NestedChans(); len(got) != 1 || got[nested.ID] != "nested" {
		t.Fatalf("NestedChans = %v", got)
	}
	if got := top.SubChans(); len(got) != 1 || got[sc.ID] != "sc" {
		t.Fatalf("SubChans = %v", got)
	}
	if got := sc.Sockets(); len(got) != 1 || got[sk.ID] != "conn" {
		t.Fatalf("Sockets = %v", got)
	}
	chans, end := GetTopChannels(0, 0)
	if len(chans) != 1 || chans[0] != top || !end {
		t.Fatalf("GetTopChannels = %v, %v", chans, end)
	}

	// A parent removed before its children stays until they are gone.
	RemoveEntry(top.ID)
	if GetChannel(top.ID) == nil {
		t.Fatal("top channel gone while it has children")
	}
	RemoveEntry(nested.ID)
	RemoveEntry(sc.ID)
	if GetSubChannel(sc.ID) == nil {
		t.Fatal("subchannel gone while it has a socket")
	}
	RemoveEntry(sk.ID)
	for _, gone := range []bool{GetChannel(top.ID) == nil, GetChannel(nested.ID) == nil, GetSubChannel(sc.ID) == nil, GetSocket(sk.ID) == nil} {
		if !gone {
			t.Fatal("entity still present after all removals")
		}
	}
	if chans, _ := GetTopChannels(0, 0); len(chans) != 0 {
		t.Fatalf("top channels left: %v", chans)
	}
}

func TestServerSockets(t *testing.T) {
	setup(t)
	s := RegisterServer("srv")
	lis := RegisterSocket(s, SocketTypeListen, SocketInfo{RefName: "127.0.0.1:1", LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}})
	var conns []*Socket
	for range 5 {
		conns = append(conns, RegisterSocket(s, SocketTypeNormal, SocketInfo{}))
	}
	if got := s.ListenSockets(); len(got) != 1 || got[lis.ID] != "127.0.0.1:1" {
		t.Fatalf("ListenSockets = %v", got)
	}
	page1, end := GetServerSockets(s.ID, 0, 2)
	if len(page1) != 2 || end || page1[0] != conns[0] || page1[1] != conns[1] {
		t.Fatalf("first page = %v, end %v", page1, end)
	}
	page2, end := GetServerSockets(s.ID, page1[1].ID+1, 10)
	if len(page2) != 3 || !end || page2[0] != conns[2] {
		t.Fatalf("second page = %v, end %v", page2, end)
	}
	if skts, end := GetServerSockets(12345, 0, 0); skts != nil || !end {
		t.Fatalf("unknown server: %v, %v", skts, end)
	}
	RemoveEntry(s.ID)
	if GetServer(s.ID) == nil {
		t.Fatal("server gone while it has sockets")
	}
	RemoveEntry(lis.ID)
	for _, c := range conns {
		RemoveEntry(c.ID)
	}
	if GetServer(s.ID) != nil {
		t.Fatal("server still present")
	}
}

func TestPagination(t *testing.T) {
	setup(t)
	var ids []int64
	for range 7 {
		ids = append(ids, RegisterServer("").ID)
	}
	got, end := GetServers(ids[2], 3)
	if len(got) != 3 || end || got[0].ID != ids[2] || got[2].ID != ids[4] {
		t.Fatalf("GetServers(%d, 3) = %v, %v", ids[2], got, end)
	}
	got, end = GetServers(ids[5], 3)
	if len(got) != 2 || !end {
		t.Fatalf("GetServers(%d, 3) = %v, %v", ids[5], got, end)
	}
	old := EntriesPerPage
	EntriesPerPage = 4
	defer func() { EntriesPerPage = old }()
	if got, end := GetServers(0, 0); len(got) != 4 || end {
		t.Fatalf("default page = %d entries, end %v", len(got), end)
	}
}

func TestMetrics(t *testing.T) {
	setup(t)
	c := RegisterChannel(nil, "target")
	m := &c.ChannelMetrics
	if m.Target() != "target" {
		t.Fatalf("Target = %q", m.Target())
	}
	m.SetState(connectivity.Ready)
	if m.State() != connectivity.Ready {
		t.Fatalf("State = %v", m.State())
	}
	m.CallStarted()
	m.CallStarted()
	m.CallEnded(true)
	m.CallEnded(false)
	if m.CallsStarted.Load() != 2 || m.CallsSucceeded.Load() != 1 || m.CallsFailed.Load() != 1 || m.LastCallStartedTimestamp.Load() == 0 {
		t.Fatalf("calls %d/%d/%d ts %d", m.CallsStarted.Load(), m.CallsSucceeded.Load(), m.CallsFailed.Load(), m.LastCallStartedTimestamp.Load())
	}

	var sm SocketMetrics
	sm.LocalStreamStarted()
	sm.RemoteStreamStarted()
	sm.StreamEnded(true)
	sm.StreamEnded(false)
	sm.MessageSent()
	sm.MessageReceived()
	if sm.StreamsStarted.Load() != 2 || sm.StreamsSucceeded.Load() != 1 || sm.StreamsFailed.Load() != 1 ||
		sm.MessagesSent.Load() != 1 || sm.MessagesReceived.Load() != 1 ||
		sm.LastLocalStreamCreatedTimestamp.Load() == 0 || sm.LastRemoteStreamCreatedTimestamp.Load() == 0 ||
		sm.LastMessageSentTimestamp.Load() == 0 || sm.LastMessageReceivedTimestamp.Load() == 0 {
		t.Fatal("socket metrics not all updated")
	}
}

func TestTrace(t *testing.T) {
	setup(t)
	c := RegisterChannel(nil, "t")
	sc := RegisterSubChannel(c, "")
	tr := c.Trace()
	if tr.EventNum != 2 || len(tr.Events) != 2 || tr.Events[0].Desc != "Channel created" {
		t.Fatalf("trace = %+v", tr)
	}
	if ch := tr.Events[1].Child; ch == nil || ch.Kind != KindSubChannel || ch.ID != sc.ID {
		t.Fatalf("subchannel event child = %+v", ch)
	}

	SetMaxTraceEntry(3)
	for i := range 10 {
		Infof(c, "event %d", i)
	}
	tr = c.Trace()
	if tr.EventNum != 12 || len(tr.Events) != 3 || tr.Events[0].Desc != "event 7" || tr.Events[2].Desc != "event 9" {
		t.Fatalf("bounded trace: num %d, events %d, first %q", tr.EventNum, len(tr.Events), tr.Events[0].Desc)
	}
	SetMaxTraceEntry(0)
	Warningf(c, "dropped")
	if tr := c.Trace(); len(tr.Events) != 0 || tr.EventNum != 13 {
		t.Fatalf("disabled trace kept %d events, num %d", len(tr.Events), tr.EventNum)
	}
}

func TestString(t *testing.T) {
	setup(t)
	c := RegisterChannel(nil, "t")
	sc := RegisterSubChannel(c, "")
	sk := RegisterSocket(sc, SocketTypeNormal, SocketInfo{})
	if got, want := sk.String(), "Channel #1 SubChannel #2 NormalSocket #3"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

// BenchmarkCallCounters shows the per-RPC cost of the channel counters.
func BenchmarkCallCounters(b *testing.B) {
	var m ChannelMetrics
	b.ReportAllocs()
	for b.Loop() {
		m.CallStarted()
		m.CallEnded(true)
	}
}
