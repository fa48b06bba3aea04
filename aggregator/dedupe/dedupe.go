package dedupe

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// Options configure a Deduper.
type Options struct {
	Near      bool          // near-duplicate merging; exact GUID/URL dedupe is always on
	Window    time.Duration // candidates are published within ±Window; 0 means DefaultWindow
	Threshold float64       // confirm score (0 to 1) a candidate must reach; 0 means DefaultThreshold
	// Now returns the current time, the publication time of an item
	// with no dates at all; nil means time.Now.
	Now func() time.Time
}

// Defaults.
const (
	DefaultWindow    = 72 * time.Hour
	DefaultThreshold = 0.65
)

// DefaultOptions returns near-duplicate merging on, a 72 hour window and
// the default threshold.
func DefaultOptions() Options {
	return Options{Near: true, Window: DefaultWindow, Threshold: DefaultThreshold}
}

// Lookup is what assigning an item to a story reads from a store: the
// items with a canonical URL, and the representatives of the stories
// that match a candidate query. A storage.Tx is one; so is an index of
// items stored moments ago.
type Lookup interface {
	// ItemsByURL returns every item whose canonical URL is
	// canonicalURL, oldest first.
	ItemsByURL(ctx context.Context, canonicalURL string) ([]storage.Item, error)
	// Candidates returns the representative item of every story that
	// matches q (storage.CandidateQuery.Matches).
	Candidates(ctx context.Context, q storage.CandidateQuery) ([]storage.Item, error)
}

// MaxBandDistance is how many of its 64 bits a SimHash found through a
// shared band may differ in for the story to be a candidate. Copies of
// one story differ in a handful of bits; two unrelated texts that share
// one 16-bit band differ in about 24 of the other 48, and in at most 16
// about once in a hundred. Found through the index, such stories would
// each cost a row read and a comparison.
const MaxBandDistance = 16

// Query returns the candidate query of an item with keys k published at
// pub: the stories published within the window around pub whose
// representative has the same non-empty title key, or one of whose
// fingerprints (SimHash and Body) shares a 16-bit band with one of k's
// and is at most MaxBandDistance bits apart from it.
func (d *Deduper) Query(k storage.Keys, pub time.Time) storage.CandidateQuery {
	return storage.CandidateQuery{Title: k.Title, SimHash: k.SimHash, Body: k.Body, MaxDistance: MaxBandDistance,
		From: pub.Add(-d.opt.Window), To: pub.Add(d.opt.Window)}
}

var _ Lookup = storage.Tx(nil)

// Deduper assigns items to stories. It is safe for concurrent use; each
// call works inside the transaction it is given. Its only state is a
// bounded cache of the compared features of recent items, which depend on
// nothing but the items themselves.
type Deduper struct {
	opt   Options
	cache featureCache
}

// New returns a Deduper with options o; a zero Window or Threshold takes
// the default.
func New(o Options) *Deduper {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Deduper{opt: o}
}

// Options returns the options in effect, defaults filled in.
func (d *Deduper) Options() Options { return d.opt }

// Keys computes the dedupe keys of an item: its canonical URL, the
// normalised key of its title, the 64-bit SimHash of its normalised
// lead text and that of the text after its first sentence (Body).
func (d *Deduper) Keys(it *feeds.Item) storage.Keys {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	f := &sc.a
	title := cleanTitle(it.Title)
	body := it.Summary
	if len(it.Content) > len(body) {
		body = it.Content
	}
	txt := cleanBody(body, &f.buf, &f.nbuf, nil)
	f.tbuf = append(f.tbuf[:0], title...)
	return storage.Keys{
		URL:     CanonicalURL(it.URL),
		Title:   titleKey(f.tbuf),
		SimHash: simHash(txt, f.tbuf),
		Body:    bodyHash(txt),
	}
}

// Decision is how an item was, or would be, assigned to a story.
type Decision struct {
	StoryID int64         // the story joined; 0 for a new story
	Reason  string        // "url", "near" or "new"; "reject" for a candidate Explain turned down
	Match   *storage.Item // the stored item matched, nil for a new story

	// Scores of the near-duplicate confirmation; zero for a URL match.
	Score      float64 // combined score compared with the threshold
	Title      float64 // Dice overlap of title tokens, -1 if not compared
	Body       float64 // share of the shorter body's shingles found in the longer, -1 if too short
	Distance   int     // Hamming distance of the SimHashes
	Attributed bool    // a "Source:" line of one names the other's outlet
	Linked     bool    // one links to the other's URL
	Veto       string  // why the candidate was refused whatever its score ("numbers")
	Agree      int     // numbers both texts report
	Conflict   int     // quantities the texts report only with different numbers ("560 agreements", "56 agreements")
	Aligned    bool    // the texts start with the same words
	Support    float64 // the larger share of either headline's words that the shorter text holds
	Background bool    // one paragraph of one found in the other under another headline: counted only partly
	Rewritten  bool    // one text after its lead is found whole in the other: a rewritten lead
	Column     bool    // the same title is taken for a recurring column's, and counts for nothing
}

// nearest returns the least distance between a fingerprint of k and one
// of c: SimHash to SimHash, and to or from a Body that is not 0.
func nearest(k, c storage.Keys) int {
	d := distance(k.SimHash, c.SimHash)
	if c.Body != 0 {
		d = min(d, distance(k.SimHash, c.Body))
	}
	if k.Body != 0 {
		d = min(d, distance(k.Body, c.SimHash))
		if c.Body != 0 {
			d = min(d, distance(k.Body, c.Body))
		}
	}
	return d
}

// maxCandidates bounds how many candidate stories one item is confirmed
// against.
const maxCandidates = 64

// Reasons.
const (
	ReasonURL    = "url"
	ReasonNear   = "near"
	ReasonNew    = "new"
	ReasonReject = "reject"
)

// String returns the decision on one line, for logs and explain.
func (d Decision) String() string {
	var b strings.Builder
	b.WriteString(d.Reason)
	if d.StoryID != 0 {
		fmt.Fprintf(&b, " story=%d", d.StoryID)
	}
	if d.Match != nil {
		fmt.Fprintf(&b, " item=%d feed=%q url=%q title=%q", d.Match.ID, d.Match.FeedTitle, d.Match.URL, d.Match.Title)
		if d.Reason != ReasonURL {
			fmt.Fprintf(&b, " score=%.2f title=%s body=%s dist=%d", d.Score, ratio(d.Title), ratio(d.Body), d.Distance)
			fmt.Fprintf(&b, " figures=%d/%d", d.Agree, d.Conflict)
			fmt.Fprintf(&b, " headline-in-text=%.2f", d.Support)
			if d.Aligned {
				b.WriteString(" aligned")
			}
			if d.Background {
				b.WriteString(" background")
			}
			if d.Rewritten {
				b.WriteString(" rewritten-lead")
			}
			if d.Column {
				b.WriteString(" column")
			}
			if d.Attributed {
				b.WriteString(" attributed")
			}
			if d.Linked {
				b.WriteString(" linked")
			}
			if d.Veto != "" {
				fmt.Fprintf(&b, " veto=%s", d.Veto)
			}
		}
	}
	return b.String()
}

func ratio(f float64) string {
	if f < 0 {
		return "n/a"
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// Assign decides which stored story the new item it (with it.Keys set)
// joins: a story holding an item with the same canonical URL, else, with
// near-duplicate merging on, the story whose representative it confirms
// best above the threshold, else a new story. It sets it.StoryID (0 for a
// new story) and returns the decision. It fails only when the
// transaction does.
func (d *Deduper) Assign(ctx context.Context, tx Lookup, it *storage.Item) (Decision, error) {
	dec, _, err := d.assign(ctx, tx, it, false)
	if err != nil {
		return Decision{}, err
	}
	it.StoryID = dec.StoryID
	return dec, nil
}

// Explain returns the decision Assign would make for it first, followed
// by one Decision for every stored item with the same URL and every
// candidate representative considered, best score first, each with its
// scores and Reason "url", "near" (accepted) or "reject". The item itself
// is left out when it is already stored. Explain does not change it.
func (d *Deduper) Explain(ctx context.Context, tx Lookup, it *storage.Item) ([]Decision, error) {
	dec, all, err := d.assign(ctx, tx, it, true)
	if err != nil {
		return nil, err
	}
	return append([]Decision{dec}, all...), nil
}

func (d *Deduper) assign(ctx context.Context, tx Lookup, it *storage.Item, explain bool) (Decision, []Decision, error) {
	k := it.Keys
	if k == (storage.Keys{}) {
		k = d.Keys(&it.Item)
		it.Keys = k
	}
	var all []Decision
	verdict := Decision{Reason: ReasonNew}
	found := false

	// Exact: the canonical URL, and the GUID when it is another URL.
	urls := [2]string{k.URL, ""}
	if g := CanonicalURL(it.GUID); g != k.URL && strings.HasPrefix(g, "https://") {
		urls[1] = g
	}
	for _, u := range urls {
		if !usableURL(u) {
			continue
		}
		items, err := tx.ItemsByURL(ctx, u)
		if err != nil {
			return Decision{}, nil, fmt.Errorf("dedupe: items by url %s: %w", u, err)
		}
		for i := range items {
			m := &items[i]
			if self(it, m) || m.StoryID == 0 {
				continue
			}
			dec := Decision{StoryID: m.StoryID, Reason: ReasonURL, Match: m}
			if !found {
				verdict, found = dec, true
			}
			if !explain {
				return verdict, nil, nil
			}
			all = append(all, dec)
		}
	}
	if !d.opt.Near || found && !explain {
		return verdict, all, nil
	}

	pub := it.Published
	if pub.IsZero() {
		pub = it.FirstSeen
	}
	if pub.IsZero() {
		pub = d.opt.Now()
	}
	// Candidates whose features are cached come without their texts;
	// pinned holds those features, which the cache may drop meanwhile.
	var pinned []pinnedFeatures
	q := d.Query(k, pub)
	q.Known = func(c *storage.Item) bool {
		f := d.cache.known(c)
		if f != nil {
			pinned = append(pinned, pinnedFeatures{c.ID, f})
		}
		return f != nil
	}
	cands, err := tx.Candidates(ctx, q)
	if err != nil {
		return Decision{}, nil, fmt.Errorf("dedupe: candidates of %s: %w", it.URL, err)
	}
	if len(cands) == 0 {
		return verdict, all, nil
	}
	if len(cands) > maxCandidates {
		// Keep the cost per item bounded when a common title or band
		// brings many stories: confirm those with the same title key and
		// the nearest fingerprints.
		rank := func(c *storage.Item) int {
			if k.Title != "" && c.Keys.Title == k.Title {
				return -1
			}
			return nearest(k, c.Keys)
		}
		slices.SortStableFunc(cands, func(x, y storage.Item) int { return rank(&x) - rank(&y) })
		cands = cands[:maxCandidates]
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	a := d.features(it, &sc.a)
	var best Decision
	bestFound := false
	sameTitle := 0
	first := len(all)
	for i := range cands {
		c := &cands[i]
		if self(it, c) || c.StoryID == 0 {
			continue
		}
		dec := Decision{StoryID: c.StoryID, Reason: ReasonReject, Match: c, Distance: distance(k.SimHash, c.Keys.SimHash)}
		cf := pinnedFor(pinned, c)
		if cf == nil {
			cf = d.features(c, &sc.b)
		}
		confirm(a, cf, &dec)
		if dec.Title == 1 {
			sameTitle++
		}
		if dec.Veto == "" && dec.Score >= d.opt.Threshold {
			dec.Reason = ReasonNear
			if !bestFound || dec.Score > best.Score || dec.Score == best.Score && c.Published.Before(best.Match.Published) {
				best, bestFound = dec, true
			}
		}
		if explain {
			all = append(all, dec)
		}
	}
	// Titles alone cannot tell apart stories that share a title: when
	// several candidate stories carry the item's exact title, a match on
	// the title alone is refused.
	if bestFound && best.Body < 0 && sameTitle > 1 {
		bestFound = false
		for i := first; i < len(all); i++ {
			if all[i].Reason == ReasonNear && all[i].Body < 0 {
				all[i].Reason, all[i].Veto = ReasonReject, "ambiguous title"
			}
		}
	}
	slices.SortStableFunc(all[first:], func(x, y Decision) int {
		switch {
		case x.Score > y.Score:
			return -1
		case x.Score < y.Score:
			return 1
		}
		return 0
	})
	if !found && bestFound {
		verdict = best
	}
	return verdict, all, nil
}

// features returns the features of it: from the cache, or extracted into
// scratch and then cached, since a new item may become the representative
// of a story and so a candidate for many later items.
func (d *Deduper) features(it *storage.Item, scratch *features) *features {
	key, ok := cacheKey(it)
	if ok {
		if f := d.cache.get(key, it); f != nil {
			return f
		}
	}
	scratch.extract(it)
	if ok {
		d.cache.put(key, scratch.clone())
	}
	return scratch
}

// pinnedFeatures are the cached features of the candidate item id,
// which came without its summary and content.
type pinnedFeatures struct {
	id int64
	f  *features
}

// pinnedFor returns the pinned features of c, or nil.
func pinnedFor(pinned []pinnedFeatures, c *storage.Item) *features {
	for _, p := range pinned {
		if p.id == c.ID && p.f.src.of(c) {
			return p.f
		}
	}
	return nil
}

// self reports whether the stored item m is it.
func self(it, m *storage.Item) bool {
	if it.ID != 0 && m.ID == it.ID {
		return true
	}
	return it.FeedURL != "" && m.FeedURL == it.FeedURL && m.GUID == it.GUID
}

// usableURL reports whether the canonical URL u names an article rather
// than a site's home page, which some feeds give as every item's link.
func usableURL(u string) bool {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		return false
	}
	i := strings.IndexByte(rest, '/')
	return i >= 0 && len(rest) > i+1
}
