package resolver

import (
	"net/url"
	"testing"

	"google.golang.org/grpc/attributes"
	"google.golang.org/grpc/internal"
)

type testBuilder struct{ scheme string }

func (b *testBuilder) Build(Target, ClientConn, BuildOptions) (Resolver, error) { return nil, nil }
func (b *testBuilder) Scheme() string                                           { return b.scheme }

func TestRegistry(t *testing.T) {
	const scheme = "resolver-test-scheme"
	if Get(scheme) != nil {
		t.Fatalf("Get(%q) found a builder before registration", scheme)
	}
	b1, b2 := &testBuilder{scheme}, &testBuilder{scheme}
	Register(b1)
	defer delete(registry, scheme)
	if got := Get(scheme); got != b1 {
		t.Fatalf("Get(%q) = %v; want %v", scheme, got, b1)
	}
	Register(b2)
	if got := Get(scheme); got != b2 {
		t.Fatalf("Get(%q) after re-registration = %v; want the last builder %v", scheme, got, b2)
	}
	if got := Get("Resolver-Test-Scheme"); got != nil {
		t.Fatalf("Get is case-insensitive; want exact matching")
	}
}

func TestDefaultScheme(t *testing.T) {
	oldScheme, oldSet := defaultScheme, internal.UserSetDefaultScheme
	defer func() { defaultScheme, internal.UserSetDefaultScheme = oldScheme, oldSet }()

	if got := GetDefaultScheme(); got != "passthrough" {
		t.Fatalf("GetDefaultScheme() = %q; want passthrough", got)
	}
	if internal.UserSetDefaultScheme {
		t.Fatalf("UserSetDefaultScheme is true before SetDefaultScheme")
	}
	SetDefaultScheme("dns")
	if got := GetDefaultScheme(); got != "dns" {
		t.Fatalf("GetDefaultScheme() = %q; want dns", got)
	}
	if !internal.UserSetDefaultScheme {
		t.Fatalf("UserSetDefaultScheme is false after SetDefaultScheme")
	}
}

func mustParse(t *testing.T, s string) url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s, err)
	}
	return *u
}

func TestTarget(t *testing.T) {
	tests := []struct {
		in           string
		wantEndpoint string
		wantString   string
	}{
		{"dns:///example.com:50051", "example.com:50051", "dns:///example.com:50051"},
		{"dns://8.8.8.8/example.com", "example.com", "dns://8.8.8.8/example.com"},
		{"dns:example.com", "example.com", "dns:///example.com"},
		{"unix:///tmp/sock", "tmp/sock", "unix:///tmp/sock"},
		{"unix:relative/sock", "relative/sock", "unix:///relative/sock"},
		{"passthrough:///", "", "passthrough:///"},
		{"passthrough:///a/b?x=1", "a/b", "passthrough:///a/b"},
	}
	for _, tc := range tests {
		tg := Target{URL: mustParse(t, tc.in)}
		if got := tg.Endpoint(); got != tc.wantEndpoint {
			t.Errorf("Target(%q).Endpoint() = %q; want %q", tc.in, got, tc.wantEndpoint)
		}
		if got := tg.String(); got != tc.wantString {
			t.Errorf("Target(%q).String() = %q; want %q", tc.in, got, tc.wantString)
		}
	}
}

type attrKey struct{}

func TestAddressEqual(t *testing.T) {
	base := Address{
		Addr:               "a:1",
		ServerName:         "sn",
		Attributes:         attributes.New(attrKey{}, 1),
		BalancerAttributes: attributes.New(attrKey{}, "b"),
		Metadata:           "md",
	}
	if !base.Equal(base) {
		t.Fatal("address not equal to itself")
	}
	same := base
	same.Attributes = attributes.New(attrKey{}, 1)
	if !base.Equal(same) {
		t.Error("addresses with equal (but distinct) attributes compare unequal")
	}
	mods := map[string]func(*Address){
		"Addr":               func(a *Address) { a.Addr = "b:1" },
		"ServerName":         func(a *Address) { a.ServerName = "other" },
		"Attributes":         func(a *Address) { a.Attributes = attributes.New(attrKey{}, 2) },
		"BalancerAttributes": func(a *Address) { a.BalancerAttributes = nil },
		"Metadata":           func(a *Address) { a.Metadata = "x" },
	}
	for field, mod := range mods {
		o := base
		mod(&o)
		if base.Equal(o) {
			t.Errorf("addresses differing in %s compare equal", field)
		}
	}
}

func TestAddressString(t *testing.T) {
	if got, want := (Address{Addr: "a:1"}).String(), `{Addr: "a:1", ServerName: "", }`; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	a := Address{Addr: "a:1", ServerName: "s", Attributes: attributes.New("k", "v"), BalancerAttributes: attributes.New("b", "c")}
	want := `{Addr: "a:1", ServerName: "s", Attributes: {"k": "v" }, BalancerAttributes: {"b": "c" }}`
	if got := a.String(); got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}

func TestValidateEndpoints(t *testing.T) {
	if err := ValidateEndpoints(nil); err == nil || err.Error() != "endpoints list is empty" {
		t.Errorf("ValidateEndpoints(nil) = %v", err)
	}
	if err := ValidateEndpoints([]Endpoint{{}, {}}); err == nil || err.Error() != "endpoints list contains no addresses" {
		t.Errorf("ValidateEndpoints(no addresses) = %v", err)
	}
	if err := ValidateEndpoints([]Endpoint{{}, {Addresses: []Address{{Addr: "a"}}}}); err != nil {
		t.Errorf("ValidateEndpoints(valid) = %v", err)
	}
}
