package feeds

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseOPML checks that ParseOPML never panics, that every feed it
// returns has a URL (once), and a title and tags that are valid UTF-8,
// trimmed and not blank, and that what WriteOPML writes of them reads
// back as the same feeds.
func FuzzParseOPML(f *testing.F) {
	f.Add([]byte(readerOPML))
	f.Add([]byte(`<opml><body><outline text="a"><outline text="b" xmlUrl="https://b.example/" category="/x,y"/></outline></body></opml>`))
	f.Add([]byte(`<?xml version="1.0" encoding="GBK"?><opml><body><outline text="` + "\xd6\xd0\xb9\xfa" + `" xmlUrl="https://a.example/"/></body></opml>`))
	f.Add([]byte(`<opml><body><outline xmlUrl="https://a.example/?a=1&b=2" text="&nbsp;x"/><outline xmlUrl="https://a.example/?a=1&b=2" text="y" category="z"/></body></opml>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		list, err := ParseOPML(doc, "")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		roundTrips := true
		for _, fd := range list {
			if fd.URL == "" || fd.URL != strings.TrimSpace(fd.URL) || seen[fd.URL] {
				t.Fatalf("feed URL %q: empty, untrimmed or repeated", fd.URL)
			}
			seen[fd.URL] = true
			if fd.Title != "" && fd.Title == squeeze(fd.URL) || !clean(fd.Title) {
				t.Fatalf("feed %s: title %q", fd.URL, fd.Title)
			}
			for _, tag := range fd.Tags {
				if tag == "" || !clean(tag) {
					t.Fatalf("feed %s: tag %q", fd.URL, tag)
				}
				if strings.Contains(tag, ",") || strings.HasPrefix(tag, "/") {
					roundTrips = false // a category cannot carry it
				}
			}
		}
		var buf bytes.Buffer
		if err := WriteOPML(&buf, "fuzz", list); err != nil {
			t.Fatal(err)
		}
		back, err := ParseOPML(buf.Bytes(), "")
		if err != nil {
			t.Fatalf("WriteOPML's document does not parse: %v\n%s", err, buf.Bytes())
		}
		if !roundTrips {
			return
		}
		byURL := map[string]OPMLFeed{}
		for _, fd := range back {
			byURL[fd.URL] = fd
		}
		if len(back) != len(list) {
			t.Fatalf("read back %d feeds, wrote %d", len(back), len(list))
		}
		for _, fd := range list {
			b := byURL[fd.URL]
			if b.Title != fd.Title || strings.Join(b.Tags, "\x00") != strings.Join(fd.Tags, "\x00") {
				t.Fatalf("feed %s read back as %+v, wrote %+v", fd.URL, b, fd)
			}
		}
	})
}

// clean reports whether s is valid UTF-8 without white space at its ends
// or runs of it inside.
func clean(s string) bool {
	return utf8.ValidString(s) && s == strings.Join(strings.Fields(s), " ")
}
