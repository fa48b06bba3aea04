package dedupe

import (
	"net/url"
	"sort"
	"strings"
)

// trackingParams are query parameters that identify a campaign, a referrer
// or a click rather than a document. CanonicalURL drops them, as it drops
// every parameter starting with "utm_".
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "_ga": true, "_gl": true,
	"ref": true, "ref_src": true, "ref_url": true, "referrer": true, "source": true,
	"cmpid": true, "cmp": true, "icid": true, "ocid": true, "ito": true, "s_cid": true,
	"mkt_tok": true, "xtor": true, "wt.mc_id": true, "at_medium": true, "at_campaign": true,
	"spm": true, "from": true, "isappinstalled": true, "share": true, "rss": true, "feed": true,
	"src": true, "tbref": true, "cid": true, "rss_source": true, "outputtype": true, "amp": true,
}

// CanonicalURL returns the form of raw that two copies of the same web page
// share: the scheme folded to https, a lower-case host without "www.",
// "m." or "amp." (the mobile and AMP twins of a site), no default port,
// no fragment, no "/amp" path segment at the start or end of the path, no
// tracking parameters (utm_*, fbclid, gclid, mc_cid, mc_eid, ref, cmpid,
// src, tbref and similar) and the remaining query parameters sorted. A string that is not an absolute http or https URL is
// returned trimmed of surrounding space.
func CanonicalURL(raw string) string {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return s
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return s
	}
	host := strings.ToLower(u.Host)
	if h, p, ok := strings.Cut(host, ":"); ok && !strings.Contains(p, ":") && (p == "80" || p == "443" || p == "") {
		host = h
	}
	for {
		h := strings.TrimRight(strings.TrimPrefix(host, "www."), ".")
		for _, twin := range [...]string{"m.", "amp.", "mobile."} {
			// Only a subdomain: "m.example" stays a host of its own.
			if rest, ok := strings.CutPrefix(h, twin); ok && strings.Contains(rest, ".") {
				h = rest
			}
		}
		if h == host {
			break
		}
		host = h
	}
	if host == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString("https://")
	if u.User != nil {
		b.WriteString(u.User.String())
		b.WriteByte('@')
	}
	b.WriteString(host)
	p := ampPath(u.EscapedPath())
	if p == "" {
		p = "/"
	}
	b.WriteString(p)
	if u.RawQuery != "" {
		if q := canonicalQuery(u.RawQuery); q != "" {
			b.WriteByte('?')
			b.WriteString(q)
		}
	}
	return b.String()
}

// ampPath returns the path p without an "/amp" segment at its start or
// end ("/amp/business/a" and "/business/a/amp" → "/business/a"), the path
// of a page's AMP twin.
func ampPath(p string) string {
	for {
		switch {
		case strings.HasPrefix(p, "/amp/") && len(p) > len("/amp/"):
			p = p[len("/amp"):]
		case strings.HasSuffix(p, "/amp") && len(p) > len("/amp"):
			p = p[:len(p)-len("/amp")]
		case strings.HasSuffix(p, "/amp/") && len(p) > len("/amp/"):
			p = p[:len(p)-len("amp/")]
		default:
			return p
		}
	}
}

// canonicalQuery drops tracking parameters from the raw query q and sorts
// the rest, keeping each parameter's original escaping.
func canonicalQuery(q string) string {
	parts := strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' })
	kept := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		k = strings.ToLower(k)
		if k == "" || strings.HasPrefix(k, "utm_") || trackingParams[k] {
			continue
		}
		kept = append(kept, escapeQueryPart(p))
	}
	sort.Strings(kept)
	return strings.Join(kept, "&")
}

// escapeQueryPart percent-encodes the bytes of the query parameter p that
// may not appear in a URL's query (space, controls, non-ASCII, '#'),
// keeping existing escapes.
func escapeQueryPart(p string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c > ' ' && c < 0x7f && c != '#' && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' && c != '`' && c != '{' && c != '|' && c != '}' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(p)+8), p[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return p
	}
	return string(b)
}
