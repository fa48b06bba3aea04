package dedupe

import (
	"strconv"
	"sync"
	"testing"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

func TestFeatureCache(t *testing.T) {
	d := New(DefaultOptions())
	it := benchItems()[0]
	var sc features
	f := d.features(it, &sc)
	if f != &sc {
		t.Fatal("first call: features not extracted into scratch")
	}
	if got := d.features(it, &sc); got == &sc {
		t.Error("second call: features extracted again, want cached")
	}
	// An item with a hash is matched without its texts; one without
	// needs them.
	bare := *it
	bare.Summary, bare.Content = "", ""
	if d.cache.known(&bare) == nil {
		t.Error("known: the cached item read without its texts is not matched")
	}
	rehashed := bare
	rehashed.Hash += "x"
	if d.cache.known(&rehashed) != nil {
		t.Error("known: an item with another hash is matched")
	}
	unhashed := *it
	unhashed.Hash = ""
	d.features(&unhashed, &sc)
	unhashed.Summary, unhashed.Content = "", ""
	if d.cache.known(&unhashed) != nil {
		t.Error("known: an item without a hash is matched without its texts")
	}
	if got := d.features(&unhashed, &sc); got != &sc {
		t.Error("an item without a hash whose texts changed: cached features returned")
	}

	changed := *it
	changed.Title = "Guangxi opens 12 training centres with ASEAN partners"
	if got := d.features(&changed, &sc); got != &sc {
		t.Error("changed title with the same key: cached features returned")
	}
	probe := *it
	probe.FeedURL = ""
	if _, ok := cacheKey(&probe); ok {
		t.Error("an item without a feed has a cache key")
	}

	// The cache stays within two generations.
	for i := range 3 * cacheGeneration {
		c := *it
		c.GUID = it.GUID + "-" + strconv.Itoa(i)
		d.features(&c, &sc)
	}
	if n := len(d.cache.cur) + len(d.cache.old); n > 2*cacheGeneration {
		t.Errorf("cache holds %d entries, want at most %d", n, 2*cacheGeneration)
	}
}

// TestAssignConcurrent assigns the later half of the evaluation set from
// several goroutines with one Deduper, its cache shared, and compares the
// decisions with those of one goroutine.
func TestAssignConcurrent(t *testing.T) {
	set := loadEval(t)
	ctx := t.Context()
	d := New(DefaultOptions())
	tx := newFakeTx()
	var items []storage.Item
	for _, e := range set.Items {
		it := storage.Item{
			Item:      feeds.Item{GUID: e.GUID, URL: e.URL, Title: e.Title, Summary: e.Summary, Content: e.Content, Published: e.Published},
			FeedURL:   e.Feed,
			FeedTitle: e.Outlet,
			FirstSeen: e.Arrival,
			Hash:      e.GUID,
		}
		it.Keys = d.Keys(&it.Item)
		items = append(items, it)
	}
	half := len(items) / 2
	for i := range items[:half] {
		if _, err := d.Assign(ctx, tx, &items[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.PutItem(ctx, &items[i]); err != nil {
			t.Fatal(err)
		}
	}
	rest := items[half:]
	want := make([]int64, len(rest))
	fresh := New(DefaultOptions())
	for i := range rest {
		it := rest[i]
		dec, err := fresh.Assign(ctx, tx, &it)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = dec.StoryID
	}
	got := make([]int64, len(rest))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(rest); i += 4 {
				it := rest[i]
				dec, err := d.Assign(ctx, tx, &it)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = dec.StoryID
			}
		})
	}
	wg.Wait()
	for i := range rest {
		if got[i] != want[i] {
			t.Errorf("item %s: story %d, want %d", rest[i].GUID, got[i], want[i])
		}
	}
}
