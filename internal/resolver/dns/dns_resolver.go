// Package dns implements the "dns" resolver, gRPC's default name resolver.
// It resolves host names with the Go net package, optionally against a DNS
// server named in the target's authority, and reads service configs from
// TXT records.
package dns

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/internal/backoff"
	"google.golang.org/grpc/internal/resolver/dns/internal"
	"google.golang.org/grpc/resolver"
)

var (
	// MinResolutionInterval is the shortest time allowed between two
	// successful resolutions of the same target, however often ResolveNow is
	// called.
	MinResolutionInterval = 30 * time.Second

	// ResolvingTimeout bounds each resolution (address and TXT lookups
	// together). Set it only at start-up; it is read without
	// synchronisation.
	ResolvingTimeout = 30 * time.Second

	logger = grpclog.Component("dns")
)

// Environment switches, read once at start-up with the same names and
// defaults as grpc-go.
var (
	// enableTXTServiceConfig is false only if GRPC_ENABLE_TXT_SERVICE_CONFIG
	// is "false".
	enableTXTServiceConfig = !strings.EqualFold(os.Getenv("GRPC_ENABLE_TXT_SERVICE_CONFIG"), "false")
	// ignoreTXTErrors is false only if GRPC_GO_IGNORE_TXT_ERRORS is "false".
	ignoreTXTErrors = !strings.EqualFold(os.Getenv("GRPC_GO_IGNORE_TXT_ERRORS"), "false")
)

const (
	defaultPort    = "443"
	defaultDNSPort = "53"
)

func init() {
	resolver.Register(NewBuilder())
	internal.TimeAfterFunc = time.After
	internal.TimeNowFunc = time.Now
	internal.NewNetResolver = newNetResolver
	internal.AddressDialer = addressDialer
}

// addressDialer ignores the address chosen by net.Resolver (from
// /etc/resolv.conf) and always dials the configured DNS server.
func addressDialer(address string) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
}

// newNetResolver returns the system resolver for an empty authority, and
// otherwise a pure-Go resolver that sends its queries to the authority.
func newNetResolver(authority string) (internal.NetResolver, error) {
	if authority == "" {
		return net.DefaultResolver, nil
	}
	host, port, err := splitTarget(authority, defaultDNSPort)
	if err != nil {
		return nil, err
	}
	return &net.Resolver{
		// Only the Go implementation honours Dial.
		PreferGo: true,
		Dial:     internal.AddressDialer(net.JoinHostPort(host, port)),
	}, nil
}

// NewBuilder returns a builder for "dns" resolvers.
func NewBuilder() resolver.Builder {
	return &builder{}
}

type builder struct{}

// Build starts resolving target. IP-literal targets are answered at once and
// never re-resolved; host names are watched by a background goroutine that
// lives until Close.
func (*builder) Build(target resolver.Target, cc resolver.ClientConn, opts resolver.BuildOptions) (resolver.Resolver, error) {
	host, port, err := splitTarget(target.Endpoint(), defaultPort)
	if err != nil {
		return nil, err
	}

	if ip, err := ipLiteral(host); err == nil {
		addrs := []resolver.Address{{Addr: ip + ":" + port}}
		cc.UpdateState(resolver.State{
			Addresses: addrs,
			Endpoints: []resolver.Endpoint{{Addresses: addrs}},
		})
		return nopResolver{}, nil
	}

	nr, err := internal.NewNetResolver(target.URL.Host)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &dnsResolver{
		host:          host,
		port:          port,
		netResolver:   nr,
		cc:            cc,
		ctx:           ctx,
		cancel:        cancel,
		resolveNow:    make(chan struct{}, 1),
		serviceConfig: enableTXTServiceConfig && !opts.DisableServiceConfig,
	}
	r.wg.Add(1)
	go r.run()
	return r, nil
}

// Scheme returns "dns".
func (*builder) Scheme() string {
	return "dns"
}

// nopResolver serves IP literals, whose resolution can never change.
type nopResolver struct{}

func (nopResolver) ResolveNow(resolver.ResolveNowOptions) {}
func (nopResolver) Close()                                {}

// dnsResolver re-resolves a host name whenever the channel asks for it,
// but no more often than MinResolutionInterval, and retries failures with
// exponential backoff.
type dnsResolver struct {
	host, port    string
	netResolver   internal.NetResolver
	cc            resolver.ClientConn
	serviceConfig bool // whether to look up TXT service configs

	ctx    context.Context
	cancel context.CancelFunc
	// resolveNow holds at most one pending request; further requests made
	// before it is consumed are folded into it.
	resolveNow chan struct{}
	// wg lets Close wait for run to exit, so no callback into cc (and no use
	// of the test hooks) happens after Close returns.
	wg sync.WaitGroup
}

// ResolveNow requests a new resolution. It never blocks.
func (r *dnsResolver) ResolveNow(resolver.ResolveNowOptions) {
	select {
	case r.resolveNow <- struct{}{}:
	default:
	}
}

// Close stops the resolver and waits for its goroutine to exit.
func (r *dnsResolver) Close() {
	r.cancel()
	r.wg.Wait()
}

func (r *dnsResolver) run() {
	defer r.wg.Done()
	// failures counts consecutive failed attempts; it indexes the backoff
	// schedule starting at 1, as grpc-go does.
	failures := 0
	for {
		state, err := r.lookup()
		if err != nil {
			r.cc.ReportError(err)
		} else {
			// An error here means the channel could not use the result
			// (e.g. an invalid service config); retrying with backoff gives
			// the records a chance to be fixed.
			err = r.cc.UpdateState(state)
		}

		var wait time.Duration
		if err == nil {
			failures = 0
			// The floor is measured from this resolution, not from the
			// ResolveNow that follows it.
			earliest := internal.TimeNowFunc().Add(MinResolutionInterval)
			select {
			case <-r.ctx.Done():
				return
			case <-r.resolveNow:
			}
			wait = earliest.Sub(internal.TimeNowFunc())
		} else {
			failures++
			wait = backoff.DefaultExponential.Backoff(failures)
		}
		select {
		case <-r.ctx.Done():
			return
		case <-internal.TimeAfterFunc(wait):
		}
	}
}

// lookup performs one resolution of the target.
func (r *dnsResolver) lookup() (resolver.State, error) {
	ctx, cancel := context.WithTimeout(r.ctx, ResolvingTimeout)
	defer cancel()

	addrs, err := r.lookupAddresses(ctx)
	if err != nil {
		return resolver.State{}, err
	}
	eps := make([]resolver.Endpoint, len(addrs))
	for i, a := range addrs {
		eps[i] = resolver.Endpoint{Addresses: []resolver.Address{a}}
	}
	state := resolver.State{Addresses: addrs, Endpoints: eps}
	if r.serviceConfig {
		state.ServiceConfig = r.lookupServiceConfig(ctx)
	}
	return state, nil
}

func (r *dnsResolver) lookupAddresses(ctx context.Context) ([]resolver.Address, error) {
	hosts, err := r.netResolver.LookupHost(ctx, r.host)
	if err != nil {
		return nil, filterDNSError(err, "A")
	}
	addrs := make([]resolver.Address, 0, len(hosts))
	for _, h := range hosts {
		ip, err := ipLiteral(h)
		if err != nil {
			return nil, fmt.Errorf("dns: error parsing A record IP address %v: %v", h, err)
		}
		addrs = append(addrs, resolver.Address{Addr: ip + ":" + r.port})
	}
	return addrs, nil
}

// filterDNSError decides whether a lookup error is worth retrying. Timeouts,
// temporary failures and non-DNS errors are returned (wrapped) so that the
// resolver backs off and tries again; definitive answers such as "no such
// host" are swallowed and treated as an empty result, since for TXT records
// they simply mean that nothing is published.
func filterDNSError(err error, recordType string) error {
	// Only an unwrapped *net.DNSError counts as a definitive answer, which
	// is what net.Resolver returns.
	if dnsErr, ok := err.(*net.DNSError); ok && !dnsErr.IsTimeout && !dnsErr.IsTemporary {
		return nil
	}
	err = fmt.Errorf("dns: %v record lookup error: %v", recordType, err)
	logger.Info(err)
	return err
}
