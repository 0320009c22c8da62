// Package credentials defines how gRPC authenticates connections and calls:
// TransportCredentials secure a connection (e.g. TLS) and PerRPCCredentials
// attach tokens to each call.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"google.golang.org/grpc/attributes"
	"net"

	"google.golang.org/grpc/internal/credsctx"
	"google.golang.org/protobuf/proto"
)

// PerRPCCredentials adds authentication metadata, such as an OAuth2 token,
// to every RPC.
type PerRPCCredentials interface {
	// GetRequestMetadata returns the headers to add to an RPC, refreshing
	// tokens if needed. uri identifies the service being called. ctx carries
	// the RPC's deadline and a RequestInfo. A returned status error becomes
	// the RPC's status, except that codes reserved by gRFC A54 are turned
	// into Internal.
	GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error)
	// RequireTransportSecurity reports whether these credentials may only be
	// sent over a secure connection.
	RequireTransportSecurity() bool
}

// SecurityLevel is how well a connection is protected. Higher values are
// stronger, so levels can be compared.
//
// This API is experimental.
type SecurityLevel int

const (
	// InvalidSecurityLevel is the zero value, meaning "not set". It is
	// treated as sufficient by CheckSecurityLevel for compatibility with
	// AuthInfos that predate security levels.
	InvalidSecurityLevel SecurityLevel = iota
	// NoSecurity means the connection is neither encrypted nor
	// authenticated.
	NoSecurity
	// IntegrityOnly means data cannot be tampered with but can be read.
	IntegrityOnly
	// PrivacyAndIntegrity means data is encrypted and tamper-proof.
	PrivacyAndIntegrity
)

// String returns the level's name, e.g. "PrivacyAndIntegrity".
func (s SecurityLevel) String() string {
	switch s {
	case NoSecurity:
		return "NoSecurity"
	case IntegrityOnly:
		return "IntegrityOnly"
	case PrivacyAndIntegrity:
		return "PrivacyAndIntegrity"
	}
	return fmt.Sprintf("invalid SecurityLevel: %v", int(s))
}

// CommonAuthInfo holds what every AuthInfo should report; embed it in
// AuthInfo implementations.
//
// This API is experimental.
type CommonAuthInfo struct {
	SecurityLevel SecurityLevel
}

// GetCommonAuthInfo returns c. Through embedding it lets gRPC read the
// common fields of any AuthInfo.
func (c CommonAuthInfo) GetCommonAuthInfo() CommonAuthInfo {
	return c
}

// ProtocolInfo describes transport credentials statically (not per
// connection).
type ProtocolInfo struct {
	// ProtocolVersion names a gRPC wire protocol version.
	//
	// Deprecated: gRPC does not use it.
	ProtocolVersion string
	// SecurityProtocol names the security protocol, e.g. "tls" or
	// "insecure".
	SecurityProtocol string
	// SecurityVersion is a fixed version string of the credentials, not the
	// version negotiated on a connection.
	//
	// Deprecated: use the AuthInfo in the RPC's Peer instead.
	SecurityVersion string
	// ServerName, if set, is the default :authority for RPCs on channels
	// using these credentials, unless grpc.WithAuthority overrides it. It must
	// be a valid RFC 3986 authority.
	//
	// Deprecated: use grpc.WithAuthority.
	ServerName string
}

// AuthInfo describes what a handshake established about a connection. Its
// implementations should embed CommonAuthInfo.
type AuthInfo interface {
	// AuthType names the kind of credentials, e.g. "tls".
	AuthType() string
}

// AuthorityValidator is optionally implemented by an AuthInfo to vet an
// :authority that an RPC sets with the CallAuthority call option; the RPC
// fails if the authority is rejected.
type AuthorityValidator interface {
	// ValidateAuthority returns an error if the connection may not be used
	// for authority.
	ValidateAuthority(authority string) error
}

// ErrConnDispatched is returned by a ServerHandshake that has taken the raw
// connection over; gRPC then must not close it.
var ErrConnDispatched = errors.New("credentials: rawConn is dispatched out of gRPC")

// TransportCredentials secure connections, e.g. with TLS.
type TransportCredentials interface {
	// ClientHandshake secures rawConn as a client and returns the secured
	// connection and what was established. authority is the :authority the
	// connection will serve and must be used as the server name. The
	// handshake must stop when ctx is done; ctx also carries a
	// ClientHandshakeInfo. gRPC retries errors that are temporary (io.EOF,
	// context.DeadlineExceeded, or having Temporary() == true). Closing the
	// returned connection must close rawConn.
	ClientHandshake(ctx context.Context, authority string, rawConn net.Conn) (net.Conn, AuthInfo, error)
	// ServerHandshake secures rawConn as a server, like ClientHandshake.
	ServerHandshake(rawConn net.Conn) (net.Conn, AuthInfo, error)
	// Info returns static information about these credentials.
	Info() ProtocolInfo
	// Clone returns an independent copy.
	Clone() TransportCredentials
	// OverrideServerName sets the name used to verify the server and sent as
	// SNI and :authority.
	//
	// Deprecated: gRPC does not call it; use grpc.WithAuthority.
	OverrideServerName(string) error
}

// Bundle pairs TransportCredentials with PerRPCCredentials and can switch
// between modes (for example, different credentials for balancer traffic).
// A channel uses either a Bundle or separate TransportCredentials, not both;
// the Bundle's per-RPC credentials run after the other channel-level ones.
//
// This API is experimental.
type Bundle interface {
	// TransportCredentials returns non-nil transport credentials (possibly
	// insecure.NewCredentials()).
	TransportCredentials() TransportCredentials
	// PerRPCCredentials gives the bundle's per-RPC part, or nil for none.
	PerRPCCredentials() PerRPCCredentials
	// NewWithMode returns a copy of the Bundle switched to mode, leaving the
	// original untouched; nil if the mode is not supported.
	NewWithMode(mode string) (Bundle, error)
}

// RequestInfo describes the RPC for which GetRequestMetadata is called; it
// is in the context passed to it.
//
// This API is experimental.
type RequestInfo struct {
	// Method is the full method name, e.g. "/pkg.Service/Method".
	Method string
	// AuthInfo is what the connection's handshake established.
	AuthInfo AuthInfo
}

type requestInfoKey struct{}

// RequestInfoFromContext returns the RequestInfo in ctx, if any.
//
// This API is experimental.
func RequestInfoFromContext(ctx context.Context) (ri RequestInfo, ok bool) {
	ri, ok = ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri, ok
}

// NewContextWithRequestInfo returns a child of ctx carrying ri. gRPC does this
// itself before calling GetRequestMetadata; the function exists for testing
// PerRPCCredentials implementations.
//
// This API is experimental.
func NewContextWithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// ClientHandshakeInfo is what gRPC passes, through the context, to
// ClientHandshake about the address being connected to. (grpc-go also has an
// Attributes field here; it will be added with the attributes package.)
//
// This API is experimental.
type ClientHandshakeInfo struct {
	// Attributes are those of the resolver.Address being connected to,
	// so that a handshaker can act on what the resolver knows of it.
	Attributes *attributes.Attributes
}

// ClientHandshakeInfoFromContext returns the ClientHandshakeInfo in ctx, or
// the zero value.
//
// This API is experimental.
func ClientHandshakeInfoFromContext(ctx context.Context) ClientHandshakeInfo {
	chi, _ := credsctx.ClientHandshakeInfoFromContext(ctx).(ClientHandshakeInfo)
	return chi
}

// CheckSecurityLevel returns an error if ai reports a security level below
// level. AuthInfos that report no level (no GetCommonAuthInfo method, or
// InvalidSecurityLevel) pass, for compatibility with older implementations;
// a nil ai fails.
//
// This API is experimental.
func CheckSecurityLevel(ai AuthInfo, level SecurityLevel) error {
	if ai == nil {
		return errors.New("AuthInfo is nil")
	}
	ci, ok := ai.(interface{ GetCommonAuthInfo() CommonAuthInfo })
	if !ok {
		return nil
	}
	have := ci.GetCommonAuthInfo().SecurityLevel
	if have != InvalidSecurityLevel && have < level {
		return fmt.Errorf("requires SecurityLevel %v; connection has %v", level, have)
	}
	return nil
}

// ChannelzSecurityInfo is implemented by AuthInfos that can describe their
// security for channelz.
//
// This API is experimental.
type ChannelzSecurityInfo interface {
	GetSecurityValue() ChannelzSecurityValue
}

// ChannelzSecurityValue is the description returned by
// ChannelzSecurityInfo; only types of this package implement it.
//
// This API is experimental.
type ChannelzSecurityValue interface {
	isChannelzSecurityValue()
}

// OtherChannelzSecurityValue is the channelz description for protocols
// other than TLS: a protocol name and a proto message of details. channelz
// shows Value to its users, so it must not hold secrets.
//
// This API is experimental.
type OtherChannelzSecurityValue struct {
	ChannelzSecurityValue
	Name  string
	Value proto.Message
}
