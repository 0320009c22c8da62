package test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/local"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// localListener is one way of reaching a server on this host.
type localListener struct {
	name   string
	listen func(t *testing.T) net.Listener
	target func(lis net.Listener) string
	level  credentials.SecurityLevel
}

var localListeners = []localListener{
	{
		name: "unix",
		listen: func(t *testing.T) net.Listener {
			lis, err := net.Listen("unix", filepath.Join(t.TempDir(), "grpc.sock"))
			if err != nil {
				t.Skipf("unix sockets unavailable: %v", err)
			}
			return lis
		},
		target: func(lis net.Listener) string { return "unix://" + lis.Addr().String() },
		level:  credentials.PrivacyAndIntegrity,
	},
	{
		name: "tcp-loopback",
		listen: func(t *testing.T) net.Listener {
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatalf("net.Listen: %v", err)
			}
			return lis
		},
		target: func(lis net.Listener) string { return lis.Addr().String() },
		level:  credentials.NoSecurity,
	},
}

// checkLocalAuthInfo fails unless ai is the AuthInfo of local credentials
// (an unexported type, as in grpc-go) with the given security level.
func checkLocalAuthInfo(t *testing.T, side string, ai credentials.AuthInfo, want credentials.SecurityLevel) {
	t.Helper()
	if ai == nil {
		t.Errorf("%s: AuthInfo is nil", side)
		return
	}
	if got := fmt.Sprintf("%T", ai); got != "local.info" {
		t.Errorf("%s: AuthInfo type = %s, want local.info", side, got)
	}
	if got := ai.AuthType(); got != "local" {
		t.Errorf("%s: AuthType() = %q, want \"local\"", side, got)
	}
	ci, ok := ai.(interface {
		GetCommonAuthInfo() credentials.CommonAuthInfo
	})
	if !ok {
		t.Errorf("%s: %T does not embed CommonAuthInfo", side, ai)
		return
	}
	if got := ci.GetCommonAuthInfo().SecurityLevel; got != want {
		t.Errorf("%s: SecurityLevel = %v, want %v", side, got, want)
	}
}

// startLocalServer serves a TestService using local credentials on a
// listener made by ll. The unary handler passes each request's peer and
// metadata to seen.
func startLocalServer(t *testing.T, ll localListener, seen chan<- *peer.Peer, md chan<- metadata.MD) (target string, stop func()) {
	t.Helper()
	ts := &testServer{unary: func(ctx context.Context, req *testpb.Request) (*testpb.Response, error) {
		p, _ := peer.FromContext(ctx)
		m, _ := metadata.FromIncomingContext(ctx)
		if seen != nil {
			seen <- p
		}
		if md != nil {
			md <- m
		}
		return respond(ctx, req)
	}}
	srv, lis, served := serveOn(t, ll.listen(t), ts, grpc.Creds(local.NewCredentials()))
	return ll.target(lis), func() {
		srv.Stop()
		<-served
	}
}

func TestLocalCredsEndToEnd(t *testing.T) {
	for _, ll := range localListeners {
		t.Run(ll.name, func(t *testing.T) {
			defer leakcheck.Check(t)
			seen := make(chan *peer.Peer, 1)
			target, stop := startLocalServer(t, ll, seen, nil)
			defer stop()

			cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(local.NewCredentials()))
			if err != nil {
				t.Fatalf("grpc.NewClient(%q): %v", target, err)
			}
			defer cc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			var clientPeer peer.Peer
			resp, err := testpb.NewTestServiceClient(cc).Unary(ctx,
				&testpb.Request{Payload: &testpb.Payload{Body: []byte("hi")}}, grpc.Peer(&clientPeer))
			if err != nil {
				t.Fatalf("Unary: %v", err)
			}
			if got := string(resp.GetPayload().GetBody()); got != "hi" {
				t.Errorf("Unary response body = %q, want \"hi\"", got)
			}
			serverPeer := <-seen
			if serverPeer == nil {
				t.Fatal("server handler saw no peer")
			}
			checkLocalAuthInfo(t, "server", serverPeer.AuthInfo, ll.level)
			checkLocalAuthInfo(t, "client", clientPeer.AuthInfo, ll.level)
		})
	}
}

// secureOnlyCreds are per-RPC credentials that demand transport security.
type secureOnlyCreds struct{}

func (secureOnlyCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"x-token": "secret"}, nil
}

func (secureOnlyCreds) RequireTransportSecurity() bool { return true }

// TestLocalCredsPerRPCRequiringSecurity sends per-RPC credentials that need
// transport security, given both as a dial option and as a call option. As in
// grpc-go v1.85.0: over a unix socket (PrivacyAndIntegrity) both work; over
// loopback TCP (NoSecurity) the connection refuses the dial-option
// credentials (Unavailable) and the call refuses the call-option ones
// (Unauthenticated), and the token never reaches the server.
func TestLocalCredsPerRPCRequiringSecurity(t *testing.T) {
	const errText = "transport: cannot send secure credentials on an insecure connection"
	for _, ll := range localListeners {
		for _, mode := range []string{"dial-option", "call-option"} {
			t.Run(ll.name+"/"+mode, func(t *testing.T) {
				defer leakcheck.Check(t)
				md := make(chan metadata.MD, 1)
				target, stop := startLocalServer(t, ll, nil, md)
				defer stop()

				dopts := []grpc.DialOption{grpc.WithTransportCredentials(local.NewCredentials())}
				var copts []grpc.CallOption
				wantCode := codes.Unauthenticated
				if mode == "dial-option" {
					dopts = append(dopts, grpc.WithPerRPCCredentials(secureOnlyCreds{}))
					wantCode = codes.Unavailable
				} else {
					copts = append(copts, grpc.PerRPCCredentials(secureOnlyCreds{}))
				}
				cc, err := grpc.NewClient(target, dopts...)
				if err != nil {
					t.Fatalf("grpc.NewClient(%q): %v", target, err)
				}
				defer cc.Close()
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{}, copts...)

				if ll.level == credentials.PrivacyAndIntegrity {
					if err != nil {
						t.Fatalf("Unary: %v, want success", err)
					}
					if got := (<-md).Get("x-token"); len(got) != 1 || got[0] != "secret" {
						t.Errorf("server saw x-token %q, want [\"secret\"]", got)
					}
					return
				}
				st := status.Convert(err)
				if st.Code() != wantCode || !strings.Contains(st.Message(), errText) {
					t.Errorf("Unary error = %v, want code %v containing %q", err, wantCode, errText)
				}
				select {
				case m := <-md:
					t.Errorf("server handled the RPC (metadata %v); want it refused on the client", m)
				default:
				}
			})
		}
	}
}
