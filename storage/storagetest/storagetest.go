// Package storagetest is the conformance suite every storage.Store
// backend runs: Run checks the documented behaviour of each method against
// a real database. BenchPutItem is the write benchmark they share.
package storagetest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// Opener opens the database named key, creating it empty the first time.
// Run gives every test its own key and calls Opener again with the same
// key after closing the store, to check that everything survives a
// restart. Run closes every store it opens.
type Opener func(t *testing.T, key string) storage.Store

// Run runs the conformance suite against the backend that open opens.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, *harness)
	}{
		{"FeedRoundTrip", testFeedRoundTrip},
		{"FeedsByteOrder", testFeedsByteOrder},
		{"PutItemNew", testPutItemNew},
		{"PutItemUnchanged", testPutItemUnchanged},
		{"PutItemChanged", testPutItemChanged},
		{"JoinStory", testJoinStory},
		{"EarlierCopyBecomesRepresentative", testEarlierCopy},
		{"JoinMissingStory", testJoinMissingStory},
		{"Candidates", testCandidates},
		{"CandidatesKnown", testCandidatesKnown},
		{"BodyCandidates", testBodyCandidates},
		{"ItemsByURL", testItemsByURL},
		{"ItemsByGUID", testItemsByGUID},
		{"Stories", testStories},
		{"Revision", testRevision},
		{"UpdateRollback", testUpdateRollback},
		{"ViewNeverCommits", testViewNeverCommits},
		{"Reopen", testReopen},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Expire", testExpire},
		{"ExpireCap", testExpireCap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &harness{t: t, openFn: open, key: newKey()}
			h.s = h.open()
			tt.fn(t, h)
		})
	}
}

func newKey() string {
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("t%x", b)
}

// harness holds the store of one test.
type harness struct {
	t      *testing.T
	openFn Opener
	key    string
	s      storage.Store
	close  func()
}

func (h *harness) open() storage.Store {
	h.t.Helper()
	s := h.openFn(h.t, h.key)
	var once sync.Once
	h.close = func() {
		once.Do(func() {
			if err := s.Close(); err != nil {
				h.t.Errorf("Close: %v", err)
			}
		})
	}
	h.t.Cleanup(h.close)
	return s
}

// reopen closes the store and opens the same database again.
func (h *harness) reopen() {
	h.t.Helper()
	h.close()
	h.s = h.open()
}

// base is a time with nanoseconds in a zone other than UTC, to check that
// times round-trip exactly and come back in UTC.
var base = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CST", 8*3600))

func at(hours int) time.Time { return base.Add(time.Duration(hours) * time.Hour) }

// item returns a new item of feed feedURL with guid, published at hours
// after base, with distinct keys derived from n.
func item(feedURL, guid string, hours int, n uint64) storage.Item {
	return storage.Item{
		Item: feeds.Item{
			GUID:       guid,
			URL:        "https://example.org/" + guid + "?utm_source=x",
			Title:      "Title " + guid,
			Summary:    "<p>summary " + guid + "</p>",
			Content:    "<p>content " + guid + "</p>",
			Author:     "Author",
			Lang:       "zh-CN",
			Categories: []string{"asean", "技术"},
			Published:  at(hours),
			Updated:    at(hours).Add(time.Minute),
		},
		FeedURL:   feedURL,
		FeedTitle: "Outlet " + feedURL,
		Tags:      []string{"news"},
		Hash:      "hash-" + guid,
		Keys: storage.Keys{
			URL:     "example.org/" + guid,
			Title:   "title " + guid,
			SimHash: n*0x0001000100010001 + 0x1000100010001000,
		},
		FirstSeen: at(hours).Add(time.Hour),
	}
}

func (h *harness) update(fn func(storage.Tx) error) {
	h.t.Helper()
	if err := h.s.Update(h.t.Context(), fn); err != nil {
		h.t.Fatalf("Update: %v", err)
	}
}

// put stores items in one transaction and returns whether each changed.
func (h *harness) put(items ...*storage.Item) []bool {
	h.t.Helper()
	changed := make([]bool, len(items))
	h.update(func(tx storage.Tx) error {
		for i, it := range items {
			c, err := tx.PutItem(h.t.Context(), it)
			if err != nil {
				return err
			}
			changed[i] = c
		}
		return nil
	})
	return changed
}

func (h *harness) item(feedURL, guid string) storage.Item {
	h.t.Helper()
	var it storage.Item
	err := h.s.View(h.t.Context(), func(tx storage.Tx) error {
		items, err := tx.ItemsByGUID(h.t.Context(), feedURL, []string{guid})
		if err != nil {
			return err
		}
		var ok bool
		if it, ok = items[guid]; !ok {
			return fmt.Errorf("not stored")
		}
		return nil
	})
	if err != nil {
		h.t.Fatalf("item %s of %s: %v", guid, feedURL, err)
	}
	return it
}

func (h *harness) stories(q storage.StoryQuery) []feeds.Story {
	h.t.Helper()
	s, err := h.s.Stories(h.t.Context(), q)
	if err != nil {
		h.t.Fatalf("Stories(%+v): %v", q, err)
	}
	return s
}

func (h *harness) revision() int64 {
	h.t.Helper()
	r, err := h.s.Revision(h.t.Context())
	if err != nil {
		h.t.Fatalf("Revision: %v", err)
	}
	return r
}

func (h *harness) stats() storage.Stats {
	h.t.Helper()
	s, err := h.s.Stats(h.t.Context())
	if err != nil {
		h.t.Fatalf("Stats: %v", err)
	}
	return s
}

// maxDistance is the MaxDistance of the suite's candidate queries, the
// aggregator's.
const maxDistance = 16

// candidates returns the candidates for keys k within [from, to].
func (h *harness) candidates(k storage.Keys, from, to time.Time) []storage.Item {
	h.t.Helper()
	return h.query(storage.CandidateQuery{Title: k.Title, SimHash: k.SimHash, MaxDistance: maxDistance, From: from, To: to})
}

func (h *harness) query(q storage.CandidateQuery) []storage.Item {
	h.t.Helper()
	var items []storage.Item
	err := h.s.View(h.t.Context(), func(tx storage.Tx) error {
		var err error
		items, err = tx.Candidates(h.t.Context(), q)
		return err
	})
	if err != nil {
		h.t.Fatalf("Candidates: %v", err)
	}
	return items
}

func guids(items []storage.Item) []string {
	var g []string
	for _, it := range items {
		g = append(g, it.GUID)
	}
	return g
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// checkTime reports whether got is want in UTC, to the nanosecond.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || (!got.IsZero() && got.Location() != time.UTC) {
		t.Errorf("%s = %v, want %v in UTC", what, got, utc(want))
	}
}

func checkItem(t *testing.T, got, want storage.Item) {
	t.Helper()
	for _, p := range []struct{ name, got, want string }{
		{"GUID", got.GUID, want.GUID}, {"URL", got.URL, want.URL}, {"Title", got.Title, want.Title},
		{"Summary", got.Summary, want.Summary}, {"Content", got.Content, want.Content},
		{"Author", got.Author, want.Author}, {"Lang", got.Lang, want.Lang},
		{"FeedURL", got.FeedURL, want.FeedURL}, {"FeedTitle", got.FeedTitle, want.FeedTitle},
		{"Hash", got.Hash, want.Hash}, {"Keys.URL", got.Keys.URL, want.Keys.URL},
		{"Keys.Title", got.Keys.Title, want.Keys.Title},
	} {
		if p.got != p.want {
			t.Errorf("item %s: %s = %q, want %q", want.GUID, p.name, p.got, p.want)
		}
	}
	if got.TitleDerived != want.TitleDerived {
		t.Errorf("item %s: TitleDerived = %v, want %v", want.GUID, got.TitleDerived, want.TitleDerived)
	}
	if got.Keys.SimHash != want.Keys.SimHash {
		t.Errorf("item %s: SimHash = %#x, want %#x", want.GUID, got.Keys.SimHash, want.Keys.SimHash)
	}
	if got.Keys.Body != want.Keys.Body {
		t.Errorf("item %s: Body = %#x, want %#x", want.GUID, got.Keys.Body, want.Keys.Body)
	}
	if !slices.Equal(got.Categories, want.Categories) || !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("item %s: Categories, Tags = %q, %q, want %q, %q", want.GUID, got.Categories, got.Tags, want.Categories, want.Tags)
	}
	if want.ID != 0 && (got.ID != want.ID || got.StoryID != want.StoryID) {
		t.Errorf("item %s: ID, StoryID = %d, %d, want %d, %d", want.GUID, got.ID, got.StoryID, want.ID, want.StoryID)
	}
	checkTime(t, "Published", got.Published, want.Published)
	checkTime(t, "Updated", got.Updated, want.Updated)
	checkTime(t, "FirstSeen", got.FirstSeen, want.FirstSeen)
}

func testFeedRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	f := storage.Feed{
		URL: "https://b.example/rss", FetchURL: "https://b2.example/rss", Title: "B 新闻",
		SiteURL: "https://b.example/", ETag: `W/"abc"`, LastModified: "Wed, 21 Oct 2015 07:28:00 GMT",
		BodyHash: "sha256:00ff", State: storage.StateThrottled, HTTPStatus: 429, Errors: 3,
		LastError: "429 Too Many Requests", LastFetch: at(1), LastSuccess: at(-5), NextPoll: at(2),
	}
	a := storage.Feed{URL: "https://a.example/rss", State: storage.StateNew}
	h.update(func(tx storage.Tx) error {
		if err := tx.PutFeed(ctx, f); err != nil {
			return err
		}
		return tx.PutFeed(ctx, a)
	})
	it := item(f.URL, "g1", 0, 1)
	h.put(&it)

	got, err := h.s.Feed(ctx, f.URL)
	if err != nil {
		t.Fatalf("Feed: %v", err)
	}
	want := f
	want.Items = 1
	checkFeed(t, got, want)

	all, err := h.s.Feeds(ctx)
	if err != nil {
		t.Fatalf("Feeds: %v", err)
	}
	if len(all) != 2 || all[0].URL != a.URL || all[1].URL != f.URL {
		t.Fatalf("Feeds = %+v, want %s then %s", all, a.URL, f.URL)
	}
	checkFeed(t, all[0], a)
	checkFeed(t, all[1], want)

	// PutFeed replaces every field.
	f2 := storage.Feed{URL: f.URL, State: storage.StateOK, HTTPStatus: 200, LastFetch: at(3), LastSuccess: at(3)}
	h.update(func(tx storage.Tx) error { return tx.PutFeed(ctx, f2) })
	got, err = h.s.Feed(ctx, f.URL)
	if err != nil {
		t.Fatalf("Feed: %v", err)
	}
	f2.Items = 1
	checkFeed(t, got, f2)

	if _, err := h.s.Feed(ctx, "https://missing.example/"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Feed(missing) error = %v, want ErrNotFound", err)
	}
	if s := h.stats(); s != (storage.Stats{Feeds: 2, Items: 1, Stories: 1}) {
		t.Errorf("Stats = %+v, want 2 feeds, 1 item, 1 story", s)
	}
}

func checkFeed(t *testing.T, got, want storage.Feed) {
	t.Helper()
	checkTime(t, want.URL+" LastFetch", got.LastFetch, want.LastFetch)
	checkTime(t, want.URL+" LastSuccess", got.LastSuccess, want.LastSuccess)
	checkTime(t, want.URL+" NextPoll", got.NextPoll, want.NextPoll)
	got.LastFetch, got.LastSuccess, got.NextPoll = time.Time{}, time.Time{}, time.Time{}
	want.LastFetch, want.LastSuccess, want.NextPoll = time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("feed = %+v\nwant %+v", got, want)
	}
}

// testFeedsByteOrder checks that Feeds sorts URLs by their bytes, not by
// a locale's rules (which fold case and skip punctuation).
func testFeedsByteOrder(t *testing.T, h *harness) {
	ctx := t.Context()
	want := []string{"https://B.example/rss", "https://a-c.example/rss", "https://ab.example/rss",
		"https://b.example/rss", "https://é.example/rss"}
	h.update(func(tx storage.Tx) error {
		for _, i := range []int{3, 1, 4, 0, 2} {
			if err := tx.PutFeed(ctx, storage.Feed{URL: want[i]}); err != nil {
				return err
			}
		}
		return nil
	})
	all, err := h.s.Feeds(ctx)
	if err != nil {
		t.Fatalf("Feeds: %v", err)
	}
	var got []string
	for _, f := range all {
		got = append(got, f.URL)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Feeds = %q, want %q", got, want)
	}
}

func testPutItemNew(t *testing.T, h *harness) {
	it := item("https://a.example/rss", "g1", 0, 1)
	it.Keys.SimHash = 0xfedcba9876543210 // high bit set: must survive a signed column
	if c := h.put(&it); !c[0] {
		t.Errorf("PutItem(new) changed = false, want true")
	}
	if it.ID == 0 || it.StoryID == 0 {
		t.Fatalf("PutItem(new) left ID, StoryID = %d, %d", it.ID, it.StoryID)
	}
	checkItem(t, h.item(it.FeedURL, it.GUID), it)

	// FirstSeen defaults to now; a derived title is marked.
	it2 := item("https://a.example/rss", "g2", 1, 2)
	it2.FirstSeen = time.Time{}
	it2.TitleDerived = true
	h.put(&it2)
	if got := h.item(it2.FeedURL, it2.GUID); !got.TitleDerived {
		t.Errorf("second new item: TitleDerived = false, want true")
	}
	if got := h.item(it2.FeedURL, it2.GUID); got.FirstSeen.IsZero() || got.StoryID == it.StoryID {
		t.Errorf("second new item: FirstSeen %v, story %d (first story %d); want set and a new story", got.FirstSeen, got.StoryID, it.StoryID)
	}

	st := h.stories(storage.StoryQuery{})
	if len(st) != 2 {
		t.Fatalf("Stories = %d stories, want 2", len(st))
	}
	s := st[1]
	if want := storage.StoryUID(it.FeedURL, it.GUID); s.ID != want {
		t.Errorf("story ID = %q, want %q", s.ID, want)
	}
	if s.Title != it.Title || s.URL != it.URL || s.Summary != it.Summary || s.Content != it.Content ||
		s.Author != it.Author || s.Lang != it.Lang || !slices.Equal(s.Categories, it.Categories) {
		t.Errorf("story = %+v, want the fields of item %+v", s, it.Item)
	}
	checkTime(t, "story Published", s.Published, it.Published)
	if s.Updated.Before(s.Published) {
		t.Errorf("story Updated %v before Published %v", s.Updated, s.Published)
	}
	if s.Source.Title != it.FeedTitle || s.Source.FeedURL != it.FeedURL || len(s.Related) != 0 {
		t.Errorf("story Source, Related = %+v, %+v; want %q %q and none", s.Source, s.Related, it.FeedTitle, it.FeedURL)
	}
}

func testPutItemUnchanged(t *testing.T, h *harness) {
	it := item("https://a.example/rss", "g1", 0, 1)
	h.put(&it)
	rev := h.revision()
	before := h.stories(storage.StoryQuery{})

	again := item("https://a.example/rss", "g1", 0, 1)
	again.Title = "ignored: same hash"
	if c := h.put(&again); c[0] {
		t.Errorf("PutItem(same hash) changed = true, want false")
	}
	if again.ID != it.ID || again.StoryID != it.StoryID {
		t.Errorf("PutItem(same hash) set ID, StoryID = %d, %d, want %d, %d", again.ID, again.StoryID, it.ID, it.StoryID)
	}
	if got := h.item(it.FeedURL, it.GUID); got.Title != it.Title {
		t.Errorf("unchanged item title = %q, want %q", got.Title, it.Title)
	}
	if r := h.revision(); r != rev {
		t.Errorf("revision after unchanged PutItem = %d, want %d", r, rev)
	}
	after := h.stories(storage.StoryQuery{})
	if !after[0].Updated.Equal(before[0].Updated) {
		t.Errorf("story Updated moved from %v to %v on an unchanged item", before[0].Updated, after[0].Updated)
	}
}

func testPutItemChanged(t *testing.T, h *harness) {
	it := item("https://a.example/rss", "g1", 0, 1)
	h.put(&it)
	rev := h.revision()
	before := h.stories(storage.StoryQuery{})[0]

	ch := item("https://a.example/rss", "g1", 0, 1)
	ch.Hash = "hash-2"
	ch.Title = "Corrected title"
	ch.Content = "<p>corrected</p>"
	ch.Updated = at(5)
	if c := h.put(&ch); !c[0] {
		t.Errorf("PutItem(changed) changed = false, want true")
	}
	if ch.ID != it.ID || ch.StoryID != it.StoryID {
		t.Errorf("PutItem(changed) ID, StoryID = %d, %d, want %d, %d (kept)", ch.ID, ch.StoryID, it.ID, it.StoryID)
	}
	want := ch
	want.FirstSeen = it.FirstSeen
	checkItem(t, h.item(it.FeedURL, it.GUID), want)
	if r := h.revision(); r == rev {
		t.Errorf("revision did not change on a changed item")
	}
	st := h.stories(storage.StoryQuery{})
	if len(st) != 1 {
		t.Fatalf("Stories = %d, want 1", len(st))
	}
	if st[0].ID != before.ID || st[0].Title != "Corrected title" {
		t.Errorf("story after change = %q %q, want %q %q", st[0].ID, st[0].Title, before.ID, "Corrected title")
	}
	if !st[0].Updated.After(before.Updated) {
		t.Errorf("story Updated = %v, want after %v", st[0].Updated, before.Updated)
	}
}

func testJoinStory(t *testing.T, h *harness) {
	first := item("https://a.example/rss", "g1", 0, 1)
	h.put(&first)
	rev := h.revision()
	second := item("https://b.example/rss", "g2", 24, 2)
	second.StoryID = first.StoryID
	if c := h.put(&second); !c[0] {
		t.Errorf("PutItem(join) changed = false")
	}
	if second.StoryID != first.StoryID || second.ID == first.ID {
		t.Errorf("joined item ID, StoryID = %d, %d; first %d, %d", second.ID, second.StoryID, first.ID, first.StoryID)
	}
	if h.revision() == rev {
		t.Errorf("revision did not change when an item joined a story")
	}
	st := h.stories(storage.StoryQuery{})
	if len(st) != 1 {
		t.Fatalf("Stories = %d, want 1", len(st))
	}
	s := st[0]
	if s.URL != first.URL || s.ID != storage.StoryUID(first.FeedURL, first.GUID) {
		t.Errorf("story URL, ID = %q, %q, want the first copy's", s.URL, s.ID)
	}
	checkTime(t, "story Published", s.Published, first.Published)
	if want := []feeds.Link{{URL: second.URL, Title: second.FeedTitle}}; !slices.Equal(s.Related, want) {
		t.Errorf("Related = %+v, want %+v", s.Related, want)
	}
	// Candidates still match on the representative's keys.
	if got := guids(h.candidates(first.Keys, at(-1), at(1))); !slices.Equal(got, []string{"g1"}) {
		t.Errorf("Candidates(first keys) = %q, want [g1]", got)
	}
	if got := h.candidates(second.Keys, at(-100), at(100)); len(got) != 0 {
		t.Errorf("Candidates(joined copy's keys) = %q, want none", guids(got))
	}
}

func testEarlierCopy(t *testing.T, h *harness) {
	first := item("https://a.example/rss", "g1", 0, 1)
	h.put(&first)
	uid := storage.StoryUID(first.FeedURL, first.GUID)
	earlier := item("https://b.example/rss", "g0", -10, 2)
	earlier.StoryID = first.StoryID
	h.put(&earlier)

	st := h.stories(storage.StoryQuery{})
	if len(st) != 1 {
		t.Fatalf("Stories = %d, want 1", len(st))
	}
	s := st[0]
	if s.ID != uid {
		t.Errorf("story ID = %q, want %q (unchanged)", s.ID, uid)
	}
	if s.URL != earlier.URL || s.Title != earlier.Title || s.Source.FeedURL != earlier.FeedURL || s.Source.Title != earlier.FeedTitle {
		t.Errorf("story = %q %q from %q, want the earlier copy's", s.URL, s.Title, s.Source.FeedURL)
	}
	checkTime(t, "story Published", s.Published, earlier.Published)
	if want := []feeds.Link{{URL: first.URL, Title: first.FeedTitle}}; !slices.Equal(s.Related, want) {
		t.Errorf("Related = %+v, want %+v", s.Related, want)
	}
	// The story's keys follow the representative.
	if got := guids(h.candidates(earlier.Keys, at(-11), at(-9))); !slices.Equal(got, []string{"g0"}) {
		t.Errorf("Candidates(earlier keys) = %q, want [g0]", got)
	}
	if got := h.candidates(first.Keys, at(-100), at(100)); len(got) != 0 {
		t.Errorf("Candidates(old representative keys) = %q, want none", guids(got))
	}
	if got := h.candidates(earlier.Keys, at(-1), at(1)); len(got) != 0 {
		t.Errorf("Candidates at the old representative's time = %q, want none", guids(got))
	}
}

func testJoinMissingStory(t *testing.T, h *harness) {
	it := item("https://a.example/rss", "g1", 0, 1)
	it.StoryID = 987654
	err := h.s.Update(t.Context(), func(tx storage.Tx) error {
		_, err := tx.PutItem(t.Context(), &it)
		return err
	})
	if err == nil {
		t.Fatalf("PutItem into a missing story: no error")
	}
	if s := h.stats(); s.Items != 0 {
		t.Errorf("Stats after failed join = %+v, want no items", s)
	}
}

func testCandidates(t *testing.T, h *harness) {
	// target has bands 0x1111 0x2222 0x3333 0x4444 (low to high).
	target := item("https://a.example/rss", "target", 0, 0)
	target.Keys.SimHash = 0x4444333322221111
	target.Keys.Title = "guangxi signs agreements"
	other := item("https://a.example/rss", "other", 0, 0)
	other.Keys.SimHash = 0x9999999999999999
	other.Keys.Title = "something else"
	old := item("https://a.example/rss", "old", -100, 0)
	old.Keys = target.Keys
	h.put(&target, &other, &old)

	tests := []struct {
		name    string
		simhash uint64
		title   string
		want    []string
	}{
		// One band in common, a few bits apart elsewhere.
		{"band0", 0x4444333322221111 ^ 0x0001000100010000, "x", []string{"target"}},
		{"band1", 0x4444333322221111 ^ 0x0001000100000001, "x", []string{"target"}},
		{"band2", 0x4444333322221111 ^ 0x0001000000010001, "x", []string{"target"}},
		{"band3", 0x4444333322221111 ^ 0x0000000100010001, "x", []string{"target"}},
		{"bands 0 and 3, 16 bits apart", 0x4444333322221111 ^ 0x000000ff00ff0000, "x", []string{"target"}},
		// One band in common but far apart: unrelated text.
		{"band0, 17 bits apart", 0x4444333322221111 ^ 0x000100ff00ff0000, "x", nil},
		{"band0, far apart", 0xaaaabbbbcccc1111, "x", nil},
		{"title", 0xaaaabbbbccccdddd, "guangxi signs agreements", []string{"target"}},
		{"none", 0xaaaabbbbccccdddd, "x", nil},
		{"empty title matches nothing", 0xaaaabbbbccccdddd, "", nil},
		{"both", 0x4444333322221111 ^ 0x0001000100010000, "something else", []string{"target", "other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := guids(h.candidates(storage.Keys{SimHash: tt.simhash, Title: tt.title}, at(-48), at(48)))
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Candidates = %q, want %q", got, want)
			}
		})
	}
	// The window is inclusive and excludes stories outside it.
	if got := guids(h.candidates(target.Keys, at(0), at(0))); !slices.Equal(got, []string{"target"}) {
		t.Errorf("Candidates in [t, t] = %q, want [target]", got)
	}
	if got := guids(h.candidates(target.Keys, at(1), at(48))); len(got) != 0 {
		t.Errorf("Candidates after the window = %q, want none", got)
	}
	if got := guids(h.candidates(target.Keys, at(-200), at(-1))); !slices.Equal(got, []string{"old"}) {
		t.Errorf("Candidates in an earlier window = %q, want [old]", got)
	}
	// The distance is the query's.
	far := storage.CandidateQuery{SimHash: 0x4444333322221111 ^ 0x000100ff00ff0000, MaxDistance: 17, From: at(-48), To: at(48)}
	if got := guids(h.query(far)); !slices.Equal(got, []string{"target"}) {
		t.Errorf("Candidates 17 bits apart with MaxDistance 17 = %q, want [target]", got)
	}
	got := h.candidates(target.Keys, at(-1), at(1))
	if len(got) != 1 {
		t.Fatalf("Candidates = %q, want [target]", guids(got))
	}
	checkItem(t, got[0], target)
}

// testCandidatesKnown checks CandidateQuery.Known: it is asked with every
// field of a candidate read but its texts, which feedmerge's stores then
// leave out for the candidates it knows, and read for the others.
func testCandidatesKnown(t *testing.T, h *harness) {
	known := item("https://a.example/rss", "known", 0, 1)
	known.Keys.Title = "guangxi asean expo"
	unknown := item("https://b.example/rss", "unknown", 1, 1)
	unknown.Keys.Title = known.Keys.Title
	h.put(&known, &unknown)

	var asked []string
	q := storage.CandidateQuery{Title: known.Keys.Title, MaxDistance: maxDistance, From: at(-48), To: at(48)}
	q.Known = func(c *storage.Item) bool {
		asked = append(asked, c.GUID)
		if c.Summary != "" || c.Content != "" {
			t.Errorf("Known(%s) asked with texts %q, %q read", c.GUID, c.Summary, c.Content)
		}
		want := known
		if c.GUID != known.GUID {
			want = unknown
		}
		if c.ID == 0 || c.StoryID == 0 || c.Hash != want.Hash || c.Title != want.Title || c.FeedTitle != want.FeedTitle ||
			!c.Published.Equal(want.Published) || c.Keys != want.Keys {
			t.Errorf("Known(%s) asked with %+v, want every field but the texts of %+v", c.GUID, *c, want)
		}
		return c.GUID == known.GUID
	}
	got := h.query(q)
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"known", "unknown"}) {
		t.Errorf("Known asked of %q, want [known unknown]", asked)
	}
	if len(got) != 2 {
		t.Fatalf("Candidates = %q, want [known unknown]", guids(got))
	}
	for _, c := range got {
		want := unknown
		if c.GUID == known.GUID {
			want = known
			want.Summary, want.Content = "", ""
		}
		checkItem(t, c, want)
	}
}

// testBodyCandidates checks the doors of the Body fingerprint: either of
// a query's fingerprints finds a story through either of its
// representative's, and a story or query without a Body (0) is found
// through its SimHash alone.
func testBodyCandidates(t *testing.T, h *harness) {
	const lead, body = 0x4444333322221111, 0xfedcba9876543210 // high bit set: must survive a signed column
	target := item("https://a.example/rss", "target", 0, 0)
	target.Keys.SimHash, target.Keys.Body = lead, body
	bare := item("https://a.example/rss", "bare", 0, 0)
	bare.Keys.SimHash = 0x9999999999999999 // and no Body: its bands are no key
	h.put(&target, &bare)

	const near = 0x0001000100010000 // three bits off, band 0 kept
	tests := []struct {
		name          string
		simhash, body uint64
		want          []string
	}{
		{"lead to body", body ^ near, 0, []string{"target"}},
		{"body to lead", 0xaaaabbbbccccdddd, lead ^ near, []string{"target"}},
		{"body to body", 0xaaaabbbbccccdddd, body ^ near, []string{"target"}},
		{"body far", 0xaaaabbbbccccdddd, body ^ 0x000100ff00ff0000, nil},
		{"no body", 0, 0, nil},
		{"lead to no body", 0xaaaabbbbcccc0000, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := storage.CandidateQuery{SimHash: tt.simhash, Body: tt.body, MaxDistance: maxDistance, From: at(-48), To: at(48)}
			if got := guids(h.query(q)); !slices.Equal(got, tt.want) {
				t.Errorf("Candidates = %q, want %q", got, tt.want)
			}
		})
	}
	got := h.query(storage.CandidateQuery{SimHash: lead, MaxDistance: maxDistance, From: at(-1), To: at(1)})
	if len(got) != 1 {
		t.Fatalf("Candidates = %q, want [target]", guids(got))
	}
	checkItem(t, got[0], target)
}

func testItemsByGUID(t *testing.T, h *harness) {
	a := item("https://a.example/rss", `g "1" \ ü`, 1, 1)
	b := item("https://a.example/rss", "g2", 2, 2)
	c := item("https://c.example/rss", "g3", 3, 3)
	h.put(&a, &b, &c)
	lookup := func(feed string, guids ...string) map[string]storage.Item {
		t.Helper()
		var got map[string]storage.Item
		err := h.s.View(t.Context(), func(tx storage.Tx) error {
			var err error
			got, err = tx.ItemsByGUID(t.Context(), feed, guids)
			return err
		})
		if err != nil {
			t.Fatalf("ItemsByGUID: %v", err)
		}
		return got
	}
	got := lookup("https://a.example/rss", a.GUID, "g3", "missing", b.GUID)
	if len(got) != 2 {
		t.Fatalf("ItemsByGUID = %d items, want 2 (%q and g2)", len(got), a.GUID)
	}
	checkItem(t, got[a.GUID], a)
	checkItem(t, got["g2"], b)
	if got := lookup("https://a.example/rss"); len(got) != 0 {
		t.Errorf("ItemsByGUID(no GUIDs) = %d items, want none", len(got))
	}
	if got := lookup("https://c.example/rss", a.GUID); len(got) != 0 {
		t.Errorf("ItemsByGUID(another feed's GUID) = %d items, want none", len(got))
	}
}

func testItemsByURL(t *testing.T, h *harness) {
	a := item("https://a.example/rss", "a", 5, 1)
	b := item("https://b.example/rss", "b", 2, 2)
	c := item("https://c.example/rss", "c", 3, 3)
	a.Keys.URL, b.Keys.URL = "example.org/same", "example.org/same"
	h.put(&a, &b, &c)
	var got []storage.Item
	err := h.s.View(t.Context(), func(tx storage.Tx) error {
		var err error
		got, err = tx.ItemsByURL(t.Context(), "example.org/same")
		return err
	})
	if err != nil {
		t.Fatalf("ItemsByURL: %v", err)
	}
	if g := guids(got); !slices.Equal(g, []string{"b", "a"}) {
		t.Fatalf("ItemsByURL = %q, want [b a] (oldest first)", g)
	}
	checkItem(t, got[0], b)
	err = h.s.View(t.Context(), func(tx storage.Tx) error {
		var err error
		got, err = tx.ItemsByURL(t.Context(), "example.org/none")
		return err
	})
	if err != nil || len(got) != 0 {
		t.Errorf("ItemsByURL(unknown) = %q, %v; want none", guids(got), err)
	}
}

func testStories(t *testing.T, h *harness) {
	ctx := t.Context()
	h.update(func(tx storage.Tx) error {
		return tx.PutFeed(ctx, storage.Feed{URL: "https://a.example/rss", SiteURL: "https://a.example/", State: storage.StateOK})
	})
	// Story 1 (published at 0) with copies: b (same URL as rep: no link),
	// c and d (same URL as each other: one link), e.
	s1 := item("https://a.example/rss", "s1", 0, 1)
	s1.Tags = nil
	h.put(&s1)
	copies := []storage.Item{
		item("https://b.example/rss", "b", 1, 0),
		item("https://c.example/rss", "c", 2, 0),
		item("https://d.example/rss", "d", 3, 0),
		item("https://e.example/rss", "e", 4, 0),
	}
	copies[0].URL = s1.URL
	copies[2].URL = copies[1].URL
	copies[2].Tags = []string{"asean"}
	for i := range copies {
		copies[i].StoryID = s1.StoryID
		h.put(&copies[i])
	}
	s2 := item("https://b.example/rss", "s2", 10, 2) // newest
	s3 := item("https://c.example/rss", "s3", -10, 3)
	s3.Tags = []string{"other"}
	h.put(&s2, &s3)

	all := h.stories(storage.StoryQuery{})
	var ids []string
	for _, s := range all {
		ids = append(ids, s.Title)
	}
	if want := []string{"Title s2", "Title s1", "Title s3"}; !slices.Equal(ids, want) {
		t.Fatalf("Stories = %q, want %q (newest first)", ids, want)
	}
	s := all[1]
	wantRelated := []feeds.Link{
		{URL: copies[1].URL, Title: copies[1].FeedTitle},
		{URL: copies[3].URL, Title: copies[3].FeedTitle},
	}
	if !slices.Equal(s.Related, wantRelated) {
		t.Errorf("Related = %+v, want %+v", s.Related, wantRelated)
	}
	wantSource := feeds.Source{Title: s1.FeedTitle, FeedURL: s1.FeedURL, SiteURL: "https://a.example/"}
	if s.Source.Title != wantSource.Title || s.Source.FeedURL != wantSource.FeedURL || s.Source.SiteURL != wantSource.SiteURL {
		t.Errorf("Source = %+v, want %+v", s.Source, wantSource)
	}
	if all[0].Source.SiteURL != "" {
		t.Errorf("Source.SiteURL of a feed without state = %q, want empty", all[0].Source.SiteURL)
	}

	if got := h.stories(storage.StoryQuery{Limit: 2}); len(got) != 2 || got[0].Title != "Title s2" || got[1].Title != "Title s1" {
		t.Errorf("Stories(Limit 2) = %d stories, want s2, s1", len(got))
	}
	tagTests := []struct {
		tag  string
		want []string
	}{
		{"asean", []string{"Title s1"}},
		{"news", []string{"Title s2", "Title s1"}},
		{"other", []string{"Title s3"}},
		{"missing", nil},
	}
	for _, tt := range tagTests {
		var got []string
		for _, s := range h.stories(storage.StoryQuery{Tag: tt.tag}) {
			got = append(got, s.Title)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Stories(Tag %q) = %q, want %q", tt.tag, got, tt.want)
		}
	}
	if got := h.stories(storage.StoryQuery{Tag: "asean", Limit: 1}); len(got) != 1 || !slices.Equal(got[0].Related, wantRelated) {
		t.Errorf("Stories(Tag asean, Limit 1) = %+v, want s1 with its related links", got)
	}
}

func testRevision(t *testing.T, h *harness) {
	ctx := t.Context()
	r0 := h.revision()
	h.update(func(tx storage.Tx) error { return tx.PutFeed(ctx, storage.Feed{URL: "https://a.example/rss"}) })
	a := item("https://a.example/rss", "a", 0, 1)
	h.put(&a)
	r1 := h.revision()
	if r1 == r0 {
		t.Errorf("revision unchanged after a new story")
	}
	again := item("https://a.example/rss", "a", 0, 1)
	h.put(&again)
	if r := h.revision(); r != r1 {
		t.Errorf("revision changed from %d to %d on an unchanged item", r1, r)
	}
	b := item("https://b.example/rss", "b", 1, 2)
	b.StoryID = a.StoryID
	h.put(&b)
	r2 := h.revision()
	if r2 == r1 {
		t.Errorf("revision unchanged after a join")
	}
	b.Hash = "new"
	h.put(&b)
	if h.revision() == r2 {
		t.Errorf("revision unchanged after a changed item")
	}
}

func testUpdateRollback(t *testing.T, h *harness) {
	ctx := t.Context()
	r0 := h.revision()
	boom := errors.New("boom")
	err := h.s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.PutFeed(ctx, storage.Feed{URL: "https://a.example/rss"}); err != nil {
			return err
		}
		it := item("https://a.example/rss", "a", 0, 1)
		if _, err := tx.PutItem(ctx, &it); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("Update error = %v, want the error of fn unchanged", err)
	}
	if s := h.stats(); s != (storage.Stats{}) {
		t.Errorf("Stats after rollback = %+v, want nothing", s)
	}
	if r := h.revision(); r != r0 {
		t.Errorf("revision after rollback = %d, want %d", r, r0)
	}
	if st := h.stories(storage.StoryQuery{}); len(st) != 0 {
		t.Errorf("Stories after rollback = %d, want none", len(st))
	}
	// The store still works.
	it := item("https://a.example/rss", "a", 0, 1)
	if c := h.put(&it); !c[0] {
		t.Errorf("PutItem after rollback changed = false")
	}
}

func testViewNeverCommits(t *testing.T, h *harness) {
	ctx := t.Context()
	r0 := h.revision()
	// Writes in View either fail or are rolled back; both are fine.
	_ = h.s.View(ctx, func(tx storage.Tx) error {
		tx.PutFeed(ctx, storage.Feed{URL: "https://a.example/rss"})
		it := item("https://a.example/rss", "a", 0, 1)
		tx.PutItem(ctx, &it)
		return nil
	})
	if s := h.stats(); s != (storage.Stats{}) {
		t.Errorf("Stats after View = %+v, want nothing", s)
	}
	if r := h.revision(); r != r0 {
		t.Errorf("revision after View = %d, want %d", r, r0)
	}
}

func testReopen(t *testing.T, h *harness) {
	ctx := t.Context()
	f := storage.Feed{URL: "https://a.example/rss", Title: "A", State: storage.StateOK, LastFetch: at(1), NextPoll: at(2)}
	h.update(func(tx storage.Tx) error { return tx.PutFeed(ctx, f) })
	a := item("https://a.example/rss", "a", 0, 1)
	b := item("https://b.example/rss", "b", 1, 2)
	h.put(&a)
	b.StoryID = a.StoryID
	h.put(&b)
	stories, rev := h.stories(storage.StoryQuery{}), h.revision()

	h.reopen()

	if r := h.revision(); r != rev {
		t.Errorf("revision after reopen = %d, want %d", r, rev)
	}
	got := h.stories(storage.StoryQuery{})
	if len(got) != 1 || got[0].ID != stories[0].ID || !slices.Equal(got[0].Related, stories[0].Related) ||
		!got[0].Updated.Equal(stories[0].Updated) {
		t.Errorf("Stories after reopen = %+v, want %+v", got, stories)
	}
	checkItem(t, h.item(a.FeedURL, a.GUID), a)
	checkItem(t, h.item(b.FeedURL, b.GUID), b)
	gf, err := h.s.Feed(ctx, f.URL)
	if err != nil {
		t.Fatalf("Feed after reopen: %v", err)
	}
	f.Items = 1
	checkFeed(t, gf, f)
	// New stories continue.
	c := item("https://c.example/rss", "c", 2, 3)
	h.put(&c)
	if c.StoryID == a.StoryID || h.revision() == rev {
		t.Errorf("new story after reopen: story %d (old %d), revision %d (old %d)", c.StoryID, a.StoryID, h.revision(), rev)
	}
}

func testConcurrentUpdates(t *testing.T, h *harness) {
	const workers, rounds, batch = 8, 10, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				err := h.s.Update(t.Context(), func(tx storage.Tx) error {
					feedURL := fmt.Sprintf("https://w%d.example/rss", w)
					if err := tx.PutFeed(t.Context(), storage.Feed{URL: feedURL, State: storage.StateOK}); err != nil {
						return err
					}
					for i := range batch {
						it := item(feedURL, fmt.Sprintf("r%di%d", r, i), r, uint64(w))
						if _, err := tx.PutItem(t.Context(), &it); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
				}
				if _, err := h.s.Stories(t.Context(), storage.StoryQuery{Limit: 10}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent: %v", err)
	}
	if s := h.stats(); s.Items != workers*rounds*batch || s.Feeds != workers {
		t.Errorf("Stats = %+v, want %d items of %d feeds", s, workers*rounds*batch, workers)
	}
}
