package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// expire runs one Expire in its own transaction.
func (h *harness) expire(q storage.ExpireQuery) int {
	h.t.Helper()
	var n int
	h.update(func(tx storage.Tx) error {
		var err error
		n, err = tx.Expire(h.t.Context(), q)
		return err
	})
	return n
}

// tombstones returns the buried GUIDs among guids of feedURL.
func (h *harness) tombstones(feedURL string, now time.Time, guids ...string) []string {
	h.t.Helper()
	var got map[string]bool
	h.update(func(tx storage.Tx) error {
		var err error
		got, err = tx.Tombstones(h.t.Context(), feedURL, guids, now)
		return err
	})
	var out []string
	for g := range got {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// testExpire: stories whose newest copy was first seen before Before go,
// oldest first and at most Limit at a time, with their items; each item
// leaves a tombstone, which Tombstones reports; a story a newer copy
// joined stays; the revision moves.
func testExpire(t *testing.T, h *harness) {
	const f, g = "https://a.example/rss", "https://b.example/rss"
	a1 := item(f, "a1", 0, 1) // first seen at(1)
	a2 := item(f, "a2", 10, 2)
	a3 := item(f, "a3", 20, 3)
	h.put(&a1, &a2, &a3)
	// A newer copy of a1's story, first seen at(31), keeps it.
	b1 := item(g, "b1", 30, 1)
	b1.StoryID = a1.StoryID
	h.put(&b1)
	rev := h.revision()

	q := storage.ExpireQuery{Before: at(25), Limit: 1, Now: at(40)}
	if n := h.expire(q); n != 1 {
		t.Fatalf("Expire with Limit 1 removed %d stories, want 1", n)
	}
	if n := h.expire(q); n != 1 {
		t.Fatalf("second Expire removed %d stories, want 1", n)
	}
	if n := h.expire(q); n != 0 {
		t.Fatalf("third Expire removed %d stories, want 0 (a1's story has a newer copy)", n)
	}
	if s := h.stats(); s.Stories != 1 || s.Items != 2 {
		t.Errorf("after Expire: %+v, want a1's story with its 2 items", s)
	}
	if h.revision() == rev {
		t.Error("Expire did not move the revision")
	}
	if got := h.tombstones(f, at(41), "a1", "a2", "a3", "a4"); !slices.Equal(got, []string{"a2", "a3"}) {
		t.Errorf("Tombstones = %q, want [a2 a3]", got)
	}
	if got := h.tombstones(g, at(41), "a2", "b1"); len(got) != 0 {
		t.Errorf("Tombstones of another feed = %q, want none", got)
	}
	// Both were listed at 41; a2 is listed again at 44. Forgetting the
	// tombstones last listed before 42 drops a3's only; before 47, after
	// a2 was last listed at 46, drops a2's.
	h.tombstones(f, at(44), "a2")
	h.expire(storage.ExpireQuery{ForgetBefore: at(42), Now: at(45)})
	if got := h.tombstones(f, at(46), "a2", "a3"); !slices.Equal(got, []string{"a2"}) {
		t.Errorf("after forgetting those listed before at(42): %q, want [a2]", got)
	}
	h.expire(storage.ExpireQuery{ForgetBefore: at(47), Now: at(47)})
	if got := h.tombstones(f, at(48), "a2", "a3"); len(got) != 0 {
		t.Errorf("after forgetting those listed before at(47): %q, want none", got)
	}
}

// testExpireCap: with MaxStories, the oldest stories beyond the cap go,
// whatever their age.
func testExpireCap(t *testing.T, h *harness) {
	const f = "https://a.example/rss"
	var items []*storage.Item
	for i := range 5 {
		it := item(f, "c"+string(rune('0'+i)), i*10, uint64(i+1))
		items = append(items, &it)
	}
	h.put(items...)
	if n := h.expire(storage.ExpireQuery{MaxStories: 3, Limit: 10, Now: at(100)}); n != 2 {
		t.Fatalf("Expire to 3 stories removed %d, want 2", n)
	}
	if n := h.expire(storage.ExpireQuery{MaxStories: 3, Limit: 10, Now: at(100)}); n != 0 {
		t.Fatalf("Expire at the cap removed %d, want 0", n)
	}
	var left []string
	for _, s := range h.stories(storage.StoryQuery{}) {
		left = append(left, s.Title)
	}
	slices.Sort(left)
	if want := []string{"Title c2", "Title c3", "Title c4"}; !slices.Equal(left, want) {
		t.Errorf("stories left %q, want the newest %q", left, want)
	}
}
