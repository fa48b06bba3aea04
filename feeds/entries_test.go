package feeds

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/feeds"
)

// TestEntryCacheRendersTheSameDocument renders the same stories with and
// without a cache, twice with it, and after a change: the documents are
// byte for byte those of a render without cache, and a changed story is
// never served stale.
func TestEntryCacheRendersTheSameDocument(t *testing.T) {
	f, err := Parse(benchRSS(30), "", "https://bench.example/rss.xml", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	stories := storiesOf(f, "https://bench.example/rss.xml")
	stories[3].Related = []Link{{URL: "https://other.example/x", Title: "Other"}}
	render := func(cache *EntryCache) []byte {
		t.Helper()
		var b bytes.Buffer
		if err := renderAtom(&b, testMeta, stories, cache); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	want := render(nil)
	var cache EntryCache
	for i := range 2 {
		if got := render(&cache); !bytes.Equal(got, want) {
			t.Fatalf("render %d with cache differs from render without:\n%s\n---\n%s", i, got, want)
		}
	}
	stories[5].Title = "A corrected headline"
	stories[3].Related = append(stories[3].Related, Link{URL: "https://third.example/y", Title: "Third"})
	want = render(nil)
	if got := render(&cache); !bytes.Equal(got, want) {
		t.Fatalf("after a change the cached render differs:\n%s\n---\n%s", got, want)
	}
	if !bytes.Contains(want, []byte("A corrected headline")) || !bytes.Contains(want, []byte("third.example")) {
		t.Fatal("the changed stories are not in the document")
	}
}

func TestEntryCacheIsBounded(t *testing.T) {
	var c EntryCache
	for i := range 5 * entryGeneration {
		c.put(uint64(i), []byte{1})
	}
	if n := len(c.cur) + len(c.old); n > 2*entryGeneration {
		t.Errorf("cache holds %d entries, want at most %d", n, 2*entryGeneration)
	}
	if _, ok := c.get(uint64(5*entryGeneration - 1)); !ok {
		t.Error("the newest entry is not cached")
	}
}

func BenchmarkRenderCached(b *testing.B) {
	f, err := Parse(benchRSS(100), "", "https://bench.example/rss.xml", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	stories := storiesOf(f, "https://bench.example/rss.xml")
	var cache EntryCache
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := renderAtom(&buf, testMeta, stories, &cache); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppendEntryMatchesEncodingXML renders random stories, their strings
// full of what XML must escape or cannot hold, both with appendEntry and
// with encoding/xml, and wants the same bytes.
func TestAppendEntryMatchesEncodingXML(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	pieces := []string{"", "a", "Nanning", " ", "&", "<b>", ">", `"`, "'", "\t", "\n", "\r", "\x00", "\x01", "\x1f",
		"\x7f", "é", "广西", "\uFFFD", "\xff", "\xe4\xb8", "\U0001F600", "\uFFFE", "\ud7ff", "&amp;", "]]>", "<![CDATA[x]]>"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	when := func() time.Time {
		if r.IntN(4) == 0 {
			return time.Time{}
		}
		return time.Date(2026, 3, 1+r.IntN(20), r.IntN(24), 0, 0, 0, time.UTC)
	}
	for i := range 3000 {
		s := Story{
			ID: str(), Title: str(), URL: str(), Summary: str(), Content: str(), Author: str(), Lang: str(),
			Published: when(), Updated: when(),
			Source: Source{Title: str(), FeedURL: str(), SiteURL: str(), Updated: when()},
		}
		for range r.IntN(3) {
			s.Categories = append(s.Categories, str())
		}
		for range r.IntN(3) {
			s.Related = append(s.Related, Link{URL: str(), Title: str()})
		}
		e := atomStory(&s)
		if r.IntN(5) == 0 {
			e.Author = &gorilla.AtomAuthor{AtomPerson: gorilla.AtomPerson{Name: str(), Uri: str(), Email: str()}}
		}
		var want bytes.Buffer
		enc := xml.NewEncoder(&want)
		enc.Indent("  ", "  ")
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
		if got := appendEntry(nil, e); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("story %d: appendEntry differs from encoding/xml\n got: %q\nwant: %q", i, got, want.Bytes())
		}
	}
}
