package grpc

import "testing"

// FuzzParseTarget parses arbitrary dial targets: no panic, a resolver whose
// scheme is the target's when parsing succeeds, and a default authority
// that needs no further escaping.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"localhost:50051", "dns:///example.com:443", "dns://8.8.8.8/example.com", "passthrough:///10.0.0.1:1",
		"unix:///tmp/sock", "unix:rel/sock", "unix-abstract:name", "[::1]:80", ":8080", "%zz", "http://x/%",
		"a b:c", "xds:///svc", "\x00", "dns:///[fe80::1%25eth0]:1", "///", "unknown://auth/ep",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, target string, passthroughDefault bool) {
		def := "dns"
		if passthroughDefault {
			def = "passthrough"
		}
		o := &dialOptions{}
		tgt, b, err := parseTarget(target, def, o)
		if err != nil {
			return
		}
		if b == nil {
			t.Fatalf("parseTarget(%q) succeeded without a resolver", target)
		}
		if b.Scheme() != tgt.URL.Scheme {
			t.Fatalf("parseTarget(%q): resolver %q for scheme %q", target, b.Scheme(), tgt.URL.Scheme)
		}
		tgt2, b2, err := parseTarget(target, def, o)
		if err != nil || b2 != b || tgt2.URL.String() != tgt.URL.String() {
			t.Fatalf("parseTarget(%q) is not deterministic", target)
		}
		auth := targetAuthority(tgt, b)
		if b.Scheme() == "dns" || b.Scheme() == "passthrough" {
			for i := 0; i < len(auth); i++ {
				if c := auth[i]; c != '%' && !authorityByteOK(c) {
					t.Fatalf("authority %q of %q holds unescaped byte %#x", auth, target, c)
				}
			}
		}
	})
}
