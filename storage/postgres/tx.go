package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

// pgx prepares and caches each statement per connection on first use.
const (
	qItemState   = `SELECT id, story_id, hash, first_seen FROM items WHERE feed_url = $1 AND guid = $2`
	qItemsByURL  = `SELECT ` + sqlstore.ItemCols + ` FROM items i WHERE i.url_key = $1 ORDER BY i.published, i.id`
	qItemsByGUID = `SELECT ` + sqlstore.ItemCols + ` FROM items i WHERE i.feed_url = $1
		AND i.guid IN (SELECT jsonb_array_elements_text($2::jsonb))`
	// Five indexed lookups, one per band and one by title key.
	qCandidates = `SELECT ` + sqlstore.ItemCols + ` FROM items i WHERE i.id IN (
		SELECT rep_item_id FROM stories WHERE band0 = $1 AND published BETWEEN $6 AND $7
		UNION SELECT rep_item_id FROM stories WHERE band1 = $2 AND published BETWEEN $6 AND $7
		UNION SELECT rep_item_id FROM stories WHERE band2 = $3 AND published BETWEEN $6 AND $7
		UNION SELECT rep_item_id FROM stories WHERE band3 = $4 AND published BETWEEN $6 AND $7
		UNION SELECT rep_item_id FROM stories WHERE title_key = $5 AND published BETWEEN $6 AND $7
	) ORDER BY i.published, i.id`
	// A new story takes the ID of its first item from the items
	// sequence, so the item is inserted after it in one round trip each.
	qInsertStory = `INSERT INTO stories (rep_item_id, uid, published, updated, url_key, title_key,
		band0, band1, band2, band3, simhash)
		VALUES (nextval(pg_get_serial_sequence('items', 'id')), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		RETURNING id, rep_item_id`
	qInsertItem = `INSERT INTO items (id, story_id, feed_url, guid, url, url_key, title, summary, content, author, lang,
		categories, tags, hash, title_key, simhash, published, updated, first_seen, feed_title, title_derived)
		VALUES (coalesce($1, nextval(pg_get_serial_sequence('items', 'id'))), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		RETURNING id`
	qStory      = `SELECT published, updated FROM stories WHERE id = $1`
	qStoryTouch = `UPDATE stories SET updated = greatest(updated, $1) WHERE id = $2 RETURNING published`
	qStoryRep   = `UPDATE stories SET rep_item_id = $1, published = $2, updated = greatest(updated, $3), url_key = $4,
		title_key = $5, band0 = $6, band1 = $7, band2 = $8, band3 = $9, simhash = $10 WHERE id = $11`
	qUpdateItem = `UPDATE items SET url = $1, url_key = $2, title = $3, summary = $4, content = $5, author = $6,
		lang = $7, categories = $8, tags = $9, hash = $10, title_key = $11, simhash = $12, published = $13,
		updated = $14, feed_title = $15, title_derived = $16 WHERE id = $17`
	qFirstItem = `SELECT id, published, url_key, title_key, simhash FROM items WHERE story_id = $1
		ORDER BY published, id LIMIT 1`
	qPutFeed = `INSERT INTO feeds (url, fetch_url, title, site_url, etag, last_modified, body_hash, state,
		http_status, errors, last_error, last_fetch, last_success, next_poll)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (url) DO UPDATE SET fetch_url = excluded.fetch_url, title = excluded.title,
		site_url = excluded.site_url, etag = excluded.etag, last_modified = excluded.last_modified,
		body_hash = excluded.body_hash, state = excluded.state, http_status = excluded.http_status,
		errors = excluded.errors, last_error = excluded.last_error, last_fetch = excluded.last_fetch,
		last_success = excluded.last_success, next_poll = excluded.next_poll`
)

// tx implements storage.Tx on one SQL transaction.
type tx struct {
	tx    *sql.Tx
	now   time.Time
	dirty bool // a story changed: bump the revision before commit
}

func (t *tx) PutFeed(ctx context.Context, f storage.Feed) error {
	if f.URL == "" {
		return errors.New("postgres: save feed: empty URL")
	}
	_, err := t.tx.ExecContext(ctx, qPutFeed, sqlstore.FeedArgs(f)...)
	if err != nil {
		return fmt.Errorf("postgres: save feed %s: %w", f.URL, wrap(err))
	}
	return nil
}

func (t *tx) ItemsByGUID(ctx context.Context, feedURL string, guids []string) (map[string]storage.Item, error) {
	list, err := sqlstore.GUIDList(guids)
	if err != nil {
		return nil, fmt.Errorf("postgres: items of %s: %w", feedURL, err)
	}
	items, err := sqlstore.ByGUID(t.tx.QueryContext(ctx, qItemsByGUID, feedURL, list))
	if err != nil {
		return nil, fmt.Errorf("postgres: items of %s: %w", feedURL, wrap(err))
	}
	return items, nil
}

func (t *tx) ItemsByURL(ctx context.Context, canonicalURL string) ([]storage.Item, error) {
	if canonicalURL == "" {
		return nil, nil
	}
	items, err := sqlstore.Items(t.tx.QueryContext(ctx, qItemsByURL, canonicalURL))
	if err != nil {
		return nil, fmt.Errorf("postgres: items by URL %s: %w", canonicalURL, wrap(err))
	}
	return items, nil
}

func (t *tx) Candidates(ctx context.Context, k storage.Keys, from, to time.Time) ([]storage.Item, error) {
	b := k.Bands()
	var title sql.NullString // NULL matches no story: an empty title key is no evidence
	if k.Title != "" {
		title = sql.NullString{String: k.Title, Valid: true}
	}
	items, err := sqlstore.Items(t.tx.QueryContext(ctx, qCandidates, b[0], b[1], b[2], b[3], title,
		sqlstore.Nanos(from), sqlstore.Nanos(to)))
	if err != nil {
		return nil, fmt.Errorf("postgres: candidates for %q: %w", k.Title, wrap(err))
	}
	return sqlstore.Sharing(items, k), nil
}

func (t *tx) PutItem(ctx context.Context, it *storage.Item) (bool, error) {
	if it.FeedURL == "" || it.GUID == "" {
		return false, fmt.Errorf("postgres: save item %q of %q: empty feed URL or GUID", it.GUID, it.FeedURL)
	}
	changed, err := t.putItem(ctx, it)
	if err != nil {
		return false, fmt.Errorf("postgres: save item %s: %w", it.GUID, wrap(err))
	}
	return changed, nil
}

func (t *tx) putItem(ctx context.Context, it *storage.Item) (bool, error) {
	var id, storyID, firstSeen int64
	var hash string
	err := t.tx.QueryRowContext(ctx, qItemState, it.FeedURL, it.GUID).Scan(&id, &storyID, &hash, &firstSeen)
	switch {
	case err == nil:
		it.ID, it.StoryID, it.FirstSeen = id, storyID, sqlstore.Time(firstSeen)
		if hash == it.Hash {
			return false, nil
		}
		return true, t.change(ctx, it)
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	if it.FirstSeen.IsZero() {
		it.FirstSeen = t.now
	}
	pub := sqlstore.Nanos(it.Published)
	b := it.Keys.Bands()
	if it.StoryID == 0 {
		var sid, iid int64
		err := t.tx.QueryRowContext(ctx, qInsertStory, storage.StoryUID(it.FeedURL, it.GUID),
			pub, max(pub, sqlstore.Nanos(it.Updated)), it.Keys.URL, it.Keys.Title, b[0], b[1], b[2], b[3],
			int64(it.Keys.SimHash)).Scan(&sid, &iid)
		if err != nil {
			return false, fmt.Errorf("new story: %w", err)
		}
		if err := t.insertItem(ctx, it, sql.NullInt64{Int64: iid, Valid: true}, sid); err != nil {
			return false, err
		}
		it.StoryID = sid
		t.dirty = true
		return true, nil
	}
	upd := max(pub, sqlstore.Nanos(it.Updated), sqlstore.Nanos(t.now))
	var spub int64
	err = t.tx.QueryRowContext(ctx, qStoryTouch, upd, it.StoryID).Scan(&spub)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("story %d: %w", it.StoryID, storage.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("join story %d: %w", it.StoryID, err)
	}
	if err := t.insertItem(ctx, it, sql.NullInt64{}, it.StoryID); err != nil {
		return false, err
	}
	if pub < spub {
		_, err = t.tx.ExecContext(ctx, qStoryRep, it.ID, pub, upd, it.Keys.URL, it.Keys.Title,
			b[0], b[1], b[2], b[3], int64(it.Keys.SimHash), it.StoryID)
		if err != nil {
			return false, fmt.Errorf("join story %d: %w", it.StoryID, err)
		}
	}
	t.dirty = true
	return true, nil
}

// insertItem inserts it into story storyID with the given ID (NULL for the
// next of the sequence) and sets it.ID.
func (t *tx) insertItem(ctx context.Context, it *storage.Item, id sql.NullInt64, storyID int64) error {
	return t.tx.QueryRowContext(ctx, qInsertItem, id, storyID, it.FeedURL, it.GUID, it.URL, it.Keys.URL,
		it.Title, it.Summary, it.Content, it.Author, it.Lang, sqlstore.List(it.Categories), sqlstore.List(it.Tags),
		it.Hash, it.Keys.Title, int64(it.Keys.SimHash), sqlstore.Nanos(it.Published), sqlstore.Nanos(it.Updated),
		sqlstore.Nanos(it.FirstSeen), it.FeedTitle, it.TitleDerived).Scan(&it.ID)
}

// change rewrites the stored item it.ID in place and makes the story's
// earliest item its representative again.
func (t *tx) change(ctx context.Context, it *storage.Item) error {
	_, err := t.tx.ExecContext(ctx, qUpdateItem, it.URL, it.Keys.URL, it.Title, it.Summary, it.Content,
		it.Author, it.Lang, sqlstore.List(it.Categories), sqlstore.List(it.Tags), it.Hash, it.Keys.Title,
		int64(it.Keys.SimHash), sqlstore.Nanos(it.Published), sqlstore.Nanos(it.Updated), it.FeedTitle, it.TitleDerived, it.ID)
	if err != nil {
		return err
	}
	var rep, pub, simhash int64
	var urlKey, titleKey string
	if err := t.tx.QueryRowContext(ctx, qFirstItem, it.StoryID).Scan(&rep, &pub, &urlKey, &titleKey, &simhash); err != nil {
		return fmt.Errorf("representative of story %d: %w", it.StoryID, err)
	}
	b := storage.Keys{SimHash: uint64(simhash)}.Bands()
	upd := max(sqlstore.Nanos(it.Published), sqlstore.Nanos(it.Updated), sqlstore.Nanos(t.now))
	if _, err := t.tx.ExecContext(ctx, qStoryRep, rep, pub, upd, urlKey, titleKey,
		b[0], b[1], b[2], b[3], simhash, it.StoryID); err != nil {
		return fmt.Errorf("update story %d: %w", it.StoryID, err)
	}
	t.dirty = true
	return nil
}
