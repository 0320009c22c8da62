package pickfirst

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"

	"google.golang.org/grpc/resolver"
)

// shuffle is replaced by tests to make the order predictable.
var shuffle = rand.Shuffle

// addressesFrom builds the ordered list of addresses to try from a resolver
// update: endpoints (optionally shuffled as a whole) are flattened in order,
// or the plain address list is used when the resolver gave no endpoints. The
// result has no duplicates and its IP families are interleaved.
func addressesFrom(st resolver.State, shuffled bool) []resolver.Address {
	var addrs []resolver.Address
	if eps := st.Endpoints; len(eps) > 0 {
		if shuffled {
			// Copy first: the resolver state may be shared with other readers.
			eps = slices.Clone(eps)
			shuffle(len(eps), func(i, j int) { eps[i], eps[j] = eps[j], eps[i] })
		}
		for _, ep := range eps {
			addrs = append(addrs, ep.Addresses...)
		}
	} else {
		addrs = slices.Clone(st.Addresses)
		if shuffled {
			shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
		}
	}
	return interleave(dedupe(addrs))
}

// dedupe drops repeated addresses. There is one SubConn per address, so a
// repeat would only make a pass try the same connection twice.
func dedupe(addrs []resolver.Address) []resolver.Address {
	seen := resolver.NewAddressMapV2[struct{}]()
	out := make([]resolver.Address, 0, len(addrs))
	for _, a := range addrs {
		if _, dup := seen.Get(a); dup {
			continue
		}
		seen.Set(a, struct{}{})
		out = append(out, a)
	}
	return out
}

type family int

const (
	familyOther family = iota // not an "ip:port" literal, e.g. a host name
	familyV4
	familyV6
)

func familyOf(addr string) family {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return familyOther
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return familyOther
	case ip.Is4() || ip.Is4In6():
		return familyV4
	}
	return familyV6
}

// interleave reorders addrs so that consecutive addresses alternate between
// families, in the order the families first appear (RFC 8305 section 4, with
// a "first address family count" of one). A broken IPv6 (or IPv4) network
// then costs one attempt rather than a whole run of them. Order within a
// family is kept.
func interleave(addrs []resolver.Address) []resolver.Address {
	var order []family
	byFamily := make(map[family][]resolver.Address)
	for _, a := range addrs {
		f := familyOf(a.Addr)
		if _, ok := byFamily[f]; !ok {
			order = append(order, f)
		}
		byFamily[f] = append(byFamily[f], a)
	}
	if len(order) < 2 {
		return addrs
	}
	out := make([]resolver.Address, 0, len(addrs))
	for len(out) < len(addrs) {
		for _, f := range order {
			if q := byFamily[f]; len(q) > 0 {
				out = append(out, q[0])
				byFamily[f] = q[1:]
			}
		}
	}
	return out
}

// sameAddress compares the fields of two addresses that identify a
// connection, ignoring BalancerAttributes (which only concern policies).
func sameAddress(a, b resolver.Address) bool {
	return a.Addr == b.Addr && a.ServerName == b.ServerName && a.Attributes.Equal(b.Attributes)
}

// addrCursor walks the address list during a connection pass. Once it has
// moved past the last address it is exhausted until reset.
type addrCursor struct {
	addrs []resolver.Address
	pos   int
}

func (c *addrCursor) reset(addrs []resolver.Address) { c.addrs, c.pos = addrs, 0 }
func (c *addrCursor) rewind()                        { c.pos = 0 }
func (c *addrCursor) valid() bool                    { return c.pos < len(c.addrs) }
func (c *addrCursor) hasNext() bool                  { return c.pos+1 < len(c.addrs) }

// current returns the address under the cursor, or a zero Address once the
// cursor is exhausted.
func (c *addrCursor) current() resolver.Address {
	if !c.valid() {
		return resolver.Address{}
	}
	return c.addrs[c.pos]
}

// next advances the cursor and reports whether it still points at an address.
func (c *addrCursor) next() bool {
	if !c.valid() {
		return false
	}
	c.pos++
	return c.valid()
}

// seek moves the cursor to addr and reports whether addr is in the list; the
// cursor does not move if it is not.
func (c *addrCursor) seek(addr resolver.Address) bool {
	for i, a := range c.addrs {
		if sameAddress(a, addr) {
			c.pos = i
			return true
		}
	}
	return false
}
