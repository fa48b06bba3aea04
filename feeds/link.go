package feeds

import (
	"html"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// safeURL returns s resolved against base (which may be nil) when the
// result is an http or https URL with a host, and "" otherwise. It is the
// one filter every link passes before it reaches a reader: an item's and a
// feed's link when parsing, and every href when rendering.
//
// s is first cleaned as a browser's URL parser cleans it: tab, carriage
// return and newline are removed wherever they are, and C0 controls and
// spaces are trimmed from both ends, so "java\tscript:" and
// " javascript:" are seen as the javascript: URLs a browser would follow.
// A URL still holding a control character or invalid UTF-8 is refused. A
// scheme disguised by HTML character references ("jav&#x61;script:") or
// percent-encoding ("javascript%3A", "%6Aavascript:") is refused too: the
// decoded forms must not name a scheme other than http or https either.
// Spaces left inside the URL are percent-encoded.
//
// An absolute URL is returned as written (once cleaned); a relative one as
// resolved against base. Without base a relative URL gives "".
func safeURL(base *url.URL, s string) string {
	s = cleanURL(s)
	if s == "" || !utf8.ValidString(s) || strings.ContainsFunc(s, isURLControl) {
		return ""
	}
	if strings.ContainsAny(s, "&%") && disguisedScheme(s) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	if !u.IsAbs() {
		if base == nil {
			return ""
		}
		u = base.ResolveReference(u)
		s = u.String()
	}
	if !isWebURL(u) {
		return ""
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		s = escapeSpaces(s)
	}
	// What a reader gets must parse as the same kind of URL: resolving
	// can yield one that does not ("//::" gives "https://::").
	if u, err := url.Parse(s); err != nil || !isWebURL(u) {
		return ""
	}
	return s
}

// isWebURL reports whether u is an http or https URL naming a host.
func isWebURL(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.Opaque == ""
}

// cleanURL removes tab, carriage return and newline from s and trims C0
// controls and spaces from its ends, as the WHATWG URL parser does.
func cleanURL(s string) string {
	if strings.ContainsAny(s, "\t\r\n") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, s)
	}
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' || unicode.IsSpace(r) })
}

// isURLControl reports whether r may not appear in a link at all.
func isURLControl(r rune) bool {
	return r < ' ' || r == 0x7F || unicode.IsControl(r) || r == utf8.RuneError
}

// disguisedScheme reports whether s, once HTML character references or
// percent-escapes are decoded, starts with a scheme other than http or
// https.
func disguisedScheme(s string) bool {
	forms := make([]string, 0, 3)
	if strings.ContainsRune(s, '&') {
		forms = append(forms, html.UnescapeString(s))
	}
	for _, f := range append([]string{s}, forms...) {
		if strings.ContainsRune(f, '%') {
			if d, err := url.PathUnescape(f); err == nil {
				forms = append(forms, d)
			}
		}
	}
	for _, f := range forms {
		f = strings.ToLower(cleanURL(f))
		if scheme, ok := leadingScheme(f); ok && scheme != "http" && scheme != "https" {
			return true
		}
	}
	return false
}

// leadingScheme returns the scheme s starts with ("javascript" for
// "javascript:x"), if any.
func leadingScheme(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 0:
			return s[:i], true
		default:
			return "", false
		}
	}
	return "", false
}

const upperHex = "0123456789ABCDEF"

// escapeSpaces percent-encodes the white space in s.
func escapeSpaces(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsSpace(r) {
			b.WriteRune(r)
			continue
		}
		var buf [utf8.UTFMax]byte
		for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String()
}

// linkHref returns s as a link fit to render, or "": stored links may
// predate safeURL, so the renderers filter them again.
func linkHref(s string) string {
	return safeURL(nil, s)
}
