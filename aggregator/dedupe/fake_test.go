package dedupe

import (
	"context"
	"slices"

	"github.com/feedmerge/feedmerge/storage"
)

// fakeTx is an in-memory storage.Tx with the documented semantics of
// ItemsByURL, Candidates and PutItem. Unlike a real backend it scans.
type fakeTx struct {
	items   []storage.Item
	byKey   map[[2]string]int // (FeedURL, GUID) → index in items
	rep     map[int64]int     // story ID → index of its representative
	nextID  int64
	stories int64
}

var _ Lookup = (*fakeTx)(nil)

func newFakeTx() *fakeTx {
	return &fakeTx{byKey: map[[2]string]int{}, rep: map[int64]int{}}
}

func (tx *fakeTx) PutFeed(context.Context, storage.Feed) error { return nil }

func (tx *fakeTx) ItemsByGUID(_ context.Context, feedURL string, guids []string) (map[string]storage.Item, error) {
	m := map[string]storage.Item{}
	for _, g := range guids {
		if i, ok := tx.byKey[[2]string{feedURL, g}]; ok {
			m[g] = tx.items[i]
		}
	}
	return m, nil
}

func (tx *fakeTx) ItemsByURL(_ context.Context, u string) ([]storage.Item, error) {
	var out []storage.Item
	for _, it := range tx.items {
		if it.Keys.URL == u {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b storage.Item) int { return a.Published.Compare(b.Published) })
	return out, nil
}

func (tx *fakeTx) Candidates(_ context.Context, q storage.CandidateQuery) ([]storage.Item, error) {
	var out []storage.Item
	for _, i := range tx.rep {
		if r := tx.items[i]; q.Matches(r.Keys, r.Published) {
			// As the stores do: the texts of a known candidate stay out.
			summary, content := r.Summary, r.Content
			r.Summary, r.Content = "", ""
			if q.Known == nil || !q.Known(&r) {
				r.Summary, r.Content = summary, content
			}
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b storage.Item) int { return int(a.StoryID - b.StoryID) })
	return out, nil
}

func (tx *fakeTx) PutItem(_ context.Context, it *storage.Item) (bool, error) {
	key := [2]string{it.FeedURL, it.GUID}
	if i, ok := tx.byKey[key]; ok {
		old := tx.items[i]
		it.ID, it.StoryID = old.ID, old.StoryID
		if old.Hash == it.Hash {
			return false, nil
		}
		tx.items[i] = *it
		return true, nil
	}
	tx.nextID++
	it.ID = tx.nextID
	if it.StoryID == 0 {
		tx.stories++
		it.StoryID = tx.stories
		tx.items = append(tx.items, *it)
		tx.rep[it.StoryID] = len(tx.items) - 1
	} else {
		tx.items = append(tx.items, *it)
		if r, ok := tx.rep[it.StoryID]; !ok || it.Published.Before(tx.items[r].Published) {
			tx.rep[it.StoryID] = len(tx.items) - 1
		}
	}
	tx.byKey[key] = len(tx.items) - 1
	return true, nil
}
