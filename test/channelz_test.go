package test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	channelzpb "google.golang.org/grpc/channelz/grpc_channelz_v1"
	"google.golang.org/grpc/channelz/service"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	ichannelz "google.golang.org/grpc/internal/channelz"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/status"
)

// Importing the channelz service switches recording on for the whole test
// binary. It is switched off again here and only on while the channelz
// tests run, so that the other tests and benchmarks of this package are
// measured without it.
func init() { ichannelz.TurnOffForTesting() }

func enableChannelz(t *testing.T) {
	ichannelz.TurnOn()
	t.Cleanup(ichannelz.TurnOffForTesting)
}

// startChannelz serves the channelz service on its own server and returns
// a client for it.
func startChannelz(t *testing.T) (channelzpb.ChannelzClient, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	service.RegisterChannelzServiceToServer(srv)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return channelzpb.NewChannelzClient(cc), func() {
		cc.Close()
		srv.Stop()
		<-done
	}
}

// findTopChannel pages through the top channels (two at a time, to
// exercise pagination) looking for the one named target.
func findTopChannel(ctx context.Context, t *testing.T, cz channelzpb.ChannelzClient, target string) *channelzpb.Channel {
	t.Helper()
	start := int64(0)
	for {
		resp, err := cz.GetTopChannels(ctx, &channelzpb.GetTopChannelsRequest{StartChannelId: start, MaxResults: 2})
		if err != nil {
			t.Fatalf("GetTopChannels: %v", err)
		}
		for _, c := range resp.GetChannel() {
			if c.GetRef().GetName() == target {
				return c
			}
			start = c.GetRef().GetChannelId() + 1
		}
		if resp.GetEnd() {
			return nil
		}
	}
}

// findServer finds the server listening on addr.
func findServer(ctx context.Context, t *testing.T, cz channelzpb.ChannelzClient, addr string) *channelzpb.Server {
	t.Helper()
	resp, err := cz.GetServers(ctx, &channelzpb.GetServersRequest{})
	if err != nil {
		t.Fatalf("GetServers: %v", err)
	}
	for _, s := range resp.GetServer() {
		for _, ls := range s.GetListenSocket() {
			if ls.GetName() == addr {
				return s
			}
		}
	}
	return nil
}

// waitFor polls cond until it holds or the context ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestChannelzEndToEnd(t *testing.T) {
	defer leakcheck.Check(t)
	enableChannelz(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	cz, stopCZ := startChannelz(t)
	defer stopCZ()

	e := newEnv(t, nil, nil)
	stopped := false
	defer func() {
		if !stopped {
			e.stop()
		}
	}()
	if _, err := e.client.Unary(ctx, &testpb.Request{Payload: payload(10)}); err != nil {
		t.Fatalf("Unary: %v", err)
	}
	_, err := e.client.Unary(ctx, &testpb.Request{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "nope"}})
	wantCode(t, err, codes.NotFound)

	// The channel.
	top := findTopChannel(ctx, t, cz, e.addr)
	if top == nil {
		t.Fatalf("no top channel named %q", e.addr)
	}
	chID := top.GetRef().GetChannelId()
	chResp, err := cz.GetChannel(ctx, &channelzpb.GetChannelRequest{ChannelId: chID})
	if err != nil {
		t.Fatalf("GetChannel(%d): %v", chID, err)
	}
	d := chResp.GetChannel().GetData()
	if d.GetTarget() != e.addr || d.GetState().GetState() != channelzpb.ChannelConnectivityState_READY {
		t.Errorf("channel target %q state %v, want %q READY", d.GetTarget(), d.GetState().GetState(), e.addr)
	}
	if d.GetCallsStarted() != 2 || d.GetCallsSucceeded() != 1 || d.GetCallsFailed() != 1 || d.GetLastCallStartedTimestamp() == nil {
		t.Errorf("channel calls started/succeeded/failed = %d/%d/%d (last %v), want 2/1/1",
			d.GetCallsStarted(), d.GetCallsSucceeded(), d.GetCallsFailed(), d.GetLastCallStartedTimestamp())
	}
	if len(d.GetTrace().GetEvents()) == 0 {
		t.Error("channel trace is empty")
	}

	// Its subchannel.
	scRefs := chResp.GetChannel().GetSubchannelRef()
	if len(scRefs) != 1 {
		t.Fatalf("channel has %d subchannels, want 1", len(scRefs))
	}
	scID := scRefs[0].GetSubchannelId()
	scResp, err := cz.GetSubchannel(ctx, &channelzpb.GetSubchannelRequest{SubchannelId: scID})
	if err != nil {
		t.Fatalf("GetSubchannel(%d): %v", scID, err)
	}
	sd := scResp.GetSubchannel().GetData()
	if sd.GetState().GetState() != channelzpb.ChannelConnectivityState_READY {
		t.Errorf("subchannel state %v, want READY", sd.GetState().GetState())
	}
	if sd.GetCallsStarted() != 2 || sd.GetCallsSucceeded() != 1 || sd.GetCallsFailed() != 1 {
		t.Errorf("subchannel calls = %d/%d/%d, want 2/1/1", sd.GetCallsStarted(), sd.GetCallsSucceeded(), sd.GetCallsFailed())
	}

	// The server.
	srv := findServer(ctx, t, cz, e.addr)
	if srv == nil {
		t.Fatalf("no server listening on %q", e.addr)
	}
	srvID := srv.GetRef().GetServerId()
	if sd := srv.GetData(); sd.GetCallsStarted() != 2 || sd.GetCallsSucceeded() != 1 || sd.GetCallsFailed() != 1 || sd.GetLastCallStartedTimestamp() == nil {
		t.Errorf("server calls = %d/%d/%d, want 2/1/1", sd.GetCallsStarted(), sd.GetCallsSucceeded(), sd.GetCallsFailed())
	}
	if _, err := cz.GetServer(ctx, &channelzpb.GetServerRequest{ServerId: srvID}); err != nil {
		t.Errorf("GetServer(%d): %v", srvID, err)
	}

	checkSockets(ctx, t, cz, scResp.GetSubchannel(), srvID)

	// Closing the channel removes it and its subchannel; stopping the
	// server removes it too.
	e.stop()
	stopped = true
	waitFor(ctx, t, "the channel to be removed", func() bool {
		_, err := cz.GetChannel(ctx, &channelzpb.GetChannelRequest{ChannelId: chID})
		return status.Code(err) == codes.NotFound
	})
	waitFor(ctx, t, "the subchannel to be removed", func() bool {
		_, err := cz.GetSubchannel(ctx, &channelzpb.GetSubchannelRequest{SubchannelId: scID})
		return status.Code(err) == codes.NotFound
	})
	waitFor(ctx, t, "the server to be removed", func() bool {
		_, err := cz.GetServer(ctx, &channelzpb.GetServerRequest{ServerId: srvID})
		return status.Code(err) == codes.NotFound
	})
	if c := findTopChannel(ctx, t, cz, e.addr); c != nil {
		t.Errorf("channel %d still listed after Close", c.GetRef().GetChannelId())
	}
}

// checkSockets checks the client connection under the subchannel sc and
// the server connection of server srvID after one successful and one
// failed unary RPC. Both RPCs received END_STREAM, so both streams count as
// succeeded; only the successful one carried a response message.
func checkSockets(ctx context.Context, t *testing.T, cz channelzpb.ChannelzClient, sc *channelzpb.Subchannel, srvID int64) {
	t.Helper()
	refs := sc.GetSocketRef()
	if len(refs) != 1 {
		t.Fatalf("subchannel has %d sockets, want 1", len(refs))
	}
	var client *channelzpb.Socket
	waitFor(ctx, t, "the client socket counters", func() bool {
		resp, err := cz.GetSocket(ctx, &channelzpb.GetSocketRequest{SocketId: refs[0].GetSocketId()})
		if err != nil {
			t.Fatalf("GetSocket(%d): %v", refs[0].GetSocketId(), err)
		}
		client = resp.GetSocket()
		d := client.GetData()
		return d.GetStreamsStarted() == 2 && d.GetStreamsSucceeded() == 2 && d.GetMessagesSent() == 2 && d.GetMessagesReceived() == 1
	})
	d := client.GetData()
	if d.GetStreamsFailed() != 0 || d.GetLastLocalStreamCreatedTimestamp() == nil || d.GetLastMessageSentTimestamp() == nil ||
		d.GetLastMessageReceivedTimestamp() == nil || d.GetLocalFlowControlWindow() == nil {
		t.Errorf("client socket data = %v", d)
	}

	srvSockets, err := cz.GetServerSockets(ctx, &channelzpb.GetServerSocketsRequest{ServerId: srvID})
	if err != nil {
		t.Fatalf("GetServerSockets(%d): %v", srvID, err)
	}
	if len(srvSockets.GetSocketRef()) != 1 || !srvSockets.GetEnd() {
		t.Fatalf("server sockets = %v, want one", srvSockets)
	}
	var server *channelzpb.Socket
	waitFor(ctx, t, "the server socket counters", func() bool {
		resp, err := cz.GetSocket(ctx, &channelzpb.GetSocketRequest{SocketId: srvSockets.GetSocketRef()[0].GetSocketId()})
		if err != nil {
			t.Fatalf("GetSocket: %v", err)
		}
		server = resp.GetSocket()
		d := server.GetData()
		return d.GetStreamsStarted() == 2 && d.GetStreamsSucceeded() == 2 && d.GetMessagesReceived() == 2 && d.GetMessagesSent() == 1
	})
	if d := server.GetData(); d.GetLastRemoteStreamCreatedTimestamp() == nil || d.GetStreamsFailed() != 0 {
		t.Errorf("server socket data = %v", d)
	}

	// The two ends see the same connection.
	cl, cr := client.GetLocal().GetTcpipAddress(), client.GetRemote().GetTcpipAddress()
	sl, sr := server.GetLocal().GetTcpipAddress(), server.GetRemote().GetTcpipAddress()
	if cl == nil || cr == nil || cl.GetPort() != sr.GetPort() || cr.GetPort() != sl.GetPort() {
		t.Errorf("client %v -> %v, server %v <- %v: addresses do not match", client.GetLocal(), client.GetRemote(), server.GetLocal(), server.GetRemote())
	}
}

// TestChannelzNestedTLS checks WithChannelzParentID and the security
// details of a TLS connection.
func TestChannelzNestedTLS(t *testing.T) {
	defer leakcheck.Check(t)
	enableChannelz(t)
	ctx, cancel := testCtx(t)
	defer cancel()
	cz, stopCZ := startChannelz(t)
	defer stopCZ()

	parent := ichannelz.RegisterChannel(nil, "channelz-test-parent")
	defer ichannelz.RemoveEntry(parent.ID)
	creds, err := credentials.NewClientTLSFromFile(x509File("server_ca_cert.pem"), "")
	if err != nil {
		t.Fatal(err)
	}
	e := tlsEnv(t, nil, []grpc.ServerOption{grpc.Creds(serverTLS(t))}, grpc.WithTransportCredentials(creds), grpc.WithChannelzParentID(parent))
	defer e.stop()
	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary: %v", err)
	}

	if c := findTopChannel(ctx, t, cz, e.addr); c != nil {
		t.Fatalf("nested channel %d listed as a top channel", c.GetRef().GetChannelId())
	}
	p, err := cz.GetChannel(ctx, &channelzpb.GetChannelRequest{ChannelId: parent.ID})
	if err != nil {
		t.Fatalf("GetChannel(parent): %v", err)
	}
	nested := p.GetChannel().GetChannelRef()
	if len(nested) != 1 || nested[0].GetName() != e.addr {
		t.Fatalf("parent's nested channels = %v, want one named %q", nested, e.addr)
	}
	ch, err := cz.GetChannel(ctx, &channelzpb.GetChannelRequest{ChannelId: nested[0].GetChannelId()})
	if err != nil {
		t.Fatalf("GetChannel(nested): %v", err)
	}
	scRefs := ch.GetChannel().GetSubchannelRef()
	if len(scRefs) != 1 {
		t.Fatalf("nested channel has %d subchannels, want 1", len(scRefs))
	}
	scID := scRefs[0].GetSubchannelId()
	sc, err := cz.GetSubchannel(ctx, &channelzpb.GetSubchannelRequest{SubchannelId: scID})
	if err != nil {
		t.Fatalf("GetSubchannel: %v", err)
	}
	refs := sc.GetSubchannel().GetSocketRef()
	if len(refs) != 1 {
		t.Fatalf("subchannel has %d sockets, want 1", len(refs))
	}
	skt, err := cz.GetSocket(ctx, &channelzpb.GetSocketRequest{SocketId: refs[0].GetSocketId()})
	if err != nil {
		t.Fatalf("GetSocket: %v", err)
	}
	tls := skt.GetSocket().GetSecurity().GetTls()
	if tls.GetStandardName() == "" || len(tls.GetRemoteCertificate()) == 0 {
		t.Errorf("client socket security = %v, want TLS with a cipher suite and the server certificate", skt.GetSocket().GetSecurity())
	}
}

// BenchmarkUnaryBufconnChannelz is BenchmarkUnaryBufconn with channelz
// recording on, to show what the counters cost per RPC.
func BenchmarkUnaryBufconnChannelz(b *testing.B) {
	ichannelz.TurnOn()
	defer ichannelz.TurnOffForTesting()
	benchUnary(b, false, 1, 1)
}
