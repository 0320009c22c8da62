package credentials_test

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/internal/credsctx"
)

func TestSecurityLevelString(t *testing.T) {
	for l, want := range map[credentials.SecurityLevel]string{
		credentials.NoSecurity:           "NoSecurity",
		credentials.IntegrityOnly:        "IntegrityOnly",
		credentials.PrivacyAndIntegrity:  "PrivacyAndIntegrity",
		credentials.InvalidSecurityLevel: "invalid SecurityLevel: 0",
		7:                                "invalid SecurityLevel: 7",
	} {
		if got := l.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(l), got, want)
		}
	}
}

type plainAuth struct{}

func (plainAuth) AuthType() string { return "plain" }

type leveled struct{ credentials.CommonAuthInfo }

func (leveled) AuthType() string { return "leveled" }

func TestCheckSecurityLevel(t *testing.T) {
	if err := credentials.CheckSecurityLevel(nil, credentials.NoSecurity); err == nil || err.Error() != "AuthInfo is nil" {
		t.Fatalf("nil AuthInfo: %v", err)
	}
	if err := credentials.CheckSecurityLevel(plainAuth{}, credentials.PrivacyAndIntegrity); err != nil {
		t.Fatalf("no CommonAuthInfo must pass: %v", err)
	}
	if err := credentials.CheckSecurityLevel(leveled{}, credentials.PrivacyAndIntegrity); err != nil {
		t.Fatalf("invalid (zero) level must pass: %v", err)
	}
	li := leveled{credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}
	err := credentials.CheckSecurityLevel(li, credentials.PrivacyAndIntegrity)
	if err == nil || err.Error() != "requires SecurityLevel PrivacyAndIntegrity; connection has NoSecurity" {
		t.Fatalf("insufficient level: %v", err)
	}
	if err := credentials.CheckSecurityLevel(li, credentials.NoSecurity); err != nil {
		t.Fatalf("equal level: %v", err)
	}
}

func TestRequestInfoContext(t *testing.T) {
	if _, ok := credentials.RequestInfoFromContext(context.Background()); ok {
		t.Fatal("empty context has RequestInfo")
	}
	ri := credentials.RequestInfo{Method: "/s/m", AuthInfo: plainAuth{}}
	got, ok := credentials.RequestInfoFromContext(credentials.NewContextWithRequestInfo(context.Background(), ri))
	if !ok || got != ri {
		t.Fatalf("got %v, %v", got, ok)
	}
}

func TestClientHandshakeInfoContext(t *testing.T) {
	ctx := credsctx.NewClientHandshakeInfoContext(context.Background(), credentials.ClientHandshakeInfo{})
	_ = credentials.ClientHandshakeInfoFromContext(ctx)
	_ = credentials.ClientHandshakeInfoFromContext(context.Background())
}

func TestInsecure(t *testing.T) {
	c := insecure.NewCredentials()
	if c.Info().SecurityProtocol != "insecure" {
		t.Fatalf("Info() = %+v", c.Info())
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	conn, ai, err := c.ClientHandshake(context.Background(), "authority", a)
	if err != nil || conn != a {
		t.Fatalf("ClientHandshake = %v, %v", conn, err)
	}
	if ai.AuthType() != "insecure" {
		t.Fatalf("AuthType = %q", ai.AuthType())
	}
	ci := ai.(interface {
		GetCommonAuthInfo() credentials.CommonAuthInfo
	})
	if ci.GetCommonAuthInfo().SecurityLevel != credentials.NoSecurity {
		t.Fatal("insecure level is not NoSecurity")
	}
	if v, ok := ai.(credentials.AuthorityValidator); !ok || v.ValidateAuthority("anything") != nil {
		t.Fatal("insecure AuthInfo must accept any authority")
	}
	conn, ai, err = c.ServerHandshake(b)
	if err != nil || conn != b || ai.AuthType() != "insecure" {
		t.Fatal("ServerHandshake")
	}
	if c.Clone().Info() != c.Info() || c.OverrideServerName("x") != nil {
		t.Fatal("Clone/OverrideServerName")
	}
	if err := credentials.CheckSecurityLevel(ai, credentials.PrivacyAndIntegrity); err == nil {
		t.Fatal("insecure must fail a PrivacyAndIntegrity check")
	}

	bundle := insecure.NewBundle()
	if bundle.PerRPCCredentials() != nil || bundle.TransportCredentials().Info().SecurityProtocol != "insecure" {
		t.Fatal("bundle")
	}
	if nb, err := bundle.NewWithMode("x"); err != nil || nb == nil {
		t.Fatal("NewWithMode")
	}
}
