package service

import (
	"context"
	"net"
	"testing"

	channelzpb "google.golang.org/grpc/channelz/grpc_channelz_v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/channelz"
	"google.golang.org/grpc/status"
)

func reset(t *testing.T) {
	t.Helper()
	channelz.ResetForTesting()
	t.Cleanup(channelz.ResetForTesting)
}

func TestChannels(t *testing.T) {
	reset(t)
	ctx := context.Background()
	s := &server{}
	c := channelz.RegisterChannel(nil, "dns:///example")
	c.ChannelMetrics.SetState(connectivity.Ready)
	c.ChannelMetrics.CallStarted()
	c.ChannelMetrics.CallEnded(false)
	sc := channelz.RegisterSubChannel(c, "")
	sc.ChannelMetrics.SetState(connectivity.Connecting)
	sk := channelz.RegisterSocket(sc, channelz.SocketTypeNormal, channelz.SocketInfo{
		LocalAddr:  &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1000},
		RemoteAddr: &net.UnixAddr{Name: "/tmp/sock", Net: "unix"},
		Security:   &credentials.TLSChannelzSecurityValue{StandardName: "TLS_AES_128_GCM_SHA256", RemoteCertificate: []byte{1}},
		Ephemeral: func() channelz.EphemeralSocketMetrics {
			return channelz.EphemeralSocketMetrics{LocalFlowControlWindow: 7, RemoteFlowControlWindow: 9}
		},
	})
	sk.SocketMetrics.MessageSent()

	top, err := s.GetTopChannels(ctx, &channelzpb.GetTopChannelsRequest{})
	if err != nil || len(top.Channel) != 1 || !top.End {
		t.Fatalf("GetTopChannels = %v, %v", top, err)
	}
	ch := top.Channel[0]
	d := ch.GetData()
	if ch.GetRef().GetChannelId() != c.ID || d.GetTarget() != "dns:///example" || d.GetState().GetState() != channelzpb.ChannelConnectivityState_READY ||
		d.GetCallsStarted() != 1 || d.GetCallsFailed() != 1 || d.GetLastCallStartedTimestamp() == nil {
		t.Fatalf("channel = %v", ch)
	}
	if len(ch.GetSubchannelRef()) != 1 || ch.GetSubchannelRef()[0].GetSubchannelId() != sc.ID {
		t.Fatalf("subchannel refs = %v", ch.GetSubchannelRef())
	}
	if n := len(d.GetTrace().GetEvents()); n != 2 {
		t.Fatalf("channel trace has %d events, want 2", n)
	}

	scResp, err := s.GetSubchannel(ctx, &channelzpb.GetSubchannelRequest{SubchannelId: sc.ID})
	if err != nil || scResp.GetSubchannel().GetData().GetState().GetState() != channelzpb.ChannelConnectivityState_CONNECTING ||
		len(scResp.GetSubchannel().GetSocketRef()) != 1 {
		t.Fatalf("GetSubchannel = %v, %v", scResp, err)
	}

	skResp, err := s.GetSocket(ctx, &channelzpb.GetSocketRequest{SocketId: sk.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := skResp.GetSocket()
	if got.GetData().GetMessagesSent() != 1 || got.GetData().GetLocalFlowControlWindow().GetValue() != 7 || got.GetData().GetRemoteFlowControlWindow().GetValue() != 9 {
		t.Fatalf("socket data = %v", got.GetData())
	}
	if tcp := got.GetLocal().GetTcpipAddress(); len(tcp.GetIpAddress()) != 4 || tcp.GetPort() != 1000 {
		t.Fatalf("local = %v", got.GetLocal())
	}
	if got.GetRemote().GetUdsAddress().GetFilename() != "/tmp/sock" {
		t.Fatalf("remote = %v", got.GetRemote())
	}
	if tls := got.GetSecurity().GetTls(); tls.GetStandardName() != "TLS_AES_128_GCM_SHA256" || len(tls.GetRemoteCertificate()) != 1 {
		t.Fatalf("security = %v", got.GetSecurity())
	}
	sum, err := s.GetSocket(ctx, &channelzpb.GetSocketRequest{SocketId: sk.ID, Summary: true})
	if err != nil || sum.GetSocket().GetLocal() != nil || sum.GetSocket().GetData().GetMessagesSent() != 1 {
		t.Fatalf("summary socket = %v, %v", sum, err)
	}
}

func TestServers(t *testing.T) {
	reset(t)
	ctx := context.Background()
	s := &server{}
	srv := channelz.RegisterServer("")
	srv.ServerMetrics.CallStarted()
	srv.ServerMetrics.CallEnded(true)
	lis := channelz.RegisterSocket(srv, channelz.SocketTypeListen, channelz.SocketInfo{RefName: "[::]:1"})
	var conns []int64
	for range 3 {
		conns = append(conns, channelz.RegisterSocket(srv, channelz.SocketTypeNormal, channelz.SocketInfo{}).ID)
	}
	resp, err := s.GetServers(ctx, &channelzpb.GetServersRequest{})
	if err != nil || len(resp.GetServer()) != 1 || !resp.GetEnd() {
		t.Fatalf("GetServers = %v, %v", resp, err)
	}
	got := resp.GetServer()[0]
	if got.GetData().GetCallsSucceeded() != 1 || len(got.GetListenSocket()) != 1 || got.GetListenSocket()[0].GetSocketId() != lis.ID || got.GetListenSocket()[0].GetName() != "[::]:1" {
		t.Fatalf("server = %v", got)
	}
	one, err := s.GetServer(ctx, &channelzpb.GetServerRequest{ServerId: srv.ID})
	if err != nil || one.GetServer().GetRef().GetServerId() != srv.ID {
		t.Fatalf("GetServer = %v, %v", one, err)
	}
	page, err := s.GetServerSockets(ctx, &channelzpb.GetServerSocketsRequest{ServerId: srv.ID, MaxResults: 2})
	if err != nil || len(page.GetSocketRef()) != 2 || page.GetEnd() || page.GetSocketRef()[0].GetSocketId() != conns[0] {
		t.Fatalf("first page = %v, %v", page, err)
	}
	page, err = s.GetServerSockets(ctx, &channelzpb.GetServerSocketsRequest{ServerId: srv.ID, StartSocketId: conns[2]})
	if err != nil || len(page.GetSocketRef()) != 1 || !page.GetEnd() {
		t.Fatalf("second page = %v, %v", page, err)
	}
}

func TestNotFound(t *testing.T) {
	reset(t)
	ctx := context.Background()
	s := &server{}
	const id = 4242
	for name, call := range map[string]func() error{
		"GetChannel": func() error { _, err := s.GetChannel(ctx, &channelzpb.GetChannelRequest{ChannelId: id}); return err },
		"GetSubchannel": func() error {
			_, err := s.GetSubchannel(ctx, &channelzpb.GetSubchannelRequest{SubchannelId: id})
			return err
		},
		"GetServer": func() error { _, err := s.GetServer(ctx, &channelzpb.GetServerRequest{ServerId: id}); return err },
		"GetSocket": func() error { _, err := s.GetSocket(ctx, &channelzpb.GetSocketRequest{SocketId: id}); return err },
	} {
		if err := call(); status.Code(err) != codes.NotFound {
			t.Errorf("%s(%d) error = %v, want NotFound", name, id, err)
		}
	}
}
