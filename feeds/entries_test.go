package feeds

import (
	"bytes"
	"testing"
	"time"
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
