package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/credentials"
)

// fakeAuthInfo lets a test pick the security level GetRequestMetadata sees.
type fakeAuthInfo struct{ credentials.CommonAuthInfo }

func (fakeAuthInfo) AuthType() string { return "fake" }

func ctxWithLevel(l credentials.SecurityLevel) context.Context {
	return credentials.NewContextWithRequestInfo(context.Background(), credentials.RequestInfo{
		Method:   "/grpc.testing.TestService/Unary",
		AuthInfo: fakeAuthInfo{credentials.CommonAuthInfo{SecurityLevel: l}},
	})
}

var secureCtx = ctxWithLevel(credentials.PrivacyAndIntegrity)

// serviceAccountKey makes a Google service account JSON key with a fresh RSA
// key; tokenURI is where a token exchange would go.
func serviceAccountKey(t *testing.T, tokenURI string) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "test-project",
		"private_key_id": "key-1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   "svc@test-project.iam.gserviceaccount.com",
		"client_id":      "1234",
		"token_uri":      tokenURI,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tokenServer answers every OAuth2 token request with access token tok.
func tokenServer(t *testing.T, tok string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(s.Close)
	return s
}

func TestTokenSource(t *testing.T) {
	c := TokenSource{oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc", TokenType: "bearer"})}
	if !c.RequireTransportSecurity() {
		t.Error("RequireTransportSecurity() = false")
	}
	md, err := c.GetRequestMetadata(secureCtx, "https://x.example.com/svc")
	if err != nil {
		t.Fatal(err)
	}
	// oauth2.Token.Type canonicalises "bearer".
	if got := md["authorization"]; got != "Bearer abc" || len(md) != 1 {
		t.Errorf("metadata = %v, want authorization: Bearer abc", md)
	}
}

func TestRefusedBelowPrivacy(t *testing.T) {
	tok := &oauth2.Token{AccessToken: "abc"}
	key := serviceAccountKey(t, "http://127.0.0.1:1/token")
	jwtc, _ := NewJWTAccessFromKey(key)
	for name, c := range map[string]credentials.PerRPCCredentials{
		"TokenSource": TokenSource{oauth2.StaticTokenSource(tok)},
		"oauthAccess": NewOauthAccess(tok),
		"jwtAccess":   jwtc,
	} {
		for _, l := range []credentials.SecurityLevel{credentials.NoSecurity, credentials.IntegrityOnly} {
			_, err := c.GetRequestMetadata(ctxWithLevel(l), "https://x.example.com/svc")
			if err == nil || !strings.Contains(err.Error(), "unable to transfer "+name+" PerRPCCredentials") {
				t.Errorf("%s at %v: err = %v, want refusal", name, l, err)
			}
		}
		// A context without RequestInfo has a nil AuthInfo, which must not
		// be mistaken for a secure connection.
		if _, err := c.GetRequestMetadata(context.Background(), "https://x.example.com/svc"); err == nil {
			t.Errorf("%s without RequestInfo: no error", name)
		}
	}
}

func TestOauthAccessCopiesToken(t *testing.T) {
	tok := &oauth2.Token{AccessToken: "first", TokenType: "Bearer"}
	c := NewOauthAccess(tok)
	tok.AccessToken = "second"
	md, err := c.GetRequestMetadata(secureCtx)
	if err != nil {
		t.Fatal(err)
	}
	if md["authorization"] != "Bearer first" {
		t.Errorf("got %q, want the token as it was when given", md["authorization"])
	}
}

func TestJWTAccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(path, serviceAccountKey(t, "http://127.0.0.1:1/token"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := NewJWTAccessFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	md, err := c.GetRequestMetadata(secureCtx, "https://api.example.com/pkg.Service")
	if err != nil {
		t.Fatal(err)
	}
	jwt, ok := strings.CutPrefix(md["authorization"], "Bearer ")
	if !ok {
		t.Fatalf("authorization = %q, want a Bearer JWT", md["authorization"])
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWS", jwt)
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Aud, Iss string }
	if err := json.Unmarshal(body, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Aud != "https://api.example.com/" || claims.Iss != "svc@test-project.iam.gserviceaccount.com" {
		t.Errorf("claims = %+v, want the service path dropped from the audience", claims)
	}
	if _, err := NewJWTAccessFromFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("NewJWTAccessFromFile(missing) succeeded")
	}
}

func TestServiceAccount(t *testing.T) {
	ts := tokenServer(t, "exchanged")
	path := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(path, serviceAccountKey(t, ts.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := NewServiceAccountFromFile(path, "scope-a")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		md, err := c.GetRequestMetadata(secureCtx)
		if err != nil {
			t.Fatal(err)
		}
		if md["authorization"] != "Bearer exchanged" {
			t.Errorf("authorization = %q", md["authorization"])
		}
	}
	if _, err := NewServiceAccountFromKey([]byte("{")); err == nil {
		t.Error("NewServiceAccountFromKey(bad JSON) succeeded")
	}
}

// TestComputeEngine points the metadata client at a local server through
// GCE_METADATA_HOST, the documented override, so no request leaves the host.
func TestComputeEngine(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" {
			http.Error(w, "no flavor", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "gce", "token_type": "Bearer", "expires_in": 3600})
	}))
	defer s.Close()
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(s.URL, "http://"))
	md, err := NewComputeEngine().GetRequestMetadata(secureCtx)
	if err != nil {
		t.Fatal(err)
	}
	if md["authorization"] != "Bearer gce" {
		t.Errorf("authorization = %q", md["authorization"])
	}

	// With no metadata server listening the error comes back per RPC.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("GCE_METADATA_HOST", addr)
	if _, err := NewComputeEngine().GetRequestMetadata(secureCtx); err == nil {
		t.Error("NewComputeEngine without a metadata server: no error")
	}
}

func TestApplicationDefault(t *testing.T) {
	ts := tokenServer(t, "adc")
	path := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(path, serviceAccountKey(t, ts.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)

	// With a scope, the key is exchanged at its token_uri.
	c, err := NewApplicationDefault(context.Background(), "scope-a")
	if err != nil {
		t.Fatal(err)
	}
	md, err := c.GetRequestMetadata(secureCtx, "https://api.example.com/svc")
	if err != nil {
		t.Fatal(err)
	}
	if md["authorization"] != "Bearer adc" {
		t.Errorf("scoped: authorization = %q", md["authorization"])
	}

	// Without one, a service account key signs JWTs itself.
	c, err = NewApplicationDefault(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(jwtAccess); !ok {
		t.Errorf("unscoped: got %T, want self-signed JWT credentials", c)
	}

	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	if _, err := NewApplicationDefault(context.Background()); err == nil {
		t.Error("NewApplicationDefault with a missing credentials file succeeded")
	}
}
