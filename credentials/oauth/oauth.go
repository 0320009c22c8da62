// Package oauth provides PerRPCCredentials that attach OAuth2 access tokens
// (including Google service-account and application-default credentials) to
// every RPC as an "authorization" header.
//
// All of them refuse to send a token over a connection whose security level
// is below PrivacyAndIntegrity, because a bearer token sent in clear text can
// be replayed by anyone who sees it.
package oauth

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/oauth2/jwt"
	"google.golang.org/grpc/credentials"
)

// authHeader builds the metadata map every credential here returns, after
// making sure the connection the RPC uses is private enough to carry a token.
// kind names the credential in the error so a user can tell which one
// refused.
func authHeader(ctx context.Context, kind string, tok *oauth2.Token) (map[string]string, error) {
	ri, _ := credentials.RequestInfoFromContext(ctx)
	if err := credentials.CheckSecurityLevel(ri.AuthInfo, credentials.PrivacyAndIntegrity); err != nil {
		return nil, fmt.Errorf("unable to transfer %s PerRPCCredentials: %v", kind, err)
	}
	return map[string]string{"authorization": tok.Type() + " " + tok.AccessToken}, nil
}

// TokenSource adapts any oauth2.TokenSource into PerRPCCredentials. A token
// is requested from the source for every RPC, so wrap the source with
// oauth2.ReuseTokenSource if fetching is expensive.
type TokenSource struct {
	oauth2.TokenSource
}

// GetRequestMetadata fetches a token from the source and returns it as an
// "authorization" header of the form "<type> <token>".
func (ts TokenSource) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	tok, err := ts.Token()
	if err != nil {
		return nil, err
	}
	return authHeader(ctx, "TokenSource", tok)
}

// RequireTransportSecurity reports true: tokens are only sent over secure
// connections.
func (ts TokenSource) RequireTransportSecurity() bool { return true }

// oauthAccess sends one fixed token for ever; it never refreshes it.
type oauthAccess struct {
	token oauth2.Token
}

// NewOauthAccess returns PerRPCCredentials that always send the given token.
// The token is copied; it is never refreshed.
//
// Deprecated: use TokenSource with oauth2.StaticTokenSource instead.
func NewOauthAccess(token *oauth2.Token) credentials.PerRPCCredentials {
	return oauthAccess{token: *token}
}

func (oa oauthAccess) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	return authHeader(ctx, "oauthAccess", &oa.token)
}

func (oa oauthAccess) RequireTransportSecurity() bool { return true }

// jwtAccess signs a fresh self-signed JWT per RPC with a service account
// key, using the RPC's service host as the audience (Google AIP-4111), so no
// round trip to a token endpoint is needed.
type jwtAccess struct {
	jsonKey []byte
}

// NewJWTAccessFromFile reads a Google service account JSON key from keyFile
// and returns credentials that send self-signed JWTs made with it.
func NewJWTAccessFromFile(keyFile string) (credentials.PerRPCCredentials, error) {
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("credentials: failed to read the service account key file: %v", err)
	}
	return NewJWTAccessFromKey(key)
}

// NewJWTAccessFromKey returns credentials that send self-signed JWTs made
// with the given Google service account JSON key. The key is only parsed
// when the first RPC needs a token, so a bad key shows up as an RPC error.
func NewJWTAccessFromKey(jsonKey []byte) (credentials.PerRPCCredentials, error) {
	return jwtAccess{jsonKey: jsonKey}, nil
}

// audienceFromURI drops the path (which names the gRPC service) from uri:
// the JWT audience must be the host only.
func audienceFromURI(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	u.Path = "/"
	return u.String(), nil
}

func (j jwtAccess) GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error) {
	if len(uri) == 0 {
		return nil, fmt.Errorf("credentials: jwtAccess needs the request URI to set the JWT audience")
	}
	aud, err := audienceFromURI(uri[0])
	if err != nil {
		return nil, err
	}
	ts, err := google.JWTAccessTokenSourceFromJSON(j.jsonKey, aud)
	if err != nil {
		return nil, err
	}
	tok, err := ts.Token()
	if err != nil {
		return nil, err
	}
	return authHeader(ctx, "jwtAccess", tok)
}

func (j jwtAccess) RequireTransportSecurity() bool { return true }

// serviceAccount exchanges a signed JWT for an access token at Google's
// token endpoint and caches the token until it expires.
type serviceAccount struct {
	config *jwt.Config

	mu  sync.Mutex
	tok *oauth2.Token
}

// NewServiceAccountFromKey returns credentials that trade the Google service
// account JSON key for OAuth2 access tokens with the given scopes.
func NewServiceAccountFromKey(jsonKey []byte, scope ...string) (credentials.PerRPCCredentials, error) {
	cfg, err := google.JWTConfigFromJSON(jsonKey, scope...)
	if err != nil {
		return nil, err
	}
	return &serviceAccount{config: cfg}, nil
}

// NewServiceAccountFromFile is NewServiceAccountFromKey with the key read
// from keyFile.
func NewServiceAccountFromFile(keyFile string, scope ...string) (credentials.PerRPCCredentials, error) {
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("credentials: failed to read the service account key file: %v", err)
	}
	return NewServiceAccountFromKey(key, scope...)
}

func (s *serviceAccount) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Holding the lock across the fetch keeps concurrent RPCs from all
	// hitting the token endpoint when the cached token expires.
	if !s.tok.Valid() {
		tok, err := s.config.TokenSource(ctx).Token()
		if err != nil {
			return nil, err
		}
		s.tok = tok
	}
	return authHeader(ctx, "serviceAccount", s.tok)
}

func (s *serviceAccount) RequireTransportSecurity() bool { return true }

// NewComputeEngine returns credentials that fetch access tokens for the
// default service account from the Google Compute Engine metadata server.
// Off GCE, every RPC fails with the metadata client's error.
func NewComputeEngine() credentials.PerRPCCredentials {
	return TokenSource{google.ComputeTokenSource("")}
}

// NewApplicationDefault returns credentials found the way Google's
// Application Default Credentials are: the GOOGLE_APPLICATION_CREDENTIALS
// file, the gcloud well-known file, or the GCE metadata server. It fails when
// none of those is available.
//
// With no scope and a service account key, tokens are self-signed JWTs (as
// from NewJWTAccessFromKey), because the OAuth2 exchange would need a scope.
func NewApplicationDefault(ctx context.Context, scope ...string) (credentials.PerRPCCredentials, error) {
	creds, err := google.FindDefaultCredentials(ctx, scope...)
	if err != nil {
		return nil, err
	}
	// No JSON means the environment (e.g. GCE) supplies tokens; with scopes
	// the library's token source already does the right exchange.
	if creds.JSON == nil || len(scope) > 0 {
		return TokenSource{creds.TokenSource}, nil
	}
	// JWTConfigFromJSON only succeeds for service account keys; other kinds
	// (user refresh tokens, external accounts) keep their own token source.
	if _, err := google.JWTConfigFromJSON(creds.JSON); err != nil {
		return TokenSource{creds.TokenSource}, nil
	}
	return NewJWTAccessFromKey(creds.JSON)
}
