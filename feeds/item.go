package feeds

import "time"

// Item is one normalised entry of a fetched feed. After Parse every Item
// has a non-empty GUID, an absolute URL where the entry had a link, plain
// text Title, sanitised HTML Summary and Content, and a non-zero Published
// time that is never in the future.
type Item struct {
	GUID       string // the entry's id within its feed (guid, id, else link, else a content hash)
	URL        string // absolute link to the article
	Title      string // plain text
	Summary    string // sanitised HTML
	Content    string // sanitised HTML
	Author     string
	Lang       string // BCP 47 language tag where known
	Categories []string
	Published  time.Time
	Updated    time.Time
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
}
