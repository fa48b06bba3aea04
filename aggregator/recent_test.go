package aggregator

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// recentURL is the canonical URL every item of these tests shares, so
// that a lookup by it returns every item a write can see.
const recentURL = "https://example.test/story"

func newRecent(guids ...string) []recentItem {
	var items []recentItem
	for _, g := range guids {
		items = append(items, recentItem{created: true, item: storage.Item{Item: feeds.Item{GUID: g}, Keys: storage.Keys{URL: recentURL, Title: "t " + g}}})
	}
	return items
}

// txLookup stands for the write's transaction: it answers "tx".
type txLookup struct{ asked int }

func (t *txLookup) ItemsByURL(context.Context, string) ([]storage.Item, error) {
	t.asked++
	return []storage.Item{{Item: feeds.Item{GUID: "tx"}}}, nil
}

func (t *txLookup) Candidates(context.Context, storage.CandidateQuery) ([]storage.Item, error) {
	t.asked++
	return []storage.Item{{Item: feeds.Item{GUID: "tx"}}}, nil
}

func seen(t *testing.T, l *recentLookup) []string {
	t.Helper()
	items, err := l.ItemsByURL(t.Context(), recentURL)
	if err != nil {
		t.Fatal(err)
	}
	var g []string
	for _, it := range items {
		g = append(g, it.GUID)
	}
	return g
}

// A snapshot's mark must come before every item it cannot see: items
// written but not yet committed (the store may commit several writes
// together) are after every mark until they commit.
func TestRecentMarksCountCommittedItems(t *testing.T) {
	var r recent
	tx := &txLookup{}
	m0 := r.mark()
	last := r.add(newRecent("a", "b"))
	if m := r.mark(); m != m0 {
		t.Errorf("mark moved to %d before the commit", m)
	}
	if got := seen(t, r.lookup(m0, tx)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("lookup(mark before) sees %q; want [a b]", got)
	}
	r.commit(last)
	m1 := r.mark()
	if got := seen(t, r.lookup(m1, tx)); len(got) != 0 {
		t.Errorf("lookup(mark after commit) sees %q, want none", got)
	}
	// A write whose transaction fails is forgotten.
	failed := r.add(newRecent("c"))
	ok2 := r.add(newRecent("d"))
	r.drop(failed, 1)
	r.commit(ok2)
	l := r.lookup(m1, tx)
	if got := seen(t, l); !slices.Equal(got, []string{"d"}) {
		t.Errorf("lookup after a failed write sees %q, want [d]", got)
	}
	// The write's own items come after those stored since the mark.
	l.add(newRecent("own")[0])
	if got := seen(t, l); !slices.Equal(got, []string{"d", "own"}) {
		t.Errorf("lookup with the write's own item sees %q, want [d own]", got)
	}
	if tx.asked != 0 {
		t.Errorf("asked the transaction %d times while the ring held every item", tx.asked)
	}
	// Once items after the mark are forgotten, the transaction answers.
	for range recentSize {
		r.commit(r.add(newRecent("x")))
	}
	if got := seen(t, r.lookup(m1, tx)); !slices.Equal(got, []string{"tx"}) {
		t.Errorf("lookup(a mark %d items back) sees %q, want the transaction's answer", recentSize+2, got)
	}
}

// The ring's index forgets what the ring forgets: keys of items pushed
// out of it find nothing, and the index does not grow beyond the ring.
func TestRecentIndexForgets(t *testing.T) {
	var r recent
	for i := range 3 * recentSize {
		g := fmt.Sprint(i)
		it := recentItem{created: true, item: storage.Item{Item: feeds.Item{GUID: g},
			Keys: storage.Keys{URL: "https://example.test/" + g, Title: "title " + g, SimHash: uint64(i) * 0x9e3779b97f4a7c15}}}
		r.commit(r.add([]recentItem{it}))
	}
	if n := len(r.index.byURL); n != recentSize {
		t.Errorf("index holds %d URLs, want %d", n, recentSize)
	}
	if n := len(r.index.byTitle); n != recentSize {
		t.Errorf("index holds %d titles, want %d", n, recentSize)
	}
	n := 0
	for _, l := range r.index.byBand {
		n += len(l)
	}
	if n > 4*recentSize {
		t.Errorf("index holds %d band entries for %d items", n, recentSize)
	}
	l := r.lookup(uint64(2*recentSize), &txLookup{})
	old, _ := l.ItemsByURL(t.Context(), "https://example.test/5")
	if len(old) != 0 {
		t.Errorf("a forgotten item's URL finds %d items", len(old))
	}
	g := fmt.Sprint(3*recentSize - 1)
	got, _ := l.Candidates(t.Context(), storage.CandidateQuery{Title: "title " + g})
	if len(got) != 1 || got[0].GUID != g {
		t.Errorf("candidates by the newest title = %v, want item %s", got, g)
	}
}
