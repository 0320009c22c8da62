//lint:file-ignore SA1019 OverrideServerName and ServerName are deprecated but part of the behaviour under test

package local

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/leakcheck"
)

// stubAddr is a net.Addr with a chosen network and address string.
type stubAddr struct{ network, address string }

func (a stubAddr) Network() string { return a.network }
func (a stubAddr) String() string  { return a.address }

// stubConn answers RemoteAddr and nothing else; handshakes of local
// credentials never read or write, so no traffic can be sent.
type stubConn struct {
	net.Conn
	remote net.Addr
}

func (c stubConn) RemoteAddr() net.Addr { return c.remote }

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		addr    stubAddr
		want    credentials.SecurityLevel
		wantErr string
	}{
		{addr: stubAddr{"unix", "/tmp/grpc.sock"}, want: credentials.PrivacyAndIntegrity},
		{addr: stubAddr{"unix", ""}, want: credentials.PrivacyAndIntegrity},
		{addr: stubAddr{"unix", "@abstract"}, want: credentials.PrivacyAndIntegrity},
		{addr: stubAddr{"tcp", "127.0.0.1:443"}, want: credentials.NoSecurity},
		{addr: stubAddr{"tcp", "127.200.3.4:1"}, want: credentials.NoSecurity},
		{addr: stubAddr{"tcp", "[::1]:8080"}, want: credentials.NoSecurity},
		{addr: stubAddr{"pipe", `\\.\pipe\grpc`}, want: credentials.NoSecurity},
		{addr: stubAddr{"tcp", "10.0.0.1:443"}, want: credentials.InvalidSecurityLevel,
			wantErr: `local credentials rejected connection to non-local address "10.0.0.1:443"`},
		{addr: stubAddr{"tcp", "128.0.0.1:443"}, want: credentials.InvalidSecurityLevel,
			wantErr: `local credentials rejected connection to non-local address "128.0.0.1:443"`},
		{addr: stubAddr{"tcp", "[::2]:443"}, want: credentials.InvalidSecurityLevel,
			wantErr: `local credentials rejected connection to non-local address "[::2]:443"`},
		{addr: stubAddr{"pipe", `\\host\pipe\grpc`}, want: credentials.InvalidSecurityLevel,
			wantErr: `local credentials rejected connection to non-local address "\\\\host\\pipe\\grpc"`},
	} {
		got, err := classify(tc.addr.network, tc.addr.address)
		if got != tc.want {
			t.Errorf("classify(%q, %q) level = %v, want %v", tc.addr.network, tc.addr.address, got, tc.want)
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("classify(%q, %q) = %v, want no error", tc.addr.network, tc.addr.address, err)
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("classify(%q, %q) error = %v, want %q", tc.addr.network, tc.addr.address, err, tc.wantErr)
		}
	}
}

// TestHandshakeRejectsNonLocal drives both handshakes with a connection whose
// peer claims to be 10.0.0.1; nothing is dialed.
func TestHandshakeRejectsNonLocal(t *testing.T) {
	conn := stubConn{remote: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 443}}
	const want = `local credentials rejected connection to non-local address "10.0.0.1:443"`
	creds := NewCredentials()
	if c, ai, err := creds.ClientHandshake(context.Background(), "x", conn); err == nil || err.Error() != want || c != nil || ai != nil {
		t.Errorf("ClientHandshake = (%v, %v, %v), want (nil, nil, %q)", c, ai, err, want)
	}
	if c, ai, err := creds.ServerHandshake(conn); err == nil || err.Error() != want || c != nil || ai != nil {
		t.Errorf("ServerHandshake = (%v, %v, %v), want (nil, nil, %q)", c, ai, err, want)
	}
}

// handshakeBoth connects to lis, runs the server handshake on the accepted
// connection and the client handshake on the dialed one, and returns both
// AuthInfos.
func handshakeBoth(t *testing.T, lis net.Listener) (client, server credentials.AuthInfo) {
	t.Helper()
	type result struct {
		ai  credentials.AuthInfo
		err error
	}
	done := make(chan result, 1)
	go func() {
		conn, err := lis.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer conn.Close()
		out, ai, err := NewCredentials().ServerHandshake(conn)
		if err == nil && out != conn {
			t.Errorf("ServerHandshake returned a different conn")
		}
		done <- result{ai, err}
	}()
	conn, err := net.DialTimeout(lis.Addr().Network(), lis.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatalf("Dial(%v): %v", lis.Addr(), err)
	}
	defer conn.Close()
	out, cai, err := NewCredentials().ClientHandshake(context.Background(), "authority", conn)
	if err != nil {
		t.Fatalf("ClientHandshake: %v", err)
	}
	if out != conn {
		t.Errorf("ClientHandshake returned a different conn")
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("server side: %v", r.err)
	}
	return cai, r.ai
}

func levelOf(t *testing.T, ai credentials.AuthInfo) credentials.SecurityLevel {
	t.Helper()
	li, ok := ai.(info)
	if !ok {
		t.Fatalf("AuthInfo is %T, want local.info", ai)
	}
	if got := li.AuthType(); got != "local" {
		t.Errorf("AuthType() = %q, want \"local\"", got)
	}
	if err := li.ValidateAuthority("anything:1"); err != nil {
		t.Errorf("ValidateAuthority() = %v, want nil", err)
	}
	return li.GetCommonAuthInfo().SecurityLevel
}

func TestHandshakeSecurityLevel(t *testing.T) {
	for _, tc := range []struct {
		name   string
		listen func(t *testing.T) (net.Listener, error)
		want   credentials.SecurityLevel
	}{
		{
			name: "unix",
			listen: func(t *testing.T) (net.Listener, error) {
				return net.Listen("unix", filepath.Join(t.TempDir(), "s"))
			},
			want: credentials.PrivacyAndIntegrity,
		},
		{
			name:   "tcp4-loopback",
			listen: func(*testing.T) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") },
			want:   credentials.NoSecurity,
		},
		{
			name:   "tcp6-loopback",
			listen: func(*testing.T) (net.Listener, error) { return net.Listen("tcp", "[::1]:0") },
			want:   credentials.NoSecurity,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer leakcheck.Check(t)
			lis, err := tc.listen(t)
			if err != nil {
				t.Skipf("cannot listen: %v", err)
			}
			defer lis.Close()
			cai, sai := handshakeBoth(t, lis)
			if got := levelOf(t, cai); got != tc.want {
				t.Errorf("client SecurityLevel = %v, want %v", got, tc.want)
			}
			if got := levelOf(t, sai); got != tc.want {
				t.Errorf("server SecurityLevel = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInfoCloneOverride(t *testing.T) {
	c := NewCredentials()
	if got := c.Info(); got != (credentials.ProtocolInfo{SecurityProtocol: "local"}) {
		t.Errorf("Info() = %+v, want only SecurityProtocol \"local\"", got)
	}
	if err := c.OverrideServerName("server.example"); err != nil {
		t.Fatalf("OverrideServerName: %v", err)
	}
	want := credentials.ProtocolInfo{SecurityProtocol: "local", ServerName: "server.example"}
	if got := c.Info(); got != want {
		t.Errorf("Info() after override = %+v, want %+v", got, want)
	}
	clone := c.Clone()
	if got := clone.Info(); got != want {
		t.Errorf("Clone().Info() = %+v, want %+v", got, want)
	}
	if err := clone.OverrideServerName("other"); err != nil {
		t.Fatalf("OverrideServerName on clone: %v", err)
	}
	if got := c.Info().ServerName; got != "server.example" {
		t.Errorf("original ServerName changed to %q by overriding the clone", got)
	}
}
