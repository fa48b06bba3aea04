package feeds

import (
	"hash/maphash"
	"strconv"
	"sync"
)

// entryGeneration is how many rendered entries one generation of an
// EntryCache holds; it keeps at most two.
const entryGeneration = 1024

// EntryCache keeps rendered Atom entries across renders of the merged
// feed. A new revision of the store usually changes a few stories among
// the hundred served, so with a cache only those are rendered again. An
// entry is keyed by everything it is made of, so a changed story is never
// served stale. The zero value is ready to use and safe for concurrent
// use; it holds at most 2,048 entries.
type EntryCache struct {
	mu       sync.Mutex
	cur, old map[uint64][]byte
}

func (c *EntryCache) get(k uint64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.cur[k]
	if !ok {
		if b, ok = c.old[k]; ok {
			c.add(k, b)
		}
	}
	return b, ok
}

func (c *EntryCache) put(k uint64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add(k, b)
}

// add stores b under k; c.mu is held.
func (c *EntryCache) add(k uint64, b []byte) {
	if c.cur == nil || len(c.cur) >= entryGeneration {
		c.old, c.cur = c.cur, make(map[uint64][]byte, entryGeneration)
	}
	c.cur[k] = b
}

// keySeed seeds storyKey: keys live only as long as the process.
var keySeed = maphash.MakeSeed()

// storyKey hashes every field of s that its entry is rendered from.
func storyKey(s *Story) uint64 {
	var h maphash.Hash
	h.SetSeed(keySeed)
	w := func(v string) {
		h.WriteString(v)
		h.WriteByte(0)
	}
	for _, v := range [...]string{s.ID, s.Title, s.URL, s.Summary, s.Content, s.Author, s.Lang,
		s.Source.Title, s.Source.FeedURL, s.Source.SiteURL} {
		w(v)
	}
	for _, t := range [...]int64{s.Published.UnixNano(), s.Updated.UnixNano(), s.Source.Updated.UnixNano()} {
		w(strconv.FormatInt(t, 36))
	}
	for _, c := range s.Categories {
		w(c)
	}
	w("\x01")
	for _, r := range s.Related {
		w(r.URL)
		w(r.Title)
	}
	return h.Sum64()
}

// atomEntryXML returns the entry of s as it appears in the indented feed
// document, from cache when it holds it.
func atomEntryXML(s *Story, cache *EntryCache) []byte {
	var k uint64
	if cache != nil {
		k = storyKey(s)
		if b, ok := cache.get(k); ok {
			return b
		}
	}
	b := appendEntry(nil, atomStory(s))
	if cache != nil {
		cache.put(k, b)
	}
	return b
}
