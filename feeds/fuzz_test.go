package feeds

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// FuzzParse checks that Parse never panics, that every feed it accepts
// keeps the Item contract, and that its items render as well-formed Atom.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"rss2.xml", "rss1.xml", "atom.xml", "feed.json", "page.html"} {
		f.Add(readTestdata(f, name), "")
	}
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="GBK"?><rss version="0.91"><channel><title>广西</title><item><title>东盟</title></item></channel></rss>`))
	f.Add(gbk, "")
	f.Add([]byte(`<rss><channel><item><title>x</title></item></channel></rss>`), "text/xml; charset=big5")

	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		feed, err := Parse(body, contentType, "https://fuzz.example/feed", testNow)
		if err != nil {
			return
		}
		for i, it := range feed.Items {
			if it.GUID == "" || it.Published.IsZero() || it.Published.After(testNow) {
				t.Fatalf("item %d breaks the Item contract: %+v", i, it)
			}
			if !utf8.ValidString(it.Title) || !utf8.ValidString(it.Summary) || !utf8.ValidString(it.Content) {
				t.Fatalf("item %d has invalid UTF-8: %+v", i, it)
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
