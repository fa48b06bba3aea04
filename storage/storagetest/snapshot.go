package storagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// Snapshot is everything a store answers through storage.Store about
// the feeds and GUIDs it is asked for: it shows whether an upgraded
// database answers exactly as the release that wrote it did.
type Snapshot struct {
	GUIDs      map[string][]string      // asked: the GUIDs stored or removed, by feed URL
	Tags       []string                 // asked: the tags to list stories of
	Feeds      []storage.Feed           // Feeds
	Items      []storage.Item           // ItemsByGUID of every feed and GUID asked, by feed then GUID
	ByURL      map[string][]int64       // ItemsByURL of each item's canonical URL: the IDs found
	Candidates map[string][]int64       // Candidates by each item's keys within 72 hours: the IDs found, keyed feed URL + " " + GUID
	Stories    []feeds.Story            // Stories, all
	Tagged     map[string][]feeds.Story // Stories of each tag asked, 3 at most
	Stats      storage.Stats
	Revision   int64
	Tombstones map[string][]string // Tombstones of each feed's GUIDs asked (a write: it records them listed at TombstoneTime)
}

// TombstoneTime is when a Snapshot asks for tombstones.
var TombstoneTime = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// Take fills snap's answers from s for the GUIDs and tags it asks about.
// Its last step writes: asking for tombstones records the GUIDs listed.
func (snap *Snapshot) Take(ctx context.Context, s storage.Store) error {
	var err error
	if snap.Feeds, err = s.Feeds(ctx); err != nil {
		return err
	}
	var urls []string
	for u := range snap.GUIDs {
		urls = append(urls, u)
	}
	slices.Sort(urls)
	snap.Items, snap.ByURL, snap.Candidates = nil, map[string][]int64{}, map[string][]int64{}
	err = s.View(ctx, func(tx storage.Tx) error {
		for _, u := range urls {
			got, err := tx.ItemsByGUID(ctx, u, snap.GUIDs[u])
			if err != nil {
				return err
			}
			for _, g := range snap.GUIDs[u] {
				if it, ok := got[g]; ok {
					snap.Items = append(snap.Items, it)
				}
			}
		}
		for _, it := range snap.Items {
			byURL, err := tx.ItemsByURL(ctx, it.Keys.URL)
			if err != nil {
				return err
			}
			snap.ByURL[it.Keys.URL] = ids(byURL)
			c, err := tx.Candidates(ctx, storage.CandidateQuery{Title: it.Keys.Title, SimHash: it.Keys.SimHash,
				Body: it.Keys.Body, MaxDistance: maxDistance,
				From: it.Published.Add(-72 * time.Hour), To: it.Published.Add(72 * time.Hour)})
			if err != nil {
				return err
			}
			snap.Candidates[it.FeedURL+" "+it.GUID] = ids(c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if snap.Stories, err = s.Stories(ctx, storage.StoryQuery{}); err != nil {
		return err
	}
	snap.Tagged = map[string][]feeds.Story{}
	for _, tag := range snap.Tags {
		if snap.Tagged[tag], err = s.Stories(ctx, storage.StoryQuery{Tag: tag, Limit: 3}); err != nil {
			return err
		}
	}
	if snap.Stats, err = s.Stats(ctx); err != nil {
		return err
	}
	if snap.Revision, err = s.Revision(ctx); err != nil {
		return err
	}
	snap.Tombstones = map[string][]string{}
	return s.Update(ctx, func(tx storage.Tx) error {
		for _, u := range urls {
			got, err := tx.Tombstones(ctx, u, snap.GUIDs[u], TombstoneTime)
			if err != nil {
				return err
			}
			var g []string
			for guid := range got {
				g = append(g, guid)
			}
			slices.Sort(g)
			snap.Tombstones[u] = g
		}
		return nil
	})
}

func ids(items []storage.Item) []int64 {
	out := []int64{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// ReadSnapshot reads a snapshot written as JSON by WriteSnapshot.
func ReadSnapshot(path string) (*Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var snap Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	return &snap, nil
}

// WriteSnapshot writes snap to path as indented JSON.
func WriteSnapshot(path string, snap *Snapshot) error {
	return os.WriteFile(path, snap.json(), 0o644)
}

func (snap *Snapshot) json() []byte {
	b, err := json.MarshalIndent(snap, "", "\t")
	if err != nil {
		panic(err) // every field marshals
	}
	return append(b, '\n')
}

// CheckSnapshot takes a snapshot of s asking what want asked, and
// reports every line in which it differs from want.
func CheckSnapshot(t *testing.T, s storage.Store, want *Snapshot) {
	t.Helper()
	got := &Snapshot{GUIDs: want.GUIDs, Tags: want.Tags}
	if err := got.Take(t.Context(), s); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	// Through JSON, as want was read: times in one form.
	var round Snapshot
	if err := json.Unmarshal(got.json(), &round); err != nil {
		t.Fatal(err)
	}
	g, w := round.json(), want.json()
	if bytes.Equal(g, w) {
		return
	}
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	n := 0
	for i := 0; i < max(len(gl), len(wl)) && n < 20; i++ {
		var a, b string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if a != b {
			t.Errorf("snapshot line %d:\n got %s\nwant %s", i+1, strings.TrimSpace(a), strings.TrimSpace(b))
			n++
		}
	}
	if n == 0 {
		t.Errorf("snapshots differ in length: %d lines, want %d", len(gl), len(wl))
	}
}

// CheckWritesAfter checks that a store whose snapshot was want (an
// upgraded database, say) goes on storing: a new item of a new feed,
// one of a stored feed joining a stored story, and a stored item
// again, unchanged.
func CheckWritesAfter(t *testing.T, s storage.Store, want *Snapshot) {
	t.Helper()
	if len(want.Items) == 0 {
		t.Fatal("the snapshot has no items")
	}
	ctx := t.Context()
	old := want.Items[0]
	fresh := item("https://new.example/rss", "after-1", 0, 99)
	join := item(old.FeedURL, "after-2", 0, 98)
	join.StoryID = old.StoryID
	again := old
	var changed []bool
	err := s.Update(ctx, func(tx storage.Tx) error {
		for _, it := range []*storage.Item{&fresh, &join, &again} {
			c, err := tx.PutItem(ctx, it)
			if err != nil {
				return err
			}
			changed = append(changed, c)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("PutItem after the snapshot: %v", err)
	}
	if !slices.Equal(changed, []bool{true, true, false}) {
		t.Errorf("PutItem changed = %v, want new, joined, unchanged: [true true false]", changed)
	}
	if join.StoryID != old.StoryID || again.ID != old.ID {
		t.Errorf("joined story %d, stored item %d; want %d, %d", join.StoryID, again.ID, old.StoryID, old.ID)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := (storage.Stats{Feeds: want.Stats.Feeds, Items: want.Stats.Items + 2, Stories: want.Stats.Stories + 1}); st != w {
		t.Errorf("Stats = %+v, want %+v", st, w)
	}
	var got map[string]storage.Item
	err = s.View(ctx, func(tx storage.Tx) error {
		var err error
		got, err = tx.ItemsByGUID(ctx, fresh.FeedURL, []string{fresh.GUID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkItem(t, got[fresh.GUID], fresh)
}
