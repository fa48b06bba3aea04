package dedupe

import (
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.lotusdaily.example/a/1.html", "https://lotusdaily.example/a/1.html"},
		{"http://lotusdaily.example/a/1.html", "https://lotusdaily.example/a/1.html"},
		{"  HTTP://WWW.LotusDaily.Example:80/a/1.html  ", "https://lotusdaily.example/a/1.html"},
		{"https://lotusdaily.example:443/a/1.html", "https://lotusdaily.example/a/1.html"},
		{"https://lotusdaily.example:8443/a/1.html", "https://lotusdaily.example:8443/a/1.html"},
		{"https://lotusdaily.example/a/1.html#comments", "https://lotusdaily.example/a/1.html"},
		{"https://lotusdaily.example/a/1.html?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://lotusdaily.example/a/1.html"},
		{"https://lotusdaily.example/a/1.html?fbclid=IwAR1&gclid=2&mc_cid=3&mc_eid=4", "https://lotusdaily.example/a/1.html"},
		{"https://lotusdaily.example/a/1.html?ref=rss&cmpid=x&from=timeline&UTM_Source=y", "https://lotusdaily.example/a/1.html"},
		{"https://lotusdaily.example/read?id=42&utm_source=rss&page=2", "https://lotusdaily.example/read?id=42&page=2"},
		{"https://lotusdaily.example/read?page=2&id=42", "https://lotusdaily.example/read?id=42&page=2"},
		{"https://lotusdaily.example/read?q=a%20b&a=1", "https://lotusdaily.example/read?a=1&q=a%20b"},
		{"https://lotusdaily.example", "https://lotusdaily.example/"},
		{"https://lotusdaily.example/Path/Case", "https://lotusdaily.example/Path/Case"},
		{"https://lotusdaily.example/a?", "https://lotusdaily.example/a"},
		{"https://lotusdaily.example./a", "https://lotusdaily.example/a"},
		{"https://新闻.example/文章", "https://新闻.example/%E6%96%87%E7%AB%A0"},
		{"tag:lotusdaily.example,2026:WS1", "tag:lotusdaily.example,2026:WS1"},
		{"12345", "12345"},
		{"/relative/path", "/relative/path"},
		{"ftp://lotusdaily.example/a", "ftp://lotusdaily.example/a"},
		{"http://[::1", "http://[::1"},
		{"https://saigonledger.example/business/a-1.html?src=rss", "https://saigonledger.example/business/a-1.html"},
		{"https://saigonledger.example/business/a-1.html?tbref=rss", "https://saigonledger.example/business/a-1.html"},
		{"https://m.lotusdaily.example/a/1.html", "https://lotusdaily.example/a/1.html"},
		{"https://amp.lotusdaily.example/a/1.html", "https://lotusdaily.example/a/1.html"},
		{"https://m.example/a", "https://m.example/a"},
		{"https://www.peninsulacourier.example/amp/business/a", "https://peninsulacourier.example/business/a"},
		{"https://peninsulacourier.example/business/a/amp", "https://peninsulacourier.example/business/a"},
		{"https://peninsulacourier.example/business/a/amp/", "https://peninsulacourier.example/business/a/"},
		{"https://peninsulacourier.example/amp", "https://peninsulacourier.example/amp"},
		{"https://peninsulacourier.example/amplifier/a", "https://peninsulacourier.example/amplifier/a"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := CanonicalURL(tt.in); got != tt.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"https://www.lotusdaily.example/a/1.html?utm_source=rss&id=2#x",
		"http://WWW.EXAMPLE.org:80/?b=1&a=2;c=3",
		"https://user:pass@example.org:443/p%20q?x=%zz",
		"tag:example.org,2026:1",
		"http://[::1]:443/a",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CanonicalURL(s)
		if again := CanonicalURL(c); again != c {
			t.Fatalf("not idempotent: CanonicalURL(%q) = %q, CanonicalURL of that = %q", s, c, again)
		}
		if c == strings.TrimSpace(s) {
			return
		}
		u, err := url.Parse(c)
		if err != nil {
			t.Fatalf("CanonicalURL(%q) = %q, which does not parse: %v", s, c, err)
		}
		if u.Scheme != "https" || u.Fragment != "" || u.Host != strings.ToLower(u.Host) {
			t.Fatalf("CanonicalURL(%q) = %q: want https, a lower-case host, no fragment", s, c)
		}
		for _, p := range strings.Split(u.RawQuery, "&") {
			if strings.HasPrefix(strings.ToLower(p), "utm_") {
				t.Fatalf("CanonicalURL(%q) = %q keeps a utm_ parameter", s, c)
			}
		}
	})
}
