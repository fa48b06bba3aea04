package aggregator

import (
	"slices"
	"testing"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

func recentGUIDs(items []recentItem) []string {
	var g []string
	for _, it := range items {
		g = append(g, it.item.GUID)
	}
	return g
}

func newRecent(guids ...string) []recentItem {
	var items []recentItem
	for _, g := range guids {
		items = append(items, recentItem{created: true, item: storage.Item{Item: feeds.Item{GUID: g}}})
	}
	return items
}

// A snapshot's mark must come before every item it cannot see: items
// written but not yet committed (the store may commit several writes
// together) are after every mark until they commit.
func TestRecentMarksCountCommittedItems(t *testing.T) {
	var r recent
	m0 := r.mark()
	last := r.add(newRecent("a", "b"))
	if m := r.mark(); m != m0 {
		t.Errorf("mark moved to %d before the commit", m)
	}
	if got, ok := r.since(m0); !ok || !slices.Equal(recentGUIDs(got), []string{"a", "b"}) {
		t.Errorf("since(mark before) = %q, %v; want [a b]", recentGUIDs(got), ok)
	}
	r.commit(last)
	m1 := r.mark()
	if got, _ := r.since(m1); len(got) != 0 {
		t.Errorf("since(mark after commit) = %q, want none", recentGUIDs(got))
	}
	// A write whose transaction fails is forgotten.
	failed := r.add(newRecent("c"))
	ok2 := r.add(newRecent("d"))
	r.drop(failed, 1)
	r.commit(ok2)
	if got, _ := r.since(m1); !slices.Equal(recentGUIDs(got), []string{"d"}) {
		t.Errorf("since after a failed write = %q, want [d]", recentGUIDs(got))
	}
	// Items beyond the ring's size are reported as forgotten.
	for range recentSize {
		r.commit(r.add(newRecent("x")))
	}
	if _, ok := r.since(m1); ok {
		t.Errorf("since(a mark %d items back) ok, want forgotten", recentSize+2)
	}
}
