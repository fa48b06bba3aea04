package storage

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
)

// ErrNotFound is returned when a feed or story does not exist.
var ErrNotFound = errors.New("storage: not found")

// ErrFull is matched (errors.Is) by errors of a write that failed because
// the disk or the database's size limit is full; the transaction is rolled
// back.
var ErrFull = errors.New("storage: database or disk is full")

// Store persists feed state, items and the stories they are clustered
// into. Every backend satisfies it and passes storagetest.Run.
type Store interface {
	// Update runs fn in one read-write transaction. The transaction
	// commits when fn returns nil and rolls back otherwise; the error of
	// fn is returned unchanged.
	Update(ctx context.Context, fn func(Tx) error) error

	// View runs fn in a transaction that is always rolled back, for
	// lookups that must see one consistent state.
	View(ctx context.Context, fn func(Tx) error) error

	// Feed returns the stored state of the feed configured at url, or
	// ErrNotFound.
	Feed(ctx context.Context, url string) (Feed, error)

	// Feeds returns the state of every stored feed, ordered by URL.
	Feeds(ctx context.Context) ([]Feed, error)

	// Stories returns the newest stories first (by their earliest
	// copy's publication time), each with its source and related links.
	Stories(ctx context.Context, q StoryQuery) ([]feeds.Story, error)

	// Revision returns a number that changes whenever a story is
	// created or changed. It is cheap: callers use it to validate caches.
	Revision(ctx context.Context) (int64, error)

	// Stats counts what is stored.
	Stats(ctx context.Context) (Stats, error)

	// Close waits for running transactions and releases the database.
	Close() error
}

// Tx is one transaction. A Tx is not safe for concurrent use.
type Tx interface {
	// PutFeed inserts or replaces the state of feed f.URL.
	PutFeed(ctx context.Context, f Feed) error

	// ItemsByGUID returns the stored items of the feed configured at
	// feedURL whose GUIDs are among guids, keyed by GUID; GUIDs not
	// stored are absent. It is one lookup for a whole fetched feed.
	ItemsByGUID(ctx context.Context, feedURL string, guids []string) (map[string]Item, error)

	// ItemsByURL returns every stored item whose canonical URL is
	// canonicalURL, oldest first.
	ItemsByURL(ctx context.Context, canonicalURL string) ([]Item, error)

	// Candidates returns the representative item of every story that
	// matches q (CandidateQuery.Matches), oldest first. It uses indexes
	// only: its cost does not grow with the number of stories.
	Candidates(ctx context.Context, q CandidateQuery) ([]Item, error)

	// PutItem inserts it, or updates the stored item with the same
	// (FeedURL, GUID) in place when its Hash differs (keeping its story).
	// A new item with StoryID 0 starts a new story with it as the
	// representative; a new item with a StoryID joins that story and
	// becomes its representative if it was published earlier than the
	// current one, without changing the story's ID. PutItem sets it.ID
	// and it.StoryID, and reports whether anything was written.
	PutItem(ctx context.Context, it *Item) (changed bool, err error)

	// Tombstones returns which of guids of the feed configured at
	// feedURL were removed by Expire, so are not to be stored again, and
	// records that the feed still listed them at now.
	Tombstones(ctx context.Context, feedURL string, guids []string, now time.Time) (map[string]bool, error)

	// Expire removes at most q.Limit stories, the oldest first: those
	// whose newest copy was first seen before q.Before, then, while more
	// than q.MaxStories stories are stored (if it is not 0), the oldest
	// others. Every item of a removed story leaves a tombstone. It also
	// drops the tombstones whose feed last listed them before
	// q.ForgetBefore. It returns how many stories it removed.
	Expire(ctx context.Context, q ExpireQuery) (removed int, err error)
}

// ExpireQuery says what Tx.Expire removes.
type ExpireQuery struct {
	Before       time.Time // stories whose newest copy was first seen before this; zero for none
	MaxStories   int       // keep at most this many stories; 0 means no cap
	Limit        int       // remove at most this many stories in one call
	ForgetBefore time.Time // tombstones last listed before this are dropped; zero keeps them
	Now          time.Time // stamps new tombstones
}

// Feed is the persisted state of one configured feed.
type Feed struct {
	URL          string // the feed's URL as configured; the key
	FetchURL     string // where the feed now lives after a permanent redirect; empty if unchanged
	Title        string // the feed's own title from its last successful parse
	SiteURL      string
	ETag         string // validators exactly as the server sent them
	LastModified string
	BodyHash     string // hash of the last body, for servers that send no validators
	State        string // see the State constants
	HTTPStatus   int    // status code of the last response, 0 if none
	Errors       int    // consecutive failed fetches
	LastError    string
	LastFetch    time.Time
	LastSuccess  time.Time
	NextPoll     time.Time // the feed must not be fetched before this time
	Items        int       // stored items (filled by Feeds and Feed)
}

// Feed states.
const (
	StateNew       = "new"       // never fetched
	StateOK        = "ok"        // last fetch succeeded
	StateError     = "error"     // last fetch failed; polled again after backoff
	StateThrottled = "throttled" // the server asked us to wait (429/503, Retry-After)
	StateGone      = "gone"      // 410 Gone: no longer polled
	StateMoved     = "moved"     // permanently redirected; FetchURL is the new address
)

// Keys are an item's deduplication keys, computed by the aggregator.
type Keys struct {
	URL     string // canonical URL
	Title   string // normalised title
	SimHash uint64 // 64-bit SimHash of the normalised lead text
	Body    uint64 // 64-bit SimHash of the text beyond the lead; 0 for none
}

// Bands splits the SimHash into four 16-bit bands, the indexed columns of
// candidate lookup.
func (k Keys) Bands() [4]int64 { return bands(k.SimHash) }

// BodyBands splits the Body fingerprint into four 16-bit bands, indexed
// like those of the SimHash.
func (k Keys) BodyBands() [4]int64 { return bands(k.Body) }

func bands(simhash uint64) [4]int64 {
	var b [4]int64
	for i := range b {
		b[i] = int64(simhash >> (16 * i) & 0xffff)
	}
	return b
}

// CandidateQuery asks Tx.Candidates for the stories an item may belong
// to, by keys alone. Which keys to ask with, how far apart copies may be
// and the window are the caller's (the aggregator's dedupe); a store
// answers the query from its indexes: one per band and one by title key,
// each within the window.
type CandidateQuery struct {
	Title       string    // a title key; empty matches no story
	SimHash     uint64    // found through its four 16-bit bands (Keys.Bands)
	Body        uint64    // a Body fingerprint (Keys.Body); 0 for none
	MaxDistance int       // how many of the 64 bits a story found through a band may differ in
	From, To    time.Time // the representative was published within [From, To]

	// Known, when set, is asked of each candidate found, with every field
	// but Summary and Content read: a candidate it reports true for may
	// come with those two empty, for the caller already holds what it
	// needs of them, and reading them is most of a candidate's cost. A
	// store may also fill them in regardless.
	Known func(*Item) bool
}

// Bands returns the four 16-bit bands of q.SimHash.
func (q CandidateQuery) Bands() [4]int64 { return bands(q.SimHash) }

// BodyBands returns the four 16-bit bands of q.Body.
func (q CandidateQuery) BodyBands() [4]int64 { return bands(q.Body) }

// Matches reports whether a story whose representative has keys c and
// was published at pub matches q: published within [From, To], and
// either with title key Title or sharing a band of SimHash and at most
// MaxDistance bits from it, or when either of q's fingerprints
// (SimHash, Body) is near, in the same sense, either of c's, other than
// SimHash to SimHash; a zero Body matches nothing. Every implementation of Candidates applies q by it.
func (q CandidateQuery) Matches(c Keys, pub time.Time) bool {
	if pub.Before(q.From) || pub.After(q.To) {
		return false
	}
	if q.Title != "" && c.Title == q.Title {
		return true
	}
	if q.Near(c.SimHash) {
		return true
	}
	if c.Body != 0 && q.near(q.SimHash, c.Body) {
		return true
	}
	return q.Body != 0 && (q.near(q.Body, c.SimHash) || c.Body != 0 && q.near(q.Body, c.Body))
}

// Near reports whether simhash shares a band with q.SimHash and differs
// from it in at most MaxDistance bits.
func (q CandidateQuery) Near(simhash uint64) bool { return q.near(q.SimHash, simhash) }

// near reports whether a and b share a band and differ in at most
// MaxDistance bits.
func (q CandidateQuery) near(a, b uint64) bool {
	qb, cb := bands(a), bands(b)
	return (qb[0] == cb[0] || qb[1] == cb[1] || qb[2] == cb[2] || qb[3] == cb[3]) &&
		bits.OnesCount64(a^b) <= q.MaxDistance
}

// Item is a stored copy of one feed entry.
type Item struct {
	feeds.Item
	ID        int64
	StoryID   int64
	FeedURL   string // the configured URL of the feed it came from
	FeedTitle string // the outlet's name when it was stored
	Tags      []string
	Hash      string // content hash; a different hash updates the item
	Keys      Keys
	FirstSeen time.Time
}

// StoryQuery selects stories.
type StoryQuery struct {
	Limit int    // at most this many; 0 means all
	Tag   string // only stories with a copy from a feed tagged Tag
}

// Stats counts stored rows.
type Stats struct {
	Feeds, Items, Stories int64
}

// StoryUID returns the stable Atom id of a story first stored from guid in
// the feed at feedURL. Every backend uses it, so a rebuilt database keeps
// the ids readers have seen.
func StoryUID(feedURL, guid string) string {
	h := sha1.Sum([]byte(feedURL + "\x00" + guid))
	h[6] = h[6]&0x0f | 0x50 // version 5
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
