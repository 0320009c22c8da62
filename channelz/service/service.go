// Package service serves the channelz registry of the process as the
// grpc.channelz.v1.Channelz gRPC service.
//
// Importing the package switches channelz recording on for the whole
// process, so that channels and servers created afterwards show up.
package service

import (
	"context"
	"maps"
	"net"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"google.golang.org/grpc"
	channelzpb "google.golang.org/grpc/channelz/grpc_channelz_v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/channelz"
	"google.golang.org/grpc/status"
)

func init() {
	channelz.TurnOn()
}

// RegisterChannelzServiceToServer adds the channelz service to s.
//
// The admin package (google.golang.org/grpc/admin), where available,
// registers it together with the other administrative services.
func RegisterChannelzServiceToServer(s grpc.ServiceRegistrar) {
	channelzpb.RegisterChannelzServer(s, &server{})
}

type server struct {
	channelzpb.UnimplementedChannelzServer
}

func (*server) GetTopChannels(_ context.Context, req *channelzpb.GetTopChannelsRequest) (*channelzpb.GetTopChannelsResponse, error) {
	chans, end := channelz.GetTopChannels(req.GetStartChannelId(), pageSize(req.GetMaxResults()))
	resp := &channelzpb.GetTopChannelsResponse{End: end}
	for _, c := range chans {
		resp.Channel = append(resp.Channel, channelProto(c))
	}
	return resp, nil
}

func (*server) GetServers(_ context.Context, req *channelzpb.GetServersRequest) (*channelzpb.GetServersResponse, error) {
	servers, end := channelz.GetServers(req.GetStartServerId(), pageSize(req.GetMaxResults()))
	resp := &channelzpb.GetServersResponse{End: end}
	for _, s := range servers {
		resp.Server = append(resp.Server, serverProto(s))
	}
	return resp, nil
}

func (*server) GetServer(_ context.Context, req *channelzpb.GetServerRequest) (*channelzpb.GetServerResponse, error) {
	s := channelz.GetServer(req.GetServerId())
	if s == nil {
		return nil, status.Errorf(codes.NotFound, "requested server %d not found", req.GetServerId())
	}
	return &channelzpb.GetServerResponse{Server: serverProto(s)}, nil
}

func (*server) GetServerSockets(_ context.Context, req *channelzpb.GetServerSocketsRequest) (*channelzpb.GetServerSocketsResponse, error) {
	sockets, end := channelz.GetServerSockets(req.GetServerId(), req.GetStartSocketId(), pageSize(req.GetMaxResults()))
	resp := &channelzpb.GetServerSocketsResponse{End: end}
	for _, s := range sockets {
		resp.SocketRef = append(resp.SocketRef, &channelzpb.SocketRef{SocketId: s.ID, Name: s.RefName})
	}
	return resp, nil
}

func (*server) GetChannel(_ context.Context, req *channelzpb.GetChannelRequest) (*channelzpb.GetChannelResponse, error) {
	c := channelz.GetChannel(req.GetChannelId())
	if c == nil {
		return nil, status.Errorf(codes.NotFound, "requested channel %d not found", req.GetChannelId())
	}
	return &channelzpb.GetChannelResponse{Channel: channelProto(c)}, nil
}

func (*server) GetSubchannel(_ context.Context, req *channelzpb.GetSubchannelRequest) (*channelzpb.GetSubchannelResponse, error) {
	sc := channelz.GetSubChannel(req.GetSubchannelId())
	if sc == nil {
		return nil, status.Errorf(codes.NotFound, "requested sub channel %d not found", req.GetSubchannelId())
	}
	return &channelzpb.GetSubchannelResponse{Subchannel: subChannelProto(sc)}, nil
}

func (*server) GetSocket(_ context.Context, req *channelzpb.GetSocketRequest) (*channelzpb.GetSocketResponse, error) {
	s := channelz.GetSocket(req.GetSocketId())
	if s == nil {
		return nil, status.Errorf(codes.NotFound, "requested socket %d not found", req.GetSocketId())
	}
	return &channelzpb.GetSocketResponse{Socket: socketProto(s, req.GetSummary())}, nil
}

// pageSize turns a request's max_results into the registry's page size;
// zero or less picks the registry default.
func pageSize(n int64) int {
	const limit = 1 << 20
	if n <= 0 {
		return 0
	}
	return int(min(n, limit))
}

func timestamp(unixNano int64) *timestamppb.Timestamp {
	if unixNano == 0 {
		return nil
	}
	return timestamppb.New(time.Unix(0, unixNano))
}

func channelDataProto(m *channelz.ChannelMetrics, tr channelz.TraceSnapshot) *channelzpb.ChannelData {
	return &channelzpb.ChannelData{
		// connectivity.State counts from IDLE = 0; the protocol reserves 0
		// for UNKNOWN.
		State:                    &channelzpb.ChannelConnectivityState{State: channelzpb.ChannelConnectivityState_State(m.State() + 1)},
		Target:                   m.Target(),
		Trace:                    traceProto(tr),
		CallsStarted:             m.CallsStarted.Load(),
		CallsSucceeded:           m.CallsSucceeded.Load(),
		CallsFailed:              m.CallsFailed.Load(),
		LastCallStartedTimestamp: timestamp(m.LastCallStartedTimestamp.Load()),
	}
}

func channelProto(c *channelz.Channel) *channelzpb.Channel {
	return &channelzpb.Channel{
		Ref:           &channelzpb.ChannelRef{ChannelId: c.ID, Name: c.RefName},
		Data:          channelDataProto(&c.ChannelMetrics, c.Trace()),
		ChannelRef:    channelRefs(c.NestedChans()),
		SubchannelRef: subChannelRefs(c.SubChans()),
	}
}

func subChannelProto(sc *channelz.SubChannel) *channelzpb.Subchannel {
	return &channelzpb.Subchannel{
		Ref:       &channelzpb.SubchannelRef{SubchannelId: sc.ID, Name: sc.RefName},
		Data:      channelDataProto(&sc.ChannelMetrics, sc.Trace()),
		SocketRef: socketRefs(sc.Sockets()),
	}
}

func serverProto(s *channelz.Server) *channelzpb.Server {
	m := &s.ServerMetrics
	return &channelzpb.Server{
		Ref: &channelzpb.ServerRef{ServerId: s.ID, Name: s.RefName},
		Data: &channelzpb.ServerData{
			Trace:                    traceProto(s.Trace()),
			CallsStarted:             m.CallsStarted.Load(),
			CallsSucceeded:           m.CallsSucceeded.Load(),
			CallsFailed:              m.CallsFailed.Load(),
			LastCallStartedTimestamp: timestamp(m.LastCallStartedTimestamp.Load()),
		},
		ListenSocket: socketRefs(s.ListenSockets()),
	}
}

func socketProto(s *channelz.Socket, summary bool) *channelzpb.Socket {
	m := &s.SocketMetrics
	data := &channelzpb.SocketData{
		StreamsStarted:                   m.StreamsStarted.Load(),
		StreamsSucceeded:                 m.StreamsSucceeded.Load(),
		StreamsFailed:                    m.StreamsFailed.Load(),
		MessagesSent:                     m.MessagesSent.Load(),
		MessagesReceived:                 m.MessagesReceived.Load(),
		KeepAlivesSent:                   m.KeepAlivesSent.Load(),
		LastLocalStreamCreatedTimestamp:  timestamp(m.LastLocalStreamCreatedTimestamp.Load()),
		LastRemoteStreamCreatedTimestamp: timestamp(m.LastRemoteStreamCreatedTimestamp.Load()),
		LastMessageSentTimestamp:         timestamp(m.LastMessageSentTimestamp.Load()),
		LastMessageReceivedTimestamp:     timestamp(m.LastMessageReceivedTimestamp.Load()),
	}
	out := &channelzpb.Socket{
		Ref:  &channelzpb.SocketRef{SocketId: s.ID, Name: s.RefName},
		Data: data,
	}
	if summary {
		return out
	}
	if e, ok := s.Ephemeral(); ok {
		// A negative window is one the socket cannot report.
		if e.LocalFlowControlWindow >= 0 {
			data.LocalFlowControlWindow = wrapperspb.Int64(e.LocalFlowControlWindow)
		}
		if e.RemoteFlowControlWindow >= 0 {
			data.RemoteFlowControlWindow = wrapperspb.Int64(e.RemoteFlowControlWindow)
		}
	}
	out.Local = addressProto(s.LocalAddr)
	out.Remote = addressProto(s.RemoteAddr)
	out.RemoteName = s.RemoteName
	out.Security = securityProto(s.Security)
	return out
}

func addressProto(a net.Addr) *channelzpb.Address {
	switch a := a.(type) {
	case nil:
		return nil
	case *net.TCPAddr:
		ip := a.IP
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		return &channelzpb.Address{Address: &channelzpb.Address_TcpipAddress{
			TcpipAddress: &channelzpb.Address_TcpIpAddress{IpAddress: ip, Port: int32(a.Port)},
		}}
	case *net.UnixAddr:
		return &channelzpb.Address{Address: &channelzpb.Address_UdsAddress_{
			UdsAddress: &channelzpb.Address_UdsAddress{Filename: a.Name},
		}}
	default:
		return &channelzpb.Address{Address: &channelzpb.Address_OtherAddress_{
			OtherAddress: &channelzpb.Address_OtherAddress{Name: a.String()},
		}}
	}
}

func securityProto(v credentials.ChannelzSecurityValue) *channelzpb.Security {
	switch v := v.(type) {
	case *credentials.TLSChannelzSecurityValue:
		tls := &channelzpb.Security_Tls{
			LocalCertificate:  v.LocalCertificate,
			RemoteCertificate: v.RemoteCertificate,
		}
		if v.StandardName != "" {
			tls.CipherSuite = &channelzpb.Security_Tls_StandardName{StandardName: v.StandardName}
		}
		return &channelzpb.Security{Model: &channelzpb.Security_Tls_{Tls: tls}}
	case *credentials.OtherChannelzSecurityValue:
		other := &channelzpb.Security_OtherSecurity{Name: v.Name}
		if v.Value != nil {
			if a, err := anypb.New(v.Value); err == nil {
				other.Value = a
			}
		}
		return &channelzpb.Security{Model: &channelzpb.Security_Other{Other: other}}
	}
	return nil
}

func traceProto(t channelz.TraceSnapshot) *channelzpb.ChannelTrace {
	if t.CreationTime.IsZero() {
		return nil
	}
	out := &channelzpb.ChannelTrace{
		NumEventsLogged:   t.EventNum,
		CreationTimestamp: timestamppb.New(t.CreationTime),
	}
	for _, e := range t.Events {
		pe := &channelzpb.ChannelTraceEvent{
			Description: e.Desc,
			Severity:    channelzpb.ChannelTraceEvent_Severity(e.Severity),
			Timestamp:   timestamppb.New(e.Timestamp),
		}
		if c := e.Child; c != nil {
			switch c.Kind {
			case channelz.KindChannel:
				pe.ChildRef = &channelzpb.ChannelTraceEvent_ChannelRef{ChannelRef: &channelzpb.ChannelRef{ChannelId: c.ID, Name: c.Name}}
			case channelz.KindSubChannel:
				pe.ChildRef = &channelzpb.ChannelTraceEvent_SubchannelRef{SubchannelRef: &channelzpb.SubchannelRef{SubchannelId: c.ID, Name: c.Name}}
			}
		}
		out.Events = append(out.Events, pe)
	}
	return out
}

func channelRefs(m map[int64]string) []*channelzpb.ChannelRef {
	var out []*channelzpb.ChannelRef
	for _, id := range sortedIDs(m) {
		out = append(out, &channelzpb.ChannelRef{ChannelId: id, Name: m[id]})
	}
	return out
}

func subChannelRefs(m map[int64]string) []*channelzpb.SubchannelRef {
	var out []*channelzpb.SubchannelRef
	for _, id := range sortedIDs(m) {
		out = append(out, &channelzpb.SubchannelRef{SubchannelId: id, Name: m[id]})
	}
	return out
}

func socketRefs(m map[int64]string) []*channelzpb.SocketRef {
	var out []*channelzpb.SocketRef
	for _, id := range sortedIDs(m) {
		out = append(out, &channelzpb.SocketRef{SocketId: id, Name: m[id]})
	}
	return out
}

func sortedIDs(m map[int64]string) []int64 {
	return slices.Sorted(maps.Keys(m))
}
