package feeds

import (
	"bytes"
	"encoding/xml"
	"html"
	"io"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// FuzzParse checks that Parse never panics, that every feed it accepts
// keeps the Item contract (a GUID, a non-blank title, only http and
// https links, valid UTF-8, no script URL in its HTML), and that its
// items render as well-formed Atom. It is seeded with every document
// under testdata.
func FuzzParse(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "fuzz" {
				return filepath.SkipDir // the fuzzer's own corpus
			}
			return nil
		}
		rel, _ := filepath.Rel("testdata", path)
		f.Add(readTestdata(f, rel), "")
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="GBK"?><rss version="0.91"><channel><title>广西</title><item><title>东盟</title></item></channel></rss>`))
	f.Add(gbk, "")
	f.Add([]byte(`<rss><channel><item><title>x</title></item></channel></rss>`), "text/xml; charset=big5")
	f.Add([]byte(`<rss><channel><item><link>java&#9;script:x</link><description>&lt;a href="jav&amp;#x61;script:x"&gt;y&lt;/a&gt;</description></item></channel></rss>`), "text/xml; charset=iso-8859-1")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","url":"data:x","content_html":"<img src=javascript:x>"}]}`), "")

	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		feed, err := Parse(body, contentType, "https://fuzz.example/feed", testNow)
		if err != nil {
			return
		}
		if !utf8.ValidString(feed.Title) || !webURLOrEmpty(feed.SiteURL) {
			t.Fatalf("feed title %q site %q: want valid UTF-8 and an http(s) link or none", feed.Title, feed.SiteURL)
		}
		for i, it := range feed.Items {
			if it.GUID == "" || strings.TrimSpace(it.Title) == "" || it.Published.IsZero() || it.Published.After(testNow) {
				t.Fatalf("item %d breaks the Item contract: %+v", i, it)
			}
			if !webURLOrEmpty(it.URL) {
				t.Fatalf("item %d URL %q: want http, https or none", i, it.URL)
			}
			for _, s := range append([]string{it.GUID, it.URL, it.Title, it.Summary, it.Content, it.Author, it.Lang}, it.Categories...) {
				if !utf8.ValidString(s) {
					t.Fatalf("item %d has invalid UTF-8 %q: %+v", i, s, it)
				}
			}
			for _, h := range []string{it.Summary, it.Content} {
				if bad := unsafeHTML(h); bad != "" {
					t.Fatalf("item %d HTML %q: %s", i, h, bad)
				}
			}
		}
		var buf bytes.Buffer
		if err := Render(&buf, testMeta, storiesOf(feed, "https://fuzz.example/feed"), FormatAtom); err != nil {
			t.Fatalf("Render: %v", err)
		}
		d := xml.NewDecoder(&buf)
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("rendered Atom not well-formed: %v", err)
			}
		}
	})
}

// webURLOrEmpty reports whether s is "" or an http or https URL with a
// host and no control characters or white space.
func webURLOrEmpty(s string) bool {
	if s == "" {
		return true
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// FuzzSafeURL checks that the link filter lets only http and https URLs
// through, without control characters or spaces.
func FuzzSafeURL(f *testing.F) {
	for _, s := range []string{
		"https://a.example/x?y=1#z", "/rel/a b", "//cdn.example/x", "javascript:alert(1)", " java\tscript:x",
		"jav&#x61;script:x", "%6Aavascript:x", "data:text/html,x", "mailto:a@b", "http:x", "https://a.example/\u00a0x",
		"https://[::1]:80/", "https://user@a.example/", "\x00https://a.example/",
	} {
		f.Add(s)
	}
	base := mustURL(f, "https://base.example/dir/feed.xml")
	f.Fuzz(func(t *testing.T, s string) {
		for _, b := range []*url.URL{base, nil} {
			got := safeURL(b, s)
			if !webURLOrEmpty(got) {
				t.Fatalf("safeURL(%v, %q) = %q: not \"\" nor a clean http(s) URL", b, s, got)
			}
			if got != "" && disguisedScheme(got) {
				t.Fatalf("safeURL(%v, %q) = %q hides a scheme", b, s, got)
			}
		}
	})
}

// FuzzSanitise checks that sanitised HTML holds no script, no event
// handler attribute and no javascript:, vbscript: or data: URL in href or
// src, whatever the case, character references or white space.
func FuzzSanitise(f *testing.F) {
	for _, s := range []string{
		`<a href="javascript:alert(1)">x</a>`, `<a href="jav&#x61;script:x">x</a>`, `<a href="java&#9;script:x">x</a>`,
		`<img src="data:image/png;base64,AA" onerror="x()">`, `<IMG SRC=JaVaScRiPt:alert(1)>`, `<svg><script>x</script></svg>`,
		`<a href=" vbscript:x">x</a>`, `<p onmouseover=x>t</p>`, `<img src="mailto:a@b">`, `<a href="/rel">r</a>`,
		`<scr<script>ipt>alert(1)</script>`, `<a href="&#106;avascript:x">x</a>`, `<iframe src="https://x"></iframe>`,
	} {
		f.Add(s)
	}
	base := mustURL(f, "https://base.example/dir/feed.xml")
	f.Fuzz(func(t *testing.T, s string) {
		for _, b := range []*url.URL{base, nil} {
			got := sanitise(s, b)
			if bad := unsafeHTML(got); bad != "" {
				t.Fatalf("sanitise(%q) = %q: %s", s, got, bad)
			}
		}
	})
}

var onAttr = regexp.MustCompile(`(?i)^on\w+$`)

// unsafeHTML returns what makes the HTML fragment h unsafe to republish,
// or "": a script element, an event handler attribute, or a script or
// data URL in an href or src, once character references are decoded.
func unsafeHTML(h string) string {
	if strings.Contains(strings.ToLower(h), "<script") {
		return "a script element"
	}
	z := xhtml.NewTokenizer(strings.NewReader(h))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return ""
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			for _, a := range z.Token().Attr {
				if onAttr.MatchString(a.Key) {
					return "an event handler attribute " + a.Key
				}
				if a.Key != "href" && a.Key != "src" {
					continue
				}
				v := strings.ToLower(cleanURL(html.UnescapeString(a.Val)))
				for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
					if strings.HasPrefix(v, scheme) {
						return "a " + scheme + " URL in " + a.Key
					}
				}
			}
		}
	}
}

// FuzzPlainText checks that titles come out as trimmed, valid text.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"<b>x</b> &amp; y", "a < b", "<!-- c -->d", "\u00a0x\u3000y "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := plainText(scrub(s))
		if !utf8.ValidString(got) || (got != "" && (got[0] == ' ' || got[len(got)-1] == ' ')) {
			t.Fatalf("plainText(%q) = %q", s, got)
		}
	})
}
