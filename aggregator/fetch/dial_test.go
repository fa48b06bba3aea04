package fetch

import (
	"net"
	"net/netip"
	"testing"
)

func TestIsPrivateRanges(t *testing.T) {
	tests := []struct {
		addr string
		want bool // refused
		why  string
	}{
		// IPv4 special-purpose ranges.
		{"0.0.0.0", true, "this host"},
		{"0.1.2.3", true, "this network"},
		{"10.0.0.1", true, "private"},
		{"100.64.0.1", true, "shared address space"},
		{"100.127.255.254", true, "shared address space"},
		{"127.0.0.1", true, "loopback"},
		{"127.255.255.254", true, "loopback"},
		{"169.254.169.254", true, "link-local, cloud metadata"},
		{"172.16.0.1", true, "private"},
		{"172.31.255.254", true, "private"},
		{"192.0.0.1", true, "IETF protocol assignments"},
		{"192.0.0.170", true, "NAT64 discovery"},
		{"192.0.2.1", true, "TEST-NET-1"},
		{"192.88.99.1", true, "6to4 relay anycast"},
		{"192.168.1.1", true, "private"},
		{"198.18.0.1", true, "benchmarking"},
		{"198.19.255.254", true, "benchmarking"},
		{"198.51.100.7", true, "TEST-NET-2"},
		{"203.0.113.7", true, "TEST-NET-3"},
		{"224.0.0.1", true, "multicast"},
		{"239.255.255.250", true, "multicast, SSDP"},
		{"240.0.0.1", true, "reserved"},
		{"255.255.255.254", true, "reserved"},
		{"255.255.255.255", true, "limited broadcast"},

		// IPv6 special-purpose ranges.
		{"::", true, "unspecified"},
		{"::1", true, "loopback"},
		{"::ffff:127.0.0.1", true, "IPv4-mapped loopback"},
		{"::ffff:10.0.0.1", true, "IPv4-mapped private"},
		{"::ffff:0:10.0.0.1", true, "IPv4-translated"},
		{"::127.0.0.1", true, "IPv4-compatible loopback"},
		{"::10.0.0.1", true, "IPv4-compatible private"},
		{"::0.0.0.2", true, "IPv4-compatible, this network"},
		{"64:ff9b::7f00:1", true, "NAT64 of loopback"},
		{"64:ff9b::a9fe:a9fe", true, "NAT64 of link-local"},
		{"64:ff9b::c0a8:101", true, "NAT64 of private"},
		{"64:ff9b:1::808:808", true, "local-use NAT64"},
		{"64:ff9b:1:ffff::1", true, "local-use NAT64"},
		{"100::1", true, "discard-only"},
		{"100::ffff:ffff:ffff:ffff", true, "discard-only"},
		{"100:0:0:1::1", true, "dummy prefix"},
		{"2001::1", true, "Teredo"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true, "Teredo"},
		{"2001:1::1", true, "IETF protocol assignments"},
		{"2001:2::1", true, "benchmarking"},
		{"2001:10::1", true, "ORCHID"},
		{"2001:20::1", true, "ORCHIDv2"},
		{"2001:2f::1", true, "ORCHIDv2"},
		{"2001:db8::1", true, "documentation"},
		{"2001:db8:ffff::1", true, "documentation"},
		{"2002:7f00:1::1", true, "6to4 of loopback"},
		{"2002:a00:1::1", true, "6to4 of private"},
		{"2002:c000:201::1", true, "6to4 of TEST-NET-1"},
		{"3fff::1", true, "documentation"},
		{"5f00::1", true, "SRv6 SIDs"},
		{"fc00::1", true, "unique local"},
		{"fd12:3456:789a::1", true, "unique local"},
		{"fe80::1", true, "link-local"},
		{"fe80::1%eth0", true, "link-local with zone"},
		{"febf::1", true, "link-local"},
		{"fec0::1", true, "site-local"},
		{"ff02::1", true, "multicast"},
		{"ff0e::1", true, "global multicast"},
		{"4000::1", true, "outside global unicast"},
		{"::2:0:0:1", true, "unassigned"},

		// Public addresses.
		{"8.8.8.8", false, "Google DNS"},
		{"1.1.1.1", false, "Cloudflare DNS"},
		{"100.128.0.1", false, "just past shared address space"},
		{"100.63.255.255", false, "just before shared address space"},
		{"172.32.0.1", false, "just past 172.16.0.0/12"},
		{"192.0.3.1", false, "just past TEST-NET-1"},
		{"198.17.255.255", false, "just before benchmarking"},
		{"198.20.0.1", false, "just past benchmarking"},
		{"203.0.114.1", false, "just past TEST-NET-3"},
		{"223.255.255.254", false, "last unicast before multicast"},
		{"::ffff:8.8.8.8", false, "IPv4-mapped public"},
		{"::8.8.8.8", false, "IPv4-compatible public"},
		{"64:ff9b::808:808", false, "NAT64 of a public address"},
		{"2002:808:808::1", false, "6to4 of a public address"},
		{"2606:4700:4700::1111", false, "Cloudflare DNS"},
		{"2001:4860:4860::8888", false, "Google DNS"},
		{"2001:200::1", false, "just past IETF protocol assignments"},
		{"2a00:1450:4001::1", false, "global unicast"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			if got := isPrivate(ip); got != tt.want {
				t.Errorf("isPrivate(%s) = %v, want %v (%s)", tt.addr, got, tt.want, tt.why)
			}
			err := denyPrivate("tcp", net.JoinHostPort(tt.addr, "443"), nil)
			if got := err != nil; got != tt.want {
				t.Errorf("denyPrivate(%s) = %v, want refused %v", tt.addr, err, tt.want)
			}
		})
	}
}

func TestDenyPrivateBadAddress(t *testing.T) {
	for _, addr := range []string{"", "example.org:80", "127.0.0.1", "[::1"} {
		if err := denyPrivate("tcp", addr, nil); err == nil {
			t.Errorf("denyPrivate(%q) = nil, want refused", addr)
		}
	}
}
