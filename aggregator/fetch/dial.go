package fetch

import (
	"net"
	"net/netip"
	"syscall"
)

// denyPrivate is a net.Dialer.Control function that refuses to connect to
// an address isPrivate reports. It runs after name resolution, for every
// address tried, so a public name that resolves to a private address is
// refused too.
func denyPrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &errPrivate{addr: address}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &errPrivate{addr: address}
	}
	if isPrivate(ip) {
		return &errPrivate{addr: host}
	}
	return nil
}

// notGlobal lists the ranges of the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (RFC 6890 and later) that are not globally
// reachable, besides those the netip predicates in isPrivate cover
// (loopback, RFC 1918 and fc00::/7, link-local, multicast, unspecified).
// Ranges the registries mark reachable (AS112, AMT, 192.0.0.9/32 and
// the like) are refused where they sit inside a larger refused block:
// none of them serves feeds.
var notGlobal = []netip.Prefix{
	// IPv4.
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network" (RFC 791)
	netip.MustParsePrefix("100.64.0.0/10"),      // shared address space, carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments (RFC 6890)
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation, TEST-NET-1 (RFC 5737)
	netip.MustParsePrefix("192.88.99.0/24"),     // 6to4 relay anycast, deprecated (RFC 7526)
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking (RFC 2544)
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation, TEST-NET-2 (RFC 5737)
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation, TEST-NET-3 (RFC 5737)
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved (RFC 1112)
	netip.MustParsePrefix("255.255.255.255/32"), // limited broadcast (RFC 919)

	// IPv6.
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use IPv4/IPv6 translation (RFC 8215)
	netip.MustParsePrefix("100::/64"),        // discard-only (RFC 6666)
	netip.MustParsePrefix("100:0:0:1::/64"),  // dummy prefix (RFC 9780)
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (RFC 2928), with:
	netip.MustParsePrefix("2001::/32"),       //   Teredo (RFC 4380)
	netip.MustParsePrefix("2001:2::/48"),     //   benchmarking (RFC 5180)
	netip.MustParsePrefix("2001:10::/28"),    //   ORCHID, deprecated (RFC 4843)
	netip.MustParsePrefix("2001:20::/28"),    //   ORCHIDv2, identifiers, not locators (RFC 7343)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation (RFC 3849)
	netip.MustParsePrefix("3fff::/20"),       // documentation (RFC 9637)
	netip.MustParsePrefix("5f00::/16"),       // SRv6 SIDs (RFC 9602)
	netip.MustParsePrefix("fec0::/10"),       // site-local, deprecated (RFC 3879)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (RFC 2765), unused on the Internet
}

// globalUnicast is the IPv6 global unicast space (RFC 4291); addresses
// outside it are not reachable on the Internet unless they carry an IPv4
// address (below).
var globalUnicast = netip.MustParsePrefix("2000::/3")

// IPv6 ranges that carry an IPv4 address, which is checked in their stead.
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64 prefix (RFC 6052): the IPv4 address in the last 32 bits
	sixToFour  = netip.MustParsePrefix("2002::/16")    // 6to4 (RFC 3056): the IPv4 address in bits 16-47
	v4Compat   = netip.MustParsePrefix("::/96")        // IPv4-compatible, deprecated (RFC 4291): the last 32 bits
	v4Embedded = []netip.Prefix{nat64, v4Compat}       // IPv4 in the last 32 bits
)

// isPrivate reports whether ip is an address a shared deployment must not
// reach on behalf of a feed URL: one that is not globally reachable, or
// an IPv6 address carrying such an IPv4 address (IPv4-mapped, NAT64
// 64:ff9b::/96, 6to4, IPv4-compatible). NAT64 of a public address
// (64:ff9b::808:808) is allowed: it is how IPv6-only hosts reach IPv4
// feeds. The local-use NAT64 prefix 64:ff9b:1::/48 is refused whole:
// where its IPv4 address sits depends on a local prefix length this
// function cannot know.
func isPrivate(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if ip.Is6() && !ip.IsUnspecified() && !ip.IsLoopback() {
		b := ip.As16()
		for _, p := range v4Embedded {
			if p.Contains(ip) {
				return isPrivate(netip.AddrFrom4([4]byte(b[12:16])))
			}
		}
		if sixToFour.Contains(ip) {
			return isPrivate(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range notGlobal {
		if p.Contains(ip) {
			return true
		}
	}
	return ip.Is6() && !globalUnicast.Contains(ip)
}
