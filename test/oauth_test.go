package test

import (
	"context"
	"net"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/credentials/oauth"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const oauthTestToken = "e2e-access-token"

// checkToken refuses RPCs whose authorization header is not the expected
// bearer token, the way a server validating OAuth2 tokens would.
func checkToken(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	auth := md["authorization"]
	if len(auth) == 0 {
		return status.Error(codes.Unauthenticated, "missing token")
	}
	if auth[0] != "Bearer "+oauthTestToken {
		return status.Error(codes.Unauthenticated, "invalid token")
	}
	return nil
}

func tokenInterceptors() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := checkToken(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := checkToken(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	}
}

func clientTLS(t *testing.T) grpc.DialOption {
	t.Helper()
	c, err := credentials.NewClientTLSFromFile(x509File("server_ca_cert.pem"), "")
	if err != nil {
		t.Fatal(err)
	}
	return grpc.WithTransportCredentials(c)
}

func staticToken(tok string) oauth.TokenSource {
	return oauth.TokenSource{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"})}
}

// TestOAuthTokenCheckedByServer sends a token with oauth.TokenSource over
// TLS and has a server interceptor check it, for unary and streaming RPCs.
func TestOAuthTokenCheckedByServer(t *testing.T) {
	defer leakcheck.Check(t)
	sopts := append([]grpc.ServerOption{grpc.Creds(serverTLS(t))}, tokenInterceptors()...)
	e := tlsEnv(t, nil, sopts, clientTLS(t), grpc.WithPerRPCCredentials(staticToken(oauthTestToken)))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary with a valid token: %v", err)
	}
	stream, err := e.client.StreamingOutput(ctx, &testpb.Request{ResponseCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("streaming RPC with a valid token: %v", err)
		}
	}

	// Call credentials are sent alongside the channel's; the server sees
	// the channel's first, so a wrong call token does not hide a good one,
	// while on a channel without a token the call token alone decides.
	//lint:ignore SA1019 the deprecated constructor is still part of the API under test
	_, err = e.client.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(oauth.NewOauthAccess(&oauth2.Token{AccessToken: "other"})))
	if err != nil {
		t.Errorf("Unary with an extra call token: %v", err)
	}

	bare, err := grpc.NewClient(e.addr, clientTLS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	c := testpb.NewTestServiceClient(bare)
	_, err = c.Unary(ctx, &testpb.Request{})
	if st := wantCode(t, err, codes.Unauthenticated); st.Message() != "missing token" {
		t.Errorf("without a token: %v", err)
	}
	_, err = c.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(staticToken("forged")))
	if st := wantCode(t, err, codes.Unauthenticated); st.Message() != "invalid token" {
		t.Errorf("with a wrong token: %v", err)
	}
	//lint:ignore SA1019 the deprecated constructor is still part of the API under test
	_, err = c.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(oauth.NewOauthAccess(&oauth2.Token{AccessToken: oauthTestToken})))
	if err != nil {
		t.Errorf("with a valid token as a call option (NewOauthAccess): %v", err)
	}
	s2, err := c.StreamingOutput(ctx, &testpb.Request{ResponseCount: 1})
	if err == nil {
		_, err = s2.Recv()
	}
	wantCode(t, err, codes.Unauthenticated)
}

// TestOAuthRefusedOverPlaintext: with insecure transport credentials a
// token-bearing channel cannot be created, and a call option token fails
// the RPC on the client before anything is sent (the messages are
// grpc-go's).
func TestOAuthRefusedOverPlaintext(t *testing.T) {
	defer leakcheck.Check(t)
	_, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(staticToken(oauthTestToken)))
	if want := "grpc: the credentials require transport level security (use grpc.WithTransportCredentials() to set)"; err == nil || err.Error() != want {
		t.Errorf("NewClient error = %v, want %q", err, want)
	}

	rec := &seen{}
	e := newEnv(t, recordingServer(rec), nil)
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	_, err = e.client.Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(staticToken(oauthTestToken)))
	st := wantCode(t, err, codes.Unauthenticated)
	if want := "transport: cannot send secure credentials on an insecure connection"; st.Message() != want {
		t.Errorf("message %q, want %q", st.Message(), want)
	}
	if p, _, _ := rec.get(); p != nil {
		t.Error("the token-bearing RPC reached the server")
	}
}

// integrityOnlyCreds do real TLS but report the connection as IntegrityOnly,
// which is secure enough for the channel to accept token credentials at
// NewClient but not to send them.
type integrityOnlyCreds struct {
	credentials.TransportCredentials
}

func (c integrityOnlyCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, ai, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	if ti, ok := ai.(credentials.TLSInfo); ok {
		ti.SecurityLevel = credentials.IntegrityOnly
		ai = ti
	}
	return conn, ai, err
}

func (c integrityOnlyCreds) Clone() credentials.TransportCredentials {
	return integrityOnlyCreds{c.TransportCredentials.Clone()}
}

// TestOAuthBelowPrivacyAndIntegrity: as in grpc-go, the transport checks the
// handshake's security level before oauth credentials are asked for a token
// (their own check, unit-tested in credentials/oauth, is a second line): a
// channel carrying them fails its connection (Unavailable), and a call
// carrying them fails with Unauthenticated.
func TestOAuthBelowPrivacyAndIntegrity(t *testing.T) {
	defer leakcheck.Check(t)
	const msg = "transport: cannot send secure credentials on an insecure connection"
	inner, err := credentials.NewClientTLSFromFile(x509File("server_ca_cert.pem"), "")
	if err != nil {
		t.Fatal(err)
	}
	rec := &seen{}
	e := tlsEnv(t, recordingServer(rec), []grpc.ServerOption{grpc.Creds(serverTLS(t))},
		grpc.WithTransportCredentials(integrityOnlyCreds{inner}), grpc.WithPerRPCCredentials(staticToken(oauthTestToken)))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	_, err = e.client.Unary(ctx, &testpb.Request{})
	if st := wantCode(t, err, codes.Unavailable); !strings.Contains(st.Message(), msg) {
		t.Errorf("dial option: message %q, want it to contain %q", st.Message(), msg)
	}

	cc, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(integrityOnlyCreds{inner.Clone()}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	_, err = testpb.NewTestServiceClient(cc).Unary(ctx, &testpb.Request{}, grpc.PerRPCCredentials(staticToken(oauthTestToken)))
	if st := wantCode(t, err, codes.Unauthenticated); st.Message() != msg {
		t.Errorf("call option: message %q, want %q", st.Message(), msg)
	}
	if p, _, _ := rec.get(); p != nil {
		t.Error("a token-bearing RPC reached the server")
	}
}
