package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

// Feed returns the state of the feed configured at url with its item
// count, or storage.ErrNotFound.
func (db *DB) Feed(ctx context.Context, url string) (storage.Feed, error) {
	if err := db.enter(); err != nil {
		return storage.Feed{}, err
	}
	defer db.leave()
	f, err := sqlstore.ScanFeed(db.db.QueryRowContext(ctx, `SELECT `+sqlstore.FeedCols+` FROM feeds f WHERE f.url = $1`, url))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Feed{}, fmt.Errorf("postgres: feed %s: %w", url, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Feed{}, fmt.Errorf("postgres: feed %s: %w", url, wrap(err))
	}
	return f, nil
}

// Feeds returns the state of every stored feed ordered by URL.
func (db *DB) Feeds(ctx context.Context) ([]storage.Feed, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	fs, err := sqlstore.Feeds(db.db.QueryContext(ctx, `SELECT `+sqlstore.FeedCols+` FROM feeds f ORDER BY f.url COLLATE "C"`))
	if err != nil {
		return nil, fmt.Errorf("postgres: list feeds: %w", wrap(err))
	}
	return fs, nil
}

// pageQuery selects one page of stories, newest first; $1 is the tag or
// NULL, $2 the limit (NULL for all).
const pageQuery = `SELECT s.id, s.uid, s.rep_item_id, s.published, s.updated FROM stories s
	WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM items t WHERE t.story_id = s.id AND t.tags ? $1::text)
	ORDER BY s.published DESC, s.id DESC LIMIT $2`

var (
	storiesQuery = sqlstore.StoriesQuery(pageQuery)
	relatedQuery = sqlstore.RelatedQuery(pageQuery)
)

// Stories returns the newest stories first by their representative's
// publication time, each with its source and the links of its other
// copies (distinct URLs, oldest first).
func (db *DB) Stories(ctx context.Context, q storage.StoryQuery) ([]feeds.Story, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	stories, err := db.stories(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("postgres: list stories: %w", wrap(err))
	}
	return stories, nil
}

func (db *DB) stories(ctx context.Context, q storage.StoryQuery) ([]feeds.Story, error) {
	var tag sql.NullString
	if q.Tag != "" {
		tag = sql.NullString{String: q.Tag, Valid: true}
	}
	var limit sql.NullInt64
	if q.Limit > 0 {
		limit = sql.NullInt64{Int64: int64(q.Limit), Valid: true}
	}
	sqltx, err := db.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer sqltx.Rollback()
	rows, err := sqltx.QueryContext(ctx, storiesQuery, tag, limit)
	if err != nil {
		return nil, err
	}
	return sqlstore.Stories(rows, func() (*sql.Rows, error) {
		return sqltx.QueryContext(ctx, relatedQuery, tag, limit)
	})
}

// Revision returns a number that changes whenever a story is created or
// changed.
func (db *DB) Revision(ctx context.Context) (int64, error) {
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.leave()
	var rev int64
	if err := db.db.QueryRowContext(ctx, `SELECT revision FROM meta WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("postgres: revision: %w", wrap(err))
	}
	return rev, nil
}

// Stats counts stored feeds, items and stories.
func (db *DB) Stats(ctx context.Context) (storage.Stats, error) {
	if err := db.enter(); err != nil {
		return storage.Stats{}, err
	}
	defer db.leave()
	var s storage.Stats
	err := db.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM feeds), (SELECT count(*) FROM items),
		(SELECT count(*) FROM stories)`).Scan(&s.Feeds, &s.Items, &s.Stories)
	if err != nil {
		return storage.Stats{}, fmt.Errorf("postgres: stats: %w", wrap(err))
	}
	return s, nil
}
