package feeds

import (
	"html"
	"net/url"
	"strings"
	"sync"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
)

// policy is the allowlist every republished HTML fragment passes through.
// It is built once: a bluemonday.Policy is safe for concurrent use once
// configured. Based on bluemonday's UGC policy (no script, style, iframe,
// object, form or event handler attributes; only http, https and mailto
// URLs, no data: or javascript:), every link gets rel="nofollow noopener"
// and opens in a new window.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
})

// sanitise returns fragment as safe HTML, with relative URLs in href and
// src attributes resolved against base (which may be nil).
func sanitise(fragment string, base *url.URL) string {
	fragment = strings.TrimSpace(fragment)
	if fragment == "" {
		return ""
	}
	if !strings.ContainsAny(fragment, "<>&") {
		return fragment // plain text is already safe HTML
	}
	if base != nil && hasRelativeURL(fragment) {
		fragment = resolveHTML(fragment, base)
	}
	return strings.TrimSpace(policy().Sanitize(fragment))
}

// urlAttrs are the HTML attributes whose value is one URL.
var urlAttrs = map[string]bool{"href": true, "src": true, "poster": true, "cite": true, "longdesc": true}

// hasRelativeURL reports whether an href= or src= in fragment might hold a
// relative URL. It is a cheap scan that lets fragments with only absolute
// links (most of them) skip the tokenizer pass; false positives are fine.
func hasRelativeURL(fragment string) bool {
	s := fragment
	for {
		i := strings.IndexByte(s, '=')
		if i < 0 {
			return false
		}
		name := s[max(0, i-8):i]
		s = s[i+1:]
		if !hasURLAttrSuffix(name) {
			continue
		}
		v := strings.TrimLeft(s, " \t\r\n\"'")
		if !hasScheme(v) {
			return true
		}
	}
}

func hasURLAttrSuffix(name string) bool {
	name = strings.TrimRight(name, " \t\r\n")
	n := len(name)
	for _, a := range [...]string{"href", "src", "poster", "cite", "longdesc"} {
		if n >= len(a) && strings.EqualFold(name[n-len(a):], a) {
			return true
		}
	}
	return false
}

// hasScheme reports whether v starts with a URL scheme ("http:", "mailto:").
func hasScheme(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':':
			return i > 0
		default:
			return false
		}
	}
	return false
}

// resolveHTML rewrites relative URLs in the URL attributes of fragment to
// absolute ones against base. Text and tags it does not change are kept
// byte for byte.
func resolveHTML(fragment string, base *url.URL) string {
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	b.Grow(len(fragment) + 64)
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			raw := string(z.Raw())
			tok := z.Token()
			changed := false
			for i, a := range tok.Attr {
				if a.Namespace != "" || !urlAttrs[a.Key] {
					continue
				}
				if abs := resolve(base, a.Val); abs != a.Val {
					tok.Attr[i].Val = abs
					changed = true
				}
			}
			if changed {
				b.WriteString(tok.String())
			} else {
				b.WriteString(raw)
			}
		default:
			b.Write(z.Raw())
		}
	}
}

// resolve returns ref resolved against base, or ref unchanged when base is
// nil or ref does not parse.
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if base == nil || ref == "" {
		return ref
	}
	if hasScheme(ref) {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return base.ResolveReference(u).String()
}

// plainText returns s with HTML tags removed, entities decoded and runs of
// white space collapsed to single spaces: a title fit for a text node.
func plainText(s string) string {
	if strings.ContainsRune(s, '<') {
		s = stripTags(s)
	}
	if strings.ContainsRune(s, '&') {
		s = html.UnescapeString(s)
	}
	return collapseSpace(s)
}

// stripTags removes what looks like HTML tags and comments from s. A '<'
// that is not followed by a letter, '/', '!' or '?' is text ("a < b").
func stripTags(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 || i+1 >= len(s) {
			b.WriteString(s)
			return b.String()
		}
		c := s[i+1]
		isTag := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '/' || c == '!' || c == '?'
		if !isTag {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		rest := s[i:]
		end, n := strings.IndexByte(rest, '>'), 1
		if strings.HasPrefix(rest, "<!--") {
			end, n = strings.Index(rest, "-->"), 3
		}
		if end < 0 {
			return b.String()
		}
		b.WriteByte(' ')
		s = rest[end+n:]
	}
}

// collapseSpace trims s and replaces every run of white space with one
// space.
func collapseSpace(s string) string {
	prevSpace := true
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (prevSpace || r != ' ') {
			return strings.Join(strings.Fields(s), " ")
		}
		prevSpace = sp
	}
	if prevSpace && s != "" {
		return strings.TrimRight(s, " ")
	}
	return s
}
