package aggregator

import (
	"context"
	"errors"
	"sync"
	"time"

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

// errRecentOnly is returned by the methods recentTx does not serve.
var errRecentOnly = errors.New("aggregator: not available on recent items")

// recentTx is a storage.Tx over a few recently stored items, for the
// clustering rules' lookups (ItemsByURL, Candidates) only: the items
// stored since a snapshot, then those of the running transaction.
type recentTx struct {
	since, added []recentItem
}

// each calls fn for every item, oldest first.
func (r recentTx) each(fn func(*recentItem)) {
	for i := range r.since {
		fn(&r.since[i])
	}
	for i := range r.added {
		fn(&r.added[i])
	}
}

var _ storage.Tx = recentTx{}

func (r recentTx) ItemsByURL(_ context.Context, u string) ([]storage.Item, error) {
	var out []storage.Item
	r.each(func(c *recentItem) {
		if c.item.Keys.URL == u {
			out = append(out, c.item)
		}
	})
	return out, nil
}

func (r recentTx) Candidates(_ context.Context, k storage.Keys, from, to time.Time) ([]storage.Item, error) {
	var out []storage.Item
	r.each(func(c *recentItem) {
		if !c.created || c.item.Published.Before(from) || c.item.Published.After(to) {
			return
		}
		if k.Shares(c.item.Keys) {
			out = append(out, c.item)
		}
	})
	return out, nil
}

func (recentTx) PutFeed(context.Context, storage.Feed) error { return errRecentOnly }

func (recentTx) ItemsByGUID(context.Context, string, []string) (map[string]storage.Item, error) {
	return nil, errRecentOnly
}

func (recentTx) PutItem(context.Context, *storage.Item) (bool, error) { return false, errRecentOnly }
