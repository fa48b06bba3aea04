package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// Reader answers the reads of storage.Store (View, Feed, Feeds, Stories,
// Revision, Stats) for a SQL backend, which embeds it.
type Reader struct {
	// Now returns the current time; nil means time.Now. It stamps a
	// story's Updated when an item joins or changes it, and FirstSeen of
	// new items that have none. Set it before the first call.
	Now func() time.Time

	Dialect *Dialect
	Pool    *sql.DB        // connections to read on
	Stmts   *Statements    // prepared on Pool, or not at all
	ReadTx  *sql.TxOptions // options of read transactions (View, Stories)
	Gate    Gate           // running calls; the backend's Close waits for them

	// Index, if set, returns the Index of a read transaction begun at
	// now.
	Index func(tx *sql.Tx, now time.Time) Index
}

// Time returns the current time by Now.
func (r *Reader) Time() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// View runs fn in a read transaction that is always rolled back. Write
// methods of the Tx fail.
func (r *Reader) View(ctx context.Context, fn func(storage.Tx) error) error {
	if err := r.Enter(); err != nil {
		return err
	}
	defer r.Leave()
	sqltx, err := r.Pool.BeginTx(ctx, r.ReadTx)
	if err != nil {
		return r.Dialect.errorf(err, "begin")
	}
	run := r.Stmts.On(sqltx)
	defer run.Close()
	defer sqltx.Rollback()
	t := &Tx{Dialect: r.Dialect, Run: run, Now: r.Time()}
	if r.Index != nil {
		t.Index = r.Index(sqltx, t.Now)
	}
	return fn(t)
}

// Enter registers a running call, or fails once the store is closed. A
// call that entered must Leave.
func (r *Reader) Enter() error {
	if !r.Gate.Enter() {
		return fmt.Errorf("%s: database is closed", r.Dialect.Name)
	}
	return nil
}

// Leave ends a call registered by Enter.
func (r *Reader) Leave() { r.Gate.Leave() }

// errorf returns the error of doing what, with err classified and
// wrapped last.
func (d *Dialect) errorf(err error, what string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", d.Name, fmt.Sprintf(what, args...), d.wrap(err))
}

// Feed returns the state of the feed configured at url with its item
// count, or an error matching storage.ErrNotFound.
func (r *Reader) Feed(ctx context.Context, url string) (storage.Feed, error) {
	if err := r.Enter(); err != nil {
		return storage.Feed{}, err
	}
	defer r.Leave()
	f, err := ScanFeed(r.Stmts.On(r.Pool).QueryRow(ctx, StFeed, url))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Feed{}, fmt.Errorf("%s: feed %s: %w", r.Dialect.Name, url, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Feed{}, r.Dialect.errorf(err, "feed %s", url)
	}
	return f, nil
}

// Feeds returns the state of every stored feed ordered by the bytes of
// their URLs.
func (r *Reader) Feeds(ctx context.Context) ([]storage.Feed, error) {
	if err := r.Enter(); err != nil {
		return nil, err
	}
	defer r.Leave()
	fs, err := Feeds(r.Stmts.On(r.Pool).Query(ctx, StFeeds))
	if err != nil {
		return nil, r.Dialect.errorf(err, "list feeds")
	}
	return fs, nil
}

// Stories returns the newest stories first by their representative's
// publication time, each with its source and the links of its other
// copies (distinct URLs, oldest first).
func (r *Reader) Stories(ctx context.Context, q storage.StoryQuery) ([]feeds.Story, error) {
	if err := r.Enter(); err != nil {
		return nil, err
	}
	defer r.Leave()
	stories, err := r.stories(ctx, q)
	if err != nil {
		return nil, r.Dialect.errorf(err, "list stories")
	}
	return stories, nil
}

func (r *Reader) stories(ctx context.Context, q storage.StoryQuery) ([]feeds.Story, error) {
	args := r.Dialect.PageArgs(q.Tag, q.Limit)
	sqltx, err := r.Pool.BeginTx(ctx, r.ReadTx)
	if err != nil {
		return nil, err
	}
	defer sqltx.Rollback()
	run := r.Stmts.On(sqltx)
	defer run.Close()
	rows, err := run.Query(ctx, StStories, args...)
	if err != nil {
		return nil, err
	}
	return Stories(rows, func() (*sql.Rows, error) { return run.Query(ctx, StRelated, args...) })
}

// Revision returns a number that changes whenever a story is created or
// changed.
func (r *Reader) Revision(ctx context.Context) (int64, error) {
	if err := r.Enter(); err != nil {
		return 0, err
	}
	defer r.Leave()
	var rev int64
	if err := r.Stmts.On(r.Pool).QueryRow(ctx, StRevision).Scan(&rev); err != nil {
		return 0, r.Dialect.errorf(err, "revision")
	}
	return rev, nil
}

// Stats counts stored feeds, items and stories.
func (r *Reader) Stats(ctx context.Context) (storage.Stats, error) {
	if err := r.Enter(); err != nil {
		return storage.Stats{}, err
	}
	defer r.Leave()
	var s storage.Stats
	if err := r.Stmts.On(r.Pool).QueryRow(ctx, StStats).Scan(&s.Feeds, &s.Items, &s.Stories); err != nil {
		return storage.Stats{}, r.Dialect.errorf(err, "stats")
	}
	return s, nil
}
