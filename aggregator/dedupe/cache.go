package dedupe

import (
	"sync"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// cacheGeneration is how many items' features one generation of a
// featureCache holds; the cache holds at most two generations, about
// 1.8 MiB. The candidates of an item are spread over the whole window,
// so a larger cache finds few more of them: generations of 4,096 held
// 8.7 MiB after a first poll of 1,000 feeds and raised its peak resident
// memory by about 19 MiB for no less CPU at 10,000 feeds, and going from
// 1,024 to 512 lowered the peak of 10,000 regional feeds from 80-83 to
// 77-79 MiB for about the same CPU (four runs each, alternating: a mean
// of 89.4 s against 87.9 s, within their spread of 81-97 s).
const cacheGeneration = 512

// featureCache keeps the features of stories' representatives, which are
// candidates for many of the items that arrive after them, so that each
// is extracted once rather than once for every item it is confirmed
// against. It is a two-generation cache: when the current generation is
// full it becomes the old one and the previous old one is dropped; a hit
// in the old generation moves the entry back to the current one. Entries
// are never changed once stored, so a caller may keep using one after it
// was dropped. It is safe for concurrent use.
type featureCache struct {
	mu       sync.Mutex
	cur, old map[uint64]*features
}

// cacheKey returns the key of it's features: its feed, GUID and content
// hash, which change whenever what its features are made of may change.
// ok is false for an item that has no feed or GUID, such as a probe.
func cacheKey(it *storage.Item) (key uint64, ok bool) {
	if it.FeedURL == "" || it.GUID == "" {
		return 0, false
	}
	h := uint64(14695981039346656037)
	for _, s := range [...]string{it.FeedURL, it.GUID, it.Hash} {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return mix(h), true
}

// get returns the cached features of it, or nil.
func (c *featureCache) get(key uint64, it *storage.Item) *features {
	c.mu.Lock()
	f, ok := c.cur[key]
	if !ok {
		if f, ok = c.old[key]; ok {
			c.add(key, f)
		}
	}
	c.mu.Unlock()
	if !ok || !f.src.of(it) {
		return nil
	}
	return f
}

// put caches f, which must not change afterwards, under key.
func (c *featureCache) put(key uint64, f *features) {
	c.mu.Lock()
	c.add(key, f)
	c.mu.Unlock()
}

func (c *featureCache) add(key uint64, f *features) {
	if len(c.cur) >= cacheGeneration {
		c.old, c.cur = c.cur, nil
	}
	if c.cur == nil {
		c.cur = make(map[uint64]*features, cacheGeneration)
	}
	c.cur[key] = f
}

// source identifies what features were extracted from, so that a cache
// hit can be checked against the item asked for: a key collision or an
// item changed without a new content hash yields a miss.
//
// An item's Hash covers its summary and content, so an item with one is
// matched without them: a candidate whose features are cached need not
// have its texts read (known).
type source struct {
	title, feedTitle, url, hash string
	published                   time.Time
	summary, content            int // lengths, compared when there is no hash
}

func sourceOf(it *storage.Item) source {
	return source{it.Title, it.FeedTitle, it.URL, it.Hash, it.Published, len(it.Summary), len(it.Content)}
}

func (s *source) of(it *storage.Item) bool {
	if s.title != it.Title || s.feedTitle != it.FeedTitle || s.url != it.URL || s.hash != it.Hash ||
		!s.published.Equal(it.Published) {
		return false
	}
	return s.hash != "" || s.summary == len(it.Summary) && s.content == len(it.Content)
}

// known returns the cached features of it, an item read without its
// summary and content, or nil: only an item with a Hash can be matched
// so.
func (c *featureCache) known(it *storage.Item) *features {
	key, ok := cacheKey(it)
	if !ok || it.Hash == "" {
		return nil
	}
	return c.get(key, it)
}

// clone returns a copy of f without its scratch buffers, for the cache.
func (f *features) clone() *features {
	c := &features{
		words:  f.words,
		source: f.source,
		outlet: f.outlet,
		host:   f.host,
		url:    f.url,
		pub:    f.pub,
		src:    f.src,
		paras:  f.paras,
		tpair:  f.tpair,
		tcont:  f.tcont,
		cut:    f.cut,
		head:   f.head,
		nhead:  f.nhead,
	}
	// One allocation for both hash slices of the title.
	th := make([]uint64, len(f.title)+len(f.nums))
	c.title = th[:copy(th, f.title):len(f.title)]
	c.nums = th[len(f.title):][:copy(th[len(f.title):], f.nums)]
	c.body = append([]uint32(nil), f.body...)
	c.rest = append([]uint32(nil), f.rest...)
	c.bnums = append([]uint32(nil), f.bnums...)
	c.vocab = append([]uint32(nil), f.vocab...)
	c.tseq = append([]uint32(nil), f.tseq...)
	c.figs = append([]uint64(nil), f.figs...)
	if len(f.links) > 0 {
		c.links = append([]string(nil), f.links...)
	}
	return c
}
