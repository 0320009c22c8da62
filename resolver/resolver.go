// Package resolver defines the APIs through which gRPC resolves a target name
// into the addresses of the servers it should talk to. Everything in this
// package is experimental.
package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"google.golang.org/grpc/attributes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/experimental/stats"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/serviceconfig"
)

var (
	// registry maps a scheme to the builder handling it. It is written only
	// from init functions, so it needs no locking.
	registry = make(map[string]Builder)
	// defaultScheme is used for targets that name no registered scheme.
	defaultScheme = "passthrough"
)

// Register adds b to the resolver registry under b.Scheme(). Lookups are
// case sensitive and parsed target schemes are always lower case, so schemes
// should not contain upper-case letters.
//
// Register is not safe for concurrent use and must only be called from init
// functions. When several builders use the same scheme, the last one
// registered wins.
func Register(b Builder) {
	registry[b.Scheme()] = b
}

// Get returns the builder registered for scheme, or nil if there is none.
func Get(scheme string) Builder {
	return registry[scheme]
}

// SetDefaultScheme changes the scheme used for targets that do not name a
// registered one. It starts out as "passthrough".
//
// SetDefaultScheme is not safe for concurrent use and must only be called
// from init functions; the last call wins.
func SetDefaultScheme(scheme string) {
	defaultScheme = scheme
	internal.UserSetDefaultScheme = true
}

// GetDefaultScheme returns the default scheme used by grpc.Dial. Note that
// grpc.NewClient uses "dns" instead unless SetDefaultScheme has been called.
func GetDefaultScheme() string {
	return defaultScheme
}

// Address describes one server address that the client may connect to.
//
// # Experimental
//
// Notice: this type is experimental; it may change incompatibly or disappear
// in a future release.
type Address struct {
	// Addr is the network address to connect to.
	Addr string

	// ServerName, when set, replaces the dial target's host as the authority
	// checked by the transport credentials for this address. It is rarely
	// needed.
	//
	// WARNING: only put trusted values here; an attacker-controlled
	// ServerName would let a connection pass TLS authority checks for a
	// server it does not belong to.
	ServerName string

	// Attributes carries arbitrary data about the address for the SubConn
	// and transport.
	Attributes *attributes.Attributes

	// BalancerAttributes carries arbitrary data about the address meant only
	// for the load balancing policy; it plays no part in creating or
	// connecting SubConns.
	//
	// Deprecated: do not use this field for addresses inside an Endpoint;
	// it is going to be removed.
	BalancerAttributes *attributes.Attributes

	// Metadata is opaque per-address data for load balancing decisions.
	//
	// Deprecated: store such data in Attributes.
	Metadata any
}

// Equal reports whether every field of a and o matches. Attributes are
// compared with attributes.Equal; Metadata with plain ==.
//
// Because all fields take part, callers that only care about, say, the
// connection target may prefer their own comparison.
func (a Address) Equal(o Address) bool {
	return a.Addr == o.Addr &&
		a.ServerName == o.ServerName &&
		a.Attributes.Equal(o.Attributes) &&
		a.BalancerAttributes.Equal(o.BalancerAttributes) &&
		a.Metadata == o.Metadata
}

// String formats the address for logs, in a JSON-like form.
func (a Address) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "{Addr: %q, ServerName: %q, ", a.Addr, a.ServerName)
	if a.Attributes != nil {
		fmt.Fprintf(&sb, "Attributes: %v, ", a.Attributes.String())
	}
	if a.BalancerAttributes != nil {
		fmt.Fprintf(&sb, "BalancerAttributes: %v", a.BalancerAttributes.String())
	}
	sb.WriteByte('}')
	return sb.String()
}

// BuildOptions carries extra information from the ClientConn to a Builder.
type BuildOptions struct {
	// DisableServiceConfig asks the resolver not to fetch service configs.
	DisableServiceConfig bool
	// DialCreds holds the transport credentials the ClientConn uses for the
	// target (see WithTransportCredentials). A resolver talking to a naming
	// service that needs the same credentials may use them; most ignore it.
	DialCreds credentials.TransportCredentials
	// CredsBundle holds the credentials bundle the ClientConn uses for the
	// target (see WithCredentialsBundle). Like DialCreds it is usually
	// ignored.
	CredsBundle credentials.Bundle
	// Dialer is the custom dialer the ClientConn uses to reach the target
	// (see WithDialer / WithContextDialer). A resolver may reuse it for its
	// own connections; most ignore it.
	Dialer func(context.Context, string) (net.Conn, error)
	// Authority is the authority the ClientConn will use for this target.
	Authority string
	// MetricsRecorder is where the resolver may record metrics.
	MetricsRecorder stats.MetricsRecorder
}

// Endpoint is a single server that may be reachable through several
// addresses.
type Endpoint struct {
	// Addresses lists the addresses through which the endpoint is reached.
	Addresses []Address

	// Attributes carries arbitrary data about the endpoint for the load
	// balancing policy.
	Attributes *attributes.Attributes
}

// State is what a Resolver reports to the ClientConn.
type State struct {
	// Addresses is the most recent list of resolved addresses.
	//
	// When only Addresses is set, the ClientConn turns each address into its
	// own Endpoint before handing the state to the LB policy, moving the
	// address's BalancerAttributes to the Endpoint's Attributes.
	//
	// Addresses is slated to be replaced by Endpoints.
	Addresses []Address

	// Endpoints is the most recent list of resolved endpoints.
	//
	// A resolver that sets Endpoints without Addresses must make sure that
	// the LB policies it configures understand Endpoints.
	Endpoints []Endpoint

	// ServiceConfig is the result of parsing the latest service config; nil
	// means the resolver has none to offer.
	ServiceConfig *serviceconfig.ParseResult

	// Attributes carries arbitrary resolver-level data for the load
	// balancing policy.
	Attributes *attributes.Attributes
}

// ClientConn is the set of callbacks through which a Resolver reports to
// the gRPC channel.
//
// gRPC provides the implementation. Test doubles should embed this interface
// so that they keep compiling when methods are added to it.
type ClientConn interface {
	// UpdateState hands the ClientConn a new resolver state.
	//
	// A non-nil error asks the resolver to resolve again, with backoff.
	// Resolvers that cannot get a different answer by retrying (for example
	// ones driven by a watch) may ignore it.
	//
	// Repeating an unchanged State is unnecessary.
	UpdateState(State) error
	// ReportError tells the ClientConn that resolution failed; the error is
	// passed on to the load balancing policy.
	ReportError(error)
	// NewAddress replaces the complete list of resolved addresses.
	//
	// Deprecated: call UpdateState, which carries the full State.
	NewAddress(addresses []Address)
	// ParseServiceConfig turns a service config JSON document into its
	// parsed form.
	ParseServiceConfig(serviceConfigJSON string) *serviceconfig.ParseResult
}

// Target is a parsed dial target, following
// https://github.com/grpc/grpc/blob/master/doc/naming.md. gRPC builds it
// from the string given to Dial, DialContext or NewClient and passes it to
// resolvers and balancers.
//
// Targets whose scheme is missing or not registered are re-parsed with the
// default scheme prepended.
type Target struct {
	// URL is the parsed target, possibly with the default scheme added. Query
	// parameters of the original target are available here.
	URL url.URL
}

// Endpoint returns the URL path, or the opaque part when the path is empty,
// without its leading "/".
func (t Target) Endpoint() string {
	ep := t.URL.Path
	if ep == "" {
		ep = t.URL.Opaque
	}
	return strings.TrimPrefix(ep, "/")
}

// String returns the target in canonical "scheme://authority/endpoint" form.
func (t Target) String() string {
	return t.URL.Scheme + "://" + t.URL.Host + "/" + t.Endpoint()
}

// Builder creates Resolvers for one scheme.
type Builder interface {
	// Build returns a resolver for target.
	//
	// Channel creation calls Build synchronously and fails if it returns an
	// error.
	Build(target Target, cc ClientConn, opts BuildOptions) (Resolver, error)
	// Scheme returns the scheme this builder handles (see
	// https://github.com/grpc/grpc/blob/master/doc/naming.md). It must be
	// lower case, since parsed target schemes always are (RFC 3986).
	Scheme() string
}

// ResolveNowOptions carries extra information for Resolver.ResolveNow.
type ResolveNowOptions struct{}

// Resolver watches a target and reports changes to its addresses and
// service config.
type Resolver interface {
	// ResolveNow hints that the target should be resolved again soon. The
	// resolver may ignore it, and it may be called concurrently.
	ResolveNow(ResolveNowOptions)
	// Close stops the resolver.
	Close()
}

// AuthorityOverrider may be implemented by a Builder to choose the
// ClientConn's default authority instead of target.Endpoint().
type AuthorityOverrider interface {
	// OverrideAuthority returns the authority for a ClientConn dialing the
	// target. It must be computed quickly without blocking and always give
	// the same answer for the same target.
	//
	// The result is sent as the ":authority" header and must be encoded as
	// RFC 3986 (https://datatracker.ietf.org/doc/html/rfc3986#section-3.2)
	// requires.
	OverrideAuthority(Target) string
}

// ValidateEndpoints checks that endpoints is usable by a petiole policy: it
// must be non-empty and at least one endpoint must have an address. See gRFC
// A61 (https://github.com/grpc/proposal/blob/master/A61-IPv4-IPv6-dualstack-backends.md).
func ValidateEndpoints(endpoints []Endpoint) error {
	if len(endpoints) == 0 {
		return errors.New("endpoints list is empty")
	}
	for _, ep := range endpoints {
		if len(ep.Addresses) > 0 {
			return nil
		}
	}
	return errors.New("endpoints list contains no addresses")
}
