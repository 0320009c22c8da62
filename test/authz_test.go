package test

import (
	"context"
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/authz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/internal/testpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// authzDenied is grpc-go's message for an RPC an authz policy refuses.
const authzDenied = "authz: unauthorized RPC request rejected"

// interceptors is what both authz interceptor types offer.
type interceptors interface {
	UnaryInterceptor(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error)
	StreamInterceptor(any, grpc.ServerStream, *grpc.StreamServerInfo, grpc.StreamHandler) error
}

func authzOptions(i interceptors) []grpc.ServerOption {
	return []grpc.ServerOption{grpc.UnaryInterceptor(i.UnaryInterceptor), grpc.StreamInterceptor(i.StreamInterceptor)}
}

// wantDenied fails unless err is the authz refusal.
func wantDenied(t *testing.T, what string, err error) {
	t.Helper()
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || st.Message() != authzDenied {
		t.Errorf("%s: got %v, want PermissionDenied %q", what, err, authzDenied)
	}
}

// streamingOutput runs a server-streaming RPC to completion and returns its
// final error (nil on success).
func streamingOutput(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
	s, err := c.StreamingOutput(ctx, &testpb.Request{ResponseCount: 1}, opts...)
	if err != nil {
		return err
	}
	for {
		if _, err := s.Recv(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func streamingInput(ctx context.Context, c testpb.TestServiceClient) error {
	s, err := c.StreamingInput(ctx)
	if err != nil {
		return err
	}
	if err := s.Send(&testpb.Request{}); err != nil && err != io.EOF {
		return err
	}
	_, err = s.CloseAndRecv()
	return err
}

const headerPolicy = `{
	"name": "authz-e2e",
	"deny_rules": [
		{"name": "no-uploads", "request": {"paths": ["/grpc.e2e.TestService/StreamingInput"]}},
		{"name": "no-test-env", "request": {"headers": [{"key": "x-env", "values": ["*-test"]}]}}
	],
	"allow_rules": [
		{"name": "admins", "request": {
			"paths": ["/grpc.e2e.TestService/Unary"],
			"headers": [{"key": "X-Role", "values": ["admin", "ops-*"]}]}},
		{"name": "all-from-uploads-too", "request": {"paths": ["/grpc.e2e.TestService/*"]},
			"source": {"principals": ["*"]}}
	]
}`

// TestAuthzStaticPolicy enforces a static policy over plaintext: header and
// path rules decide, deny rules win, and principal rules never match a
// peer that did not authenticate with TLS.
func TestAuthzStaticPolicy(t *testing.T) {
	defer leakcheck.Check(t)
	i, err := authz.NewStatic(headerPolicy)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil, authzOptions(i))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()
	withRole := func(v ...string) context.Context {
		return metadata.NewOutgoingContext(ctx, metadata.MD{"x-role": v})
	}

	for _, role := range []string{"admin", "ops-oncall"} {
		if _, err := e.client.Unary(withRole(role), &testpb.Request{}); err != nil {
			t.Errorf("Unary as %q: %v", role, err)
		}
	}
	_, err = e.client.Unary(ctx, &testpb.Request{})
	wantDenied(t, "Unary without role", err)
	_, err = e.client.Unary(withRole("guest"), &testpb.Request{})
	wantDenied(t, "Unary as guest", err)
	// Repeated values are joined with commas before matching.
	_, err = e.client.Unary(withRole("admin", "guest"), &testpb.Request{})
	wantDenied(t, "Unary with two roles", err)
	envCtx := metadata.AppendToOutgoingContext(withRole("admin"), "x-env", "qa-test")
	_, err = e.client.Unary(envCtx, &testpb.Request{})
	wantDenied(t, "Unary in a test environment", err)
	wantDenied(t, "StreamingOutput over plaintext", streamingOutput(withRole("admin"), e.client))
	wantDenied(t, "StreamingInput", streamingInput(ctx, e.client))

	if _, err := authz.NewStatic(`{"name": "p", "allow_rules": [{"name": "r",
		"request": {"headers": [{"key": "grpc-timeout", "values": ["*"]}]}}]}`); err == nil {
		t.Error("a policy matching a grpc- header was accepted")
	}
}

// TestAuthzPrincipals checks identities taken from client certificates over
// mTLS: the test client certificate's URI SAN
// (spiffe://test.example.com/client) is its principal, "*" needs a
// certificate, and "" is a TLS peer without one.
func TestAuthzPrincipals(t *testing.T) {
	defer leakcheck.Check(t)
	i, err := authz.NewStatic(`{
		"name": "principals",
		"allow_rules": [
			{"name": "spiffe", "source": {"principals": ["spiffe://test.example.com/*"]},
				"request": {"paths": ["/grpc.e2e.TestService/FullDuplex"]}},
			{"name": "any-cert", "source": {"principals": ["*"]},
				"request": {"paths": ["/grpc.e2e.TestService/StreamingOutput"]}},
			{"name": "no-cert", "source": {"principals": [""]},
				"request": {"paths": ["/grpc.e2e.TestService/Unary"]}}
		]
	}`)
	if err != nil {
		t.Fatal(err)
	}
	serverCreds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{keyPair(t, "server")},
		ClientCAs:    certPool(t, "client_ca"),
		ClientAuth:   tls.VerifyClientCertIfGiven,
	})
	withCert := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{keyPair(t, "client")}, RootCAs: certPool(t, "server_ca")})
	e := tlsEnv(t, nil, append(authzOptions(i), grpc.Creds(serverCreds)), grpc.WithTransportCredentials(withCert))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	s, err := e.client.FullDuplex(ctx)
	if err == nil {
		if err = s.Send(&testpb.Request{}); err == nil {
			_, err = s.Recv()
		}
		s.CloseSend()
	}
	if err != nil {
		t.Errorf("FullDuplex with the spiffe client certificate: %v", err)
	}
	if err := streamingOutput(ctx, e.client); err != nil {
		t.Errorf("StreamingOutput with a certificate: %v", err)
	}
	_, err = e.client.Unary(ctx, &testpb.Request{})
	wantDenied(t, "Unary with a certificate", err)

	noCert, err := grpc.NewClient(e.addr, clientTLS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer noCert.Close()
	c := testpb.NewTestServiceClient(noCert)
	if _, err := c.Unary(ctx, &testpb.Request{}); err != nil {
		t.Errorf("Unary over TLS without a certificate: %v", err)
	}
	wantDenied(t, "StreamingOutput without a certificate", streamingOutput(ctx, c))
}

// TestAuthzFileWatcher reloads a policy file while the server runs: the
// rewritten policy takes effect for new RPCs without a restart.
func TestAuthzFileWatcher(t *testing.T) {
	defer leakcheck.Check(t)
	path := filepath.Join(t.TempDir(), "policy.json")
	write := func(allowed string) {
		t.Helper()
		p := `{"name": "watched", "allow_rules": [{"name": "one", "request": {"paths": ["/grpc.e2e.TestService/` + allowed + `"]}}]}`
		if err := os.WriteFile(path, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("Unary")
	w, err := authz.NewFileWatcher(path, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	e := newEnv(t, nil, authzOptions(w))
	defer e.stop()
	ctx, cancel := testCtx(t)
	defer cancel()

	if _, err := e.client.Unary(ctx, &testpb.Request{}); err != nil {
		t.Fatalf("Unary under the first policy: %v", err)
	}
	wantDenied(t, "StreamingOutput under the first policy", streamingOutput(ctx, e.client))

	write("StreamingOutput")
	deadline := time.Now().Add(testTimeout)
	for streamingOutput(ctx, e.client) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the rewritten policy file was not picked up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = e.client.Unary(ctx, &testpb.Request{})
	wantDenied(t, "Unary under the second policy", err)
}
