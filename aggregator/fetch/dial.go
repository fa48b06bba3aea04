package fetch

import (
	"net"
	"net/netip"
	"syscall"
)

// cgnat is the shared address space of carrier-grade NAT (RFC 6598),
// private in all but name.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// denyPrivate is a net.Dialer.Control function that refuses to connect to
// loopback, private, link-local, unspecified, multicast and carrier-grade
// NAT addresses. It runs after name resolution, for every address tried, so
// a public name that resolves to a private address is refused too.
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

// isPrivate reports whether ip is an address a shared deployment must not
// reach on behalf of a feed URL.
func isPrivate(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip) ||
		(ip.Is4() && ip.As4()[0] == 0) // 0.0.0.0/8: "this network"
}
