package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

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
	f, err := sqlstore.ScanFeed(db.read.QueryRowContext(ctx, `SELECT `+sqlstore.FeedCols+` FROM feeds f WHERE f.url = ?`, url))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Feed{}, fmt.Errorf("sqlite: feed %s: %w", url, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Feed{}, fmt.Errorf("sqlite: feed %s: %w", url, wrap(err))
	}
	return f, nil
}

// Feeds returns the state of every stored feed ordered by URL.
func (db *DB) Feeds(ctx context.Context) ([]storage.Feed, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	fs, err := sqlstore.Feeds(db.read.QueryContext(ctx, `SELECT `+sqlstore.FeedCols+` FROM feeds f ORDER BY f.url`))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list feeds: %w", wrap(err))
	}
	return fs, nil
}

// pageQuery selects one page of stories, newest first; ?1 is the tag or
// NULL, ?2 the limit (-1 for all), ?3 a substring every item with the tag
// has in its tags column (see tagFilter).
const pageQuery = `SELECT s.id, s.uid, s.rep_item_id, s.published, s.updated FROM stories s
	WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM items t WHERE t.story_id = s.id AND instr(t.tags, ?3) > 0
		AND EXISTS (SELECT 1 FROM json_each(t.tags) j WHERE j.value = ?1))
	ORDER BY s.published DESC, s.id DESC LIMIT ?2`

// tagFilter returns the text that the JSON tags column of an item tagged
// tag contains (sqlstore.List writes plain strings verbatim between quotes), or ""
// (which every column contains) when tag would be escaped. It spares most
// items the cost of json_each.
func tagFilter(tag string) string {
	if !utf8.ValidString(tag) || strings.ContainsAny(tag, "\"\\\u2028\u2029") {
		return ""
	}
	for _, r := range tag {
		if r < 0x20 {
			return ""
		}
	}
	return `"` + tag + `"`
}

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
		return nil, fmt.Errorf("sqlite: list stories: %w", wrap(err))
	}
	return stories, nil
}

func (db *DB) stories(ctx context.Context, q storage.StoryQuery) ([]feeds.Story, error) {
	var tag any
	if q.Tag != "" {
		tag = q.Tag
	}
	limit := int64(q.Limit)
	if limit <= 0 {
		limit = -1
	}
	sqltx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer sqltx.Rollback()
	rows, err := sqltx.StmtContext(ctx, db.rstmts[stStories]).QueryContext(ctx, tag, limit, tagFilter(q.Tag))
	if err != nil {
		return nil, err
	}
	return sqlstore.Stories(rows, func() (*sql.Rows, error) {
		return sqltx.StmtContext(ctx, db.rstmts[stRelated]).QueryContext(ctx, tag, limit, tagFilter(q.Tag))
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
	if err := db.rstmts[stRevision].QueryRowContext(ctx).Scan(&rev); err != nil {
		return 0, fmt.Errorf("sqlite: revision: %w", wrap(err))
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
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM feeds), (SELECT count(*) FROM items),
		(SELECT count(*) FROM stories)`).Scan(&s.Feeds, &s.Items, &s.Stories)
	if err != nil {
		return storage.Stats{}, fmt.Errorf("sqlite: stats: %w", wrap(err))
	}
	return s, nil
}
