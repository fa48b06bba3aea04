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

	// Candidates returns the representative item of every story whose
	// representative was published within [from, to] and whose keys
	// k.Shares. It uses indexes only: its cost does not grow with the
	// number of stories.
	Candidates(ctx context.Context, k Keys, from, to time.Time) ([]Item, error)

	// PutItem inserts it, or updates the stored item with the same
	// (FeedURL, GUID) in place when its Hash differs (keeping its story).
	// A new item with StoryID 0 starts a new story with it as the
	// representative; a new item with a StoryID joins that story and
	// becomes its representative if it was published earlier than the
	// current one, without changing the story's ID. PutItem sets it.ID
	// and it.StoryID, and reports whether anything was written.
	PutItem(ctx context.Context, it *Item) (changed bool, err error)
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
}

// MaxBandDistance is how many of its 64 bits a SimHash found through a
// shared band may differ in for the story to be a candidate. Copies of
// one story differ in a handful of bits; two unrelated texts that share
// one 16-bit band differ in about 24 of the other 48, and in at most 16
// about once in a hundred. Found through the index, such stories would
// each cost a row read and a comparison.
const MaxBandDistance = 16

// Shares reports whether a story whose representative has keys c is a
// candidate for an item with keys k: the same non-empty title key, or a
// 16-bit SimHash band in common and at most MaxBandDistance bits apart.
func (k Keys) Shares(c Keys) bool {
	if k.Title != "" && c.Title == k.Title {
		return true
	}
	kb, cb := k.Bands(), c.Bands()
	return (kb[0] == cb[0] || kb[1] == cb[1] || kb[2] == cb[2] || kb[3] == cb[3]) &&
		bits.OnesCount64(k.SimHash^c.SimHash) <= MaxBandDistance
}

// Bands splits the SimHash into four 16-bit bands, the indexed columns of
// candidate lookup.
func (k Keys) Bands() [4]int64 {
	var b [4]int64
	for i := range b {
		b[i] = int64(k.SimHash >> (16 * i) & 0xffff)
	}
	return b
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
