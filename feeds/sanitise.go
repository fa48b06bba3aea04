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
// URLs, no data:, javascript: or vbscript:, whatever their case or the
// character references and white space that disguise them), every link
// gets rel="nofollow noopener" and opens in a new window. sanitise drops
// mailto: (and anything else but http and https) from src and poster
// before the policy sees them: a mail address is a link, never an image.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
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
	if needsURLPass(fragment, base != nil) {
		fragment = resolveHTML(fragment, base)
	}
	// Written into a string of about the fragment's size (the policy
	// adds a few attributes, drops more), not a buffer grown from
	// nothing and then copied into a string as Sanitize does.
	var out strings.Builder
	out.Grow(len(fragment) + len(fragment)/8)
	if err := policy().SanitizeReaderToWriter(strings.NewReader(fragment), &out); err != nil {
		return "" // as Sanitize: nothing rather than a part
	}
	return strings.TrimSpace(out.String())
}

// urlAttrs are the HTML attributes whose value is one URL.
var urlAttrs = map[string]bool{"href": true, "src": true, "poster": true, "cite": true, "longdesc": true}

// mediaAttrs are the URL attributes that load a resource: only http and
// https may stay in them.
var mediaAttrs = map[string]bool{"src": true, "poster": true}

// needsURLPass reports whether fragment needs resolveHTML: a URL
// attribute might hold a relative URL (when relative ones can be
// resolved), or a src or poster might hold a URL that is not http or
// https. It is a cheap scan that lets fragments with only absolute web
// links (most of them) skip the tokenizer pass; false positives are fine.
func needsURLPass(fragment string, relative bool) bool {
	s := fragment
	for {
		i := strings.IndexByte(s, '=')
		if i < 0 {
			return false
		}
		name := urlAttrSuffix(s[max(0, i-8):i])
		s = s[i+1:]
		if name == "" {
			continue
		}
		v := strings.TrimLeft(s, " \t\r\n\"'")
		switch {
		case !hasScheme(v):
			if relative || mediaAttrs[name] {
				return true
			}
		case mediaAttrs[name] && !hasPrefixFold(v, "http:") && !hasPrefixFold(v, "https:"):
			return true
		}
	}
}

// urlAttrSuffix returns the URL attribute name s ends with, or "".
func urlAttrSuffix(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	n := len(s)
	for _, a := range [...]string{"href", "src", "poster", "cite", "longdesc"} {
		if n >= len(a) && strings.EqualFold(s[n-len(a):], a) {
			return a
		}
	}
	return ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
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
// absolute ones against base (which may be nil), and drops src and poster
// attributes that are not http or https URLs once resolved. Text and tags
// it does not change are kept byte for byte.
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
			attrs := tok.Attr[:0]
			for _, a := range tok.Attr {
				if a.Namespace == "" && mediaAttrs[a.Key] {
					v := safeURL(base, a.Val)
					if v == "" {
						changed = true
						continue
					}
					changed = changed || v != a.Val
					a.Val = v
				} else if a.Namespace == "" && urlAttrs[a.Key] {
					if abs := resolve(base, a.Val); abs != a.Val {
						a.Val = abs
						changed = true
					}
				}
				attrs = append(attrs, a)
			}
			tok.Attr = attrs
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
// PlainText returns an HTML fragment (or text) as plain text: tags
// removed, entities decoded, white space collapsed.
func PlainText(s string) string { return plainText(s) }

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
