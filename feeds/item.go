package feeds

import "time"

// Item is one normalised entry of a fetched feed. After Parse every Item
// has a non-empty GUID, an absolute http or https URL where the entry had
// one (else none), a non-blank plain text Title, sanitised HTML Summary
// and Content, and a non-zero Published time that is never in the future.
type Item struct {
	GUID  string // the entry's id within its feed (guid, id, else link, else a content hash)
	URL   string // absolute http or https link to the article, or ""
	Title string // plain text, never blank; see TitleDerived
	// TitleDerived reports that the entry had no title of its own and
	// Title was made by Parse from its text: the first sentence of the
	// summary (else the content), or its first 80 characters cut at a
	// word (40 for Chinese or Japanese) ending in "…"; without any text
	// the link's host and path, and without a link "Untitled". A later
	// copy with a real title should be preferred over a derived one.
	TitleDerived bool
	Summary      string // sanitised HTML
	Content      string // sanitised HTML
	Author       string
	Lang         string // BCP 47 language tag where known
	Categories   []string
	Published    time.Time
	Updated      time.Time
}

// Feed is a parsed and normalised feed document.
type Feed struct {
	Title   string
	SiteURL string        // the feed's link to its web site
	Lang    string        // BCP 47 language tag where known
	TTL     time.Duration // RSS <ttl>, zero when absent
	Items   []Item
}

// Story is one entry of the merged feed: a story that one or more outlets
// published, represented by its earliest copy.
type Story struct {
	ID         string // stable Atom id; never changes once published
	Title      string
	URL        string // the earliest copy's link (rel="alternate")
	Summary    string // sanitised HTML
	Content    string // sanitised HTML
	Author     string
	Lang       string
	Categories []string
	Published  time.Time
	Updated    time.Time
	Source     Source // the feed the representative copy came from
	Related    []Link // every other outlet's copy (rel="related")
}

// Source names the feed a story's representative copy came from.
type Source struct {
	Title   string
	FeedURL string // the feed document's URL (atom:source id and rel="self")
	SiteURL string
	Updated time.Time
}

// Link is another outlet's copy of a story.
type Link struct {
	URL   string
	Title string // the outlet's name
}

// Meta describes the merged feed as a whole.
type Meta struct {
	ID      string // stable feed id
	Title   string
	SelfURL string // where the merged feed is served, if known
	SiteURL string
	Updated time.Time // zero means the newest story's Updated
	// Fallback is used as the feed's updated time when Updated is zero
	// and there are no stories, for example the last successful poll.
	// When it is zero too the feed says EmptyFeedUpdated.
	Fallback time.Time
}

// EmptyFeedUpdated is the updated time of a feed with no stories, no
// Meta.Updated and no Meta.Fallback, and of a story with no dates at
// all. It is a fixed time, not the time of rendering, so the document,
// its ETag and Last-Modified stay the same across renders and restarts;
// and it is not the Unix epoch or the zero time, which readers show as
// 1970 or year 1 and validators reject.
var EmptyFeedUpdated = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
