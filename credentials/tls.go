package credentials

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"

	"google.golang.org/grpc/grpclog"
)

var logger = grpclog.Component("credentials")

// alpnH2 is the only application protocol gRPC speaks over TLS.
const alpnH2 = "h2"

// errNoALPN is what a handshake without a negotiated "h2" fails with. The
// text is grpc-go's, including the pointer to the issue explaining the
// change of behaviour in grpc-go 1.67.
var errNoALPN = errors.New("credentials: cannot check peer: missing selected ALPN property. If you upgraded from a grpc-go version earlier than 1.67, your TLS connections may have stopped working due to ALPN enforcement. For more details, see: https://github.com/grpc/grpc-go/issues/434")

// enforceALPN reports whether a TLS peer that negotiates no application
// protocol is refused. HTTP/2 over TLS requires ALPN, so this is on unless
// GRPC_ENFORCE_ALPN_ENABLED is "false" (any case), the escape hatch for old
// peers that grpc-go also offers. Read per handshake so tests can flip it.
func enforceALPN() bool {
	return !strings.EqualFold(os.Getenv("GRPC_ENFORCE_ALPN_ENABLED"), "false")
}

// TLSInfo is the AuthInfo of a connection secured by TLS: the negotiated
// TLS state, including the peer's certificate chain when it sent one.
type TLSInfo struct {
	// State is the connection's state after the handshake.
	State tls.ConnectionState
	CommonAuthInfo
	// SPIFFEID is the peer's SPIFFE ID, taken from the single URI SAN of its
	// leaf certificate, or nil when it has none or an invalid one.
	//
	// This API is experimental.
	SPIFFEID *url.URL
}

// AuthType returns "tls".
func (t TLSInfo) AuthType() string {
	return "tls"
}

// ValidateAuthority accepts authority (a host, optionally with a port) if
// the peer's leaf certificate is valid for that host, so an RPC may not claim
// a name the server never proved it owns.
func (t TLSInfo) ValidateAuthority(authority string) error {
	host := hostOf(authority)
	if len(t.State.PeerCertificates) == 0 {
		return fmt.Errorf("credentials: no peer certificates found to verify authority %q", host)
	}
	return t.State.PeerCertificates[0].VerifyHostname(host)
}

// GetSecurityValue describes the connection for channelz: the cipher suite's
// standard name and the peer's leaf certificate.
func (t TLSInfo) GetSecurityValue() ChannelzSecurityValue {
	v := &TLSChannelzSecurityValue{StandardName: cipherSuiteName(t.State.CipherSuite)}
	if len(t.State.PeerCertificates) > 0 {
		v.RemoteCertificate = t.State.PeerCertificates[0].Raw
	}
	return v
}

// TLSChannelzSecurityValue is the channelz description of a TLS connection,
// as returned by TLSInfo.GetSecurityValue.
//
// This API is experimental.
type TLSChannelzSecurityValue struct {
	ChannelzSecurityValue
	// StandardName is the IANA name of the cipher suite in use.
	StandardName string
	// LocalCertificate is the DER certificate this side presented; the tls
	// package does not report it, so it is left empty.
	LocalCertificate []byte
	// RemoteCertificate is the DER leaf certificate of the peer, if any.
	RemoteCertificate []byte
}

func cipherSuiteName(id uint16) string {
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, s := range list {
			if s.ID == id {
				return s.Name
			}
		}
	}
	return fmt.Sprintf("unknown ID: %v", id)
}

// hostOf strips the port from an authority; an authority that does not
// parse as host:port is taken as a bare host.
func hostOf(authority string) string {
	host, _, err := net.SplitHostPort(authority)
	if err != nil {
		return authority
	}
	return host
}

// tlsCreds are the TransportCredentials made by NewTLS. config already has
// gRPC's defaults applied; every handshake works on a copy of it.
type tlsCreds struct {
	config *tls.Config
}

// NewTLS returns TransportCredentials that secure connections with TLS as
// configured by c (nil means an empty configuration). c is cloned (a
// shallow copy: certificate pools and callbacks are shared), so later
// changes to its fields have no effect. gRPC adds its requirements to the copy: "h2"
// is offered as application protocol, TLS 1.2 is the minimum version unless
// c sets the version range itself, and, when c names no cipher suites, only
// the suites HTTP/2 allows (TLS 1.3 suites and ECDHE with AEAD) are used. A
// GetConfigForClient callback has the same defaults applied to the
// configurations it returns.
func NewTLS(c *tls.Config) TransportCredentials {
	cfg := withGRPCDefaults(c)
	if get := cfg.GetConfigForClient; get != nil {
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			perClient, err := get(hello)
			if err != nil || perClient == nil {
				return perClient, err
			}
			return withGRPCDefaults(perClient), nil
		}
	}
	return &tlsCreds{config: cfg}
}

// withGRPCDefaults returns a copy of c with "h2" in NextProtos, a TLS 1.2
// floor (RFC 7540 section 9.2) and HTTP/2-acceptable cipher suites.
func withGRPCDefaults(c *tls.Config) *tls.Config {
	cfg := &tls.Config{}
	if c != nil {
		cfg = c.Clone()
	}
	if !slices.Contains(cfg.NextProtos, alpnH2) {
		// A fresh slice: the caller's backing array must not be written.
		cfg.NextProtos = append(slices.Clip(cfg.NextProtos), alpnH2)
	}
	// A MaxVersion below 1.2 is an explicit choice we leave alone, even
	// though HTTP/2 will not like it.
	if cfg.MinVersion == 0 && (cfg.MaxVersion == 0 || cfg.MaxVersion >= tls.VersionTLS12) {
		cfg.MinVersion = tls.VersionTLS12
	}
	if cfg.CipherSuites == nil {
		for _, s := range tls.CipherSuites() {
			if http2CipherOK(s) {
				cfg.CipherSuites = append(cfg.CipherSuites, s.ID)
			}
		}
	}
	return cfg
}

// http2CipherOK reports whether RFC 7540 appendix A allows s: TLS 1.3
// suites, and TLS 1.2 suites with ephemeral key exchange and an AEAD cipher.
func http2CipherOK(s *tls.CipherSuite) bool {
	if slices.Contains(s.SupportedVersions, tls.VersionTLS13) {
		return true
	}
	return strings.HasPrefix(s.Name, "TLS_ECDHE_") &&
		(strings.Contains(s.Name, "_GCM_") || strings.Contains(s.Name, "_CHACHA20_POLY1305"))
}

// Info reports protocol "tls", version "1.2", and the configured ServerName
// (which then becomes the channel's default :authority).
func (c *tlsCreds) Info() ProtocolInfo {
	return ProtocolInfo{
		SecurityProtocol: "tls",
		SecurityVersion:  "1.2",
		ServerName:       c.config.ServerName,
	}
}

// ClientHandshake runs the TLS client handshake on rawConn, verifying the
// server against the host part of authority, and requires the server to
// select "h2". It gives up, closing rawConn, when ctx is done.
func (c *tlsCreds) ClientHandshake(ctx context.Context, authority string, rawConn net.Conn) (net.Conn, AuthInfo, error) {
	// A copy per handshake: one credentials value may serve many
	// connections with different authorities at once.
	cfg := c.config.Clone()
	cfg.ServerName = hostOf(authority)
	conn := tls.Client(rawConn, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, nil, err
	}
	state := conn.ConnectionState()
	if state.NegotiatedProtocol == "" {
		if enforceALPN() {
			conn.Close()
			return nil, nil, errNoALPN
		}
		logger.Warningf("Allowing TLS connection to server %q that negotiated no ALPN protocol because GRPC_ENFORCE_ALPN_ENABLED=false", cfg.ServerName)
	}
	return withSyscallConn(rawConn, conn), newTLSInfo(state), nil
}

// ServerHandshake runs the TLS server handshake on rawConn and requires the
// client to have offered "h2". The caller bounds it with a deadline on
// rawConn.
func (c *tlsCreds) ServerHandshake(rawConn net.Conn) (net.Conn, AuthInfo, error) {
	conn := tls.Server(rawConn, c.config)
	if err := conn.Handshake(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	state := conn.ConnectionState()
	// With "h2" in our NextProtos, crypto/tls already refuses a client whose
	// ALPN list lacks it; an empty result means the client sent no ALPN.
	if state.NegotiatedProtocol == "" {
		if enforceALPN() {
			conn.Close()
			return nil, nil, errNoALPN
		}
		if logger.V(2) {
			logger.Info("Allowing TLS connection from a client that offered no ALPN protocol because GRPC_ENFORCE_ALPN_ENABLED=false")
		}
	}
	return withSyscallConn(rawConn, conn), newTLSInfo(state), nil
}

func newTLSInfo(state tls.ConnectionState) TLSInfo {
	return TLSInfo{
		State:          state,
		CommonAuthInfo: CommonAuthInfo{SecurityLevel: PrivacyAndIntegrity},
		SPIFFEID:       spiffeID(state),
	}
}

// Clone returns credentials with their own copy of the configuration.
func (c *tlsCreds) Clone() TransportCredentials {
	return NewTLS(c.config)
}

// OverrideServerName sets the configured ServerName, which Info reports.
//
// Deprecated: use grpc.WithAuthority.
func (c *tlsCreds) OverrideServerName(serverNameOverride string) error {
	c.config.ServerName = serverNameOverride
	return nil
}

// NewClientTLSFromCert returns client credentials that trust the CAs in cp
// (nil: the system's roots). For a client certificate (mTLS) build a
// tls.Config and use NewTLS.
//
// serverNameOverride, if not empty, is the name the server's certificate is
// checked against and the channel's default :authority; it is meant for
// tests. Prefer grpc.WithAuthority.
func NewClientTLSFromCert(cp *x509.CertPool, serverNameOverride string) TransportCredentials {
	return NewTLS(&tls.Config{ServerName: serverNameOverride, RootCAs: cp})
}

// NewClientTLSFromFile is NewClientTLSFromCert with the trusted CAs read
// from a PEM file. It fails if the file cannot be read or holds no
// certificate.
func NewClientTLSFromFile(certFile, serverNameOverride string) (TransportCredentials, error) {
	pemData, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("credentials: failed to append certificates")
	}
	return NewClientTLSFromCert(pool, serverNameOverride), nil
}

// NewServerTLSFromCert returns server credentials presenting cert.
func NewServerTLSFromCert(cert *tls.Certificate) TransportCredentials {
	return NewTLS(&tls.Config{Certificates: []tls.Certificate{*cert}})
}

// NewServerTLSFromFile returns server credentials presenting the certificate
// chain and private key read from two PEM files.
func NewServerTLSFromFile(certFile, keyFile string) (TransportCredentials, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return NewServerTLSFromCert(&cert), nil
}

// tlsConn is a TLS connection that still offers the raw socket's
// syscall.Conn, which tls.Conn hides, for code that inspects socket options.
type tlsConn struct {
	*tls.Conn
	raw syscall.Conn
}

func (c *tlsConn) SyscallConn() (syscall.RawConn, error) {
	return c.raw.SyscallConn()
}

func withSyscallConn(rawConn net.Conn, conn *tls.Conn) net.Conn {
	if raw, ok := rawConn.(syscall.Conn); ok {
		return &tlsConn{Conn: conn, raw: raw}
	}
	return conn
}

// spiffeID returns the SPIFFE ID of the peer's leaf certificate: its URI
// SAN with scheme "spiffe", a trust domain of at most 255 bytes and a
// path, the whole at most 2048 bytes. A certificate with several URI SANs
// has no valid SPIFFE ID.
func spiffeID(state tls.ConnectionState) *url.URL {
	if len(state.PeerCertificates) == 0 {
		return nil
	}
	var id *url.URL
	uris := state.PeerCertificates[0].URIs
	for _, u := range uris {
		if u == nil || u.Scheme != "spiffe" || u.Opaque != "" || (u.User != nil && u.User.Username() != "") {
			continue
		}
		var problem string
		switch {
		case len(u.String()) > 2048:
			problem = "longer than 2048 bytes"
		case u.Host == "" || u.Path == "":
			problem = "empty trust domain or path"
		case len(u.Host) > 255:
			problem = "trust domain longer than 255 bytes"
		case len(uris) > 1:
			problem = "the certificate has more than one URI SAN"
		}
		if problem != "" {
			logger.Warningf("ignoring invalid SPIFFE ID: %s", problem)
			return nil
		}
		id = u
	}
	return id
}
