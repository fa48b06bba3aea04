package aggregator

import (
	"context"
	"slices"
	"sync"

	"github.com/feedmerge/feedmerge/aggregator/dedupe"
	"github.com/feedmerge/feedmerge/storage"
)

// recentSize bounds how many newly stored items the service remembers for
// re-checking story decisions made on an older snapshot.
const recentSize = 4096

// recent remembers the items this service stored most recently, in commit
// order. Stories are assigned on a read snapshot, outside the serialised
// write (so that the expensive part runs on every core); an item the
// snapshot said starts a new story is checked again, inside the write,
// against the items stored since that snapshot. recent is those items.
//
// Items are added inside the write, in write order, before their
// transaction commits (the store may commit several writes together, and
// a later one of them must see an earlier one's items); a mark counts
// only committed items, so the items of a write in flight always come
// after the mark of a snapshot that cannot see them.
type recent struct {
	mu        sync.Mutex
	seq       uint64 // items ever added
	committed uint64 // the items up to this seq are committed or dropped
	items     []recentItem
	next      int // ring position of the next add
}

type recentItem struct {
	seq     uint64
	created bool // the item started its story, so it is its representative
	dropped bool // its transaction failed
	item    storage.Item
}

// mark returns a marker for "now": since(mark) returns what is added
// later and what was added but not yet committed.
func (r *recent) mark() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.committed
}

// add records items just written, in write order, and returns the seq of
// the last; commit or drop must follow.
func (r *recent) add(items []recentItem) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.items == nil {
		r.items = make([]recentItem, 0, recentSize)
	}
	for _, it := range items {
		r.seq++
		it.seq = r.seq
		if len(r.items) < recentSize {
			r.items = append(r.items, it)
			continue
		}
		r.items[r.next] = it
		r.next = (r.next + 1) % recentSize
	}
	return r.seq
}

// commit records that the items up to seq last were committed (writes
// commit in the order they were written).
func (r *recent) commit(last uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.committed = max(r.committed, last)
}

// drop forgets the n items up to seq last, whose transaction failed.
func (r *recent) drop(last uint64, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for seq := last - uint64(n) + 1; seq <= last && n > 0; seq++ {
		if i := int((seq - 1) % recentSize); i < len(r.items) && r.items[i].seq == seq {
			r.items[i].dropped = true
		}
	}
	r.committed = max(r.committed, last)
}

// since returns the items added after marker m, oldest first. ok is false
// when some of them have already been forgotten.
func (r *recent) since(m uint64) (items []recentItem, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seq-m > uint64(len(r.items)) {
		return nil, false
	}
	n := int(r.seq - m)
	start := (r.next - n + len(r.items)) % max(len(r.items), 1)
	if len(r.items) < recentSize {
		start = len(r.items) - n
	}
	out := make([]recentItem, 0, n)
	for i := range n {
		if it := r.items[(start+i)%len(r.items)]; !it.dropped {
			out = append(out, it)
		}
	}
	return out, true
}

// recentLookup answers dedupe's lookups over a few recently stored items:
// those stored since a snapshot, then those of the running write. Items
// are indexed by canonical URL, title key and the bands of both
// fingerprints (SimHash and Body, in one map per band) as they are
// added, so each lookup costs the items it returns, not the items held:
// a feed of 100,000 new items is checked in linear time.
type recentLookup struct {
	items   []recentItem
	byURL   map[string][]int32
	byTitle map[string][]int32
	byBand  [4]map[int64][]int32
}

var _ dedupe.Lookup = (*recentLookup)(nil)

func newRecentLookup(since []recentItem) *recentLookup {
	r := &recentLookup{byURL: map[string][]int32{}, byTitle: map[string][]int32{}}
	for i := range r.byBand {
		r.byBand[i] = map[int64][]int32{}
	}
	for _, it := range since {
		r.add(it)
	}
	return r
}

// add indexes one more item, newer than every item held.
func (r *recentLookup) add(it recentItem) {
	n := int32(len(r.items))
	r.items = append(r.items, it)
	k := it.item.Keys
	if k.URL != "" {
		r.byURL[k.URL] = append(r.byURL[k.URL], n)
	}
	if !it.created {
		return // only a story's first item is its representative here
	}
	if k.Title != "" {
		r.byTitle[k.Title] = append(r.byTitle[k.Title], n)
	}
	for i, b := range k.Bands() {
		r.byBand[i][b] = append(r.byBand[i][b], n)
	}
	if k.Body != 0 {
		for i, b := range k.BodyBands() {
			r.byBand[i][b] = append(r.byBand[i][b], n)
		}
	}
}

func (r *recentLookup) ItemsByURL(_ context.Context, u string) ([]storage.Item, error) {
	idx := r.byURL[u]
	if len(idx) == 0 {
		return nil, nil
	}
	out := make([]storage.Item, len(idx))
	for i, n := range idx {
		out[i] = r.items[n].item
	}
	return out, nil
}

func (r *recentLookup) Candidates(_ context.Context, q storage.CandidateQuery) ([]storage.Item, error) {
	var hits []int32
	if q.Title != "" {
		hits = append(hits, r.byTitle[q.Title]...)
	}
	for i, b := range q.Bands() {
		hits = append(hits, r.byBand[i][b]...)
	}
	if q.Body != 0 {
		for i, b := range q.BodyBands() {
			hits = append(hits, r.byBand[i][b]...)
		}
	}
	if len(hits) == 0 {
		return nil, nil
	}
	slices.Sort(hits)
	hits = slices.Compact(hits)
	var out []storage.Item
	for _, n := range hits {
		c := &r.items[n].item
		if !q.Matches(c.Keys, c.Published) {
			continue
		}
		out = append(out, *c)
	}
	return out, nil
}
