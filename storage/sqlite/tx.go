package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

// Statements prepared once per DB on each pool.
const (
	stItemState = iota
	stItemsByURL
	stItemsByGUID
	stCandidates
	stInsertStory
	stInsertItem
	stNextIDs
	stStory
	stStoryRep
	stStoryTouch
	stStoryRepItem
	stUpdateItem
	stFirstItem
	stPutFeed
	stBump
	stRevision
	stStories
	stRelated
	numStmts
)

var queries = [numStmts]string{
	stItemState:  `SELECT id, story_id, hash, first_seen FROM items WHERE feed_url = ? AND guid = ?`,
	stItemsByURL: `SELECT ` + sqlstore.ItemCols + ` FROM items i WHERE i.url_key = ? ORDER BY i.published, i.id`,
	stItemsByGUID: `SELECT ` + sqlstore.ItemCols + ` FROM items i WHERE i.feed_url = ?
		AND i.guid IN (SELECT value FROM json_each(?))`,
	// Five indexed lookups, one per band and one by title key; the
	// window applies to each so every lookup is a range of one index.
	stCandidates: `SELECT ` + sqlstore.ItemCols + ` FROM items i WHERE i.id IN (
		SELECT s0.rep_item_id FROM stories s0 WHERE s0.band0 = ?1 AND s0.published BETWEEN ?6 AND ?7
		UNION ALL SELECT s1.rep_item_id FROM stories s1 WHERE s1.band1 = ?2 AND s1.published BETWEEN ?6 AND ?7
		UNION ALL SELECT s2.rep_item_id FROM stories s2 WHERE s2.band2 = ?3 AND s2.published BETWEEN ?6 AND ?7
		UNION ALL SELECT s3.rep_item_id FROM stories s3 WHERE s3.band3 = ?4 AND s3.published BETWEEN ?6 AND ?7
		UNION ALL SELECT s4.rep_item_id FROM stories s4 WHERE s4.title_key = ?5 AND s4.published BETWEEN ?6 AND ?7
	) ORDER BY i.published, i.id`,
	stInsertStory: `INSERT INTO stories (id, rep_item_id, uid, published, updated, url_key, title_key,
		band0, band1, band2, band3, simhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	stInsertItem: `INSERT INTO items (id, story_id, feed_url, guid, url, url_key, title, summary, content, author, lang,
		categories, tags, hash, title_key, simhash, published, updated, first_seen, feed_title, title_derived)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (feed_url, guid) DO NOTHING`,
	stNextIDs: `SELECT (SELECT coalesce(max(id), 0) + 1 FROM items), (SELECT coalesce(max(id), 0) + 1 FROM stories)`,
	stStory:   `SELECT published, updated, simhash FROM stories WHERE id = ?`,
	stStoryRep: `UPDATE stories SET rep_item_id = ?, published = ?, updated = max(updated, ?), url_key = ?, title_key = ?,
		band0 = ?, band1 = ?, band2 = ?, band3 = ?, simhash = ? WHERE id = ?`,
	stStoryTouch:   `UPDATE stories SET updated = max(updated, ?) WHERE id = ? RETURNING published, simhash`,
	stStoryRepItem: `SELECT ` + sqlstore.ItemCols + ` FROM stories s JOIN items i ON i.id = s.rep_item_id WHERE s.id = ?`,
	stUpdateItem: `UPDATE items SET url = ?, url_key = ?, title = ?, summary = ?, content = ?, author = ?, lang = ?,
		categories = ?, tags = ?, hash = ?, title_key = ?, simhash = ?, published = ?, updated = ?, feed_title = ?,
		title_derived = ? WHERE id = ?`,
	stFirstItem: `SELECT id, published, url_key, title_key, simhash FROM items WHERE story_id = ?
		ORDER BY published, id LIMIT 1`,
	stPutFeed: `INSERT INTO feeds (url, fetch_url, title, site_url, etag, last_modified, body_hash, state,
		http_status, errors, last_error, last_fetch, last_success, next_poll)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET fetch_url = excluded.fetch_url, title = excluded.title,
		site_url = excluded.site_url, etag = excluded.etag, last_modified = excluded.last_modified,
		body_hash = excluded.body_hash, state = excluded.state, http_status = excluded.http_status,
		errors = excluded.errors, last_error = excluded.last_error, last_fetch = excluded.last_fetch,
		last_success = excluded.last_success, next_poll = excluded.next_poll`,
	stBump:     `UPDATE meta SET revision = revision + 1 WHERE id = 1 RETURNING revision`,
	stRevision: `SELECT revision FROM meta WHERE id = 1`,
	stStories:  storiesQuery,
	stRelated:  relatedQuery,
}

// tx implements storage.Tx on one SQL transaction: for Update, the
// writer connection in a transaction (tx nil, statements used as they are);
// for View, a read transaction (statements bound to tx on first use).
type tx struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context // for statements
	stmts *[numStmts]*sql.Stmt
	used  [numStmts]*sql.Stmt
	now   time.Time
	dirty bool // a story changed: bump the revision before commit

	changes []windowChange // stories written, for the window index after commit
	aborted error          // the writer's transaction was lost; every call of its group fails
	snap    int64          // a read transaction's revision plus one; 0 until read

	// The IDs the next new item and story get. Update holds the
	// database's write lock for the whole transaction, so PutItem picks
	// them itself instead of reading them back after each insert.
	nextItem, nextStory int64
}

func (t *tx) stmt(i int) *sql.Stmt {
	if t.tx == nil {
		return t.stmts[i]
	}
	if t.used[i] == nil {
		t.used[i] = t.tx.StmtContext(t.ctx, t.stmts[i])
	}
	return t.used[i]
}

func (t *tx) close() {
	for _, s := range t.used {
		if s != nil {
			s.Close()
		}
	}
}

func (t *tx) PutFeed(ctx context.Context, f storage.Feed) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: save feed %s: %w", f.URL, err)
	}
	ctx = t.ctx
	if f.URL == "" {
		return errors.New("sqlite: save feed: empty URL")
	}
	_, err := t.stmt(stPutFeed).ExecContext(ctx, sqlstore.FeedArgs(f)...)
	if err != nil {
		return fmt.Errorf("sqlite: save feed %s: %w", f.URL, wrap(err))
	}
	return nil
}

func (t *tx) ItemsByGUID(ctx context.Context, feedURL string, guids []string) (map[string]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: items of %s: %w", feedURL, err)
	}
	list, err := sqlstore.GUIDList(guids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: items of %s: %w", feedURL, err)
	}
	items, err := sqlstore.ByGUID(t.stmt(stItemsByGUID).QueryContext(t.ctx, feedURL, list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: items of %s: %w", feedURL, wrap(err))
	}
	return items, nil
}

func (t *tx) ItemsByURL(ctx context.Context, canonicalURL string) ([]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: items by URL %s: %w", canonicalURL, err)
	}
	ctx = t.ctx
	if canonicalURL == "" {
		return nil, nil
	}
	items, err := sqlstore.Items(t.stmt(stItemsByURL).QueryContext(ctx, canonicalURL))
	if err != nil {
		return nil, fmt.Errorf("sqlite: items by URL %s: %w", canonicalURL, wrap(err))
	}
	return items, nil
}

func (t *tx) Candidates(ctx context.Context, k storage.Keys, from, to time.Time) ([]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: candidates for %q: %w", k.Title, err)
	}
	var items []storage.Item
	ok := false
	var err error
	if t.tx != nil {
		items, ok, err = t.windowCandidates(k, from, to)
	}
	if !ok && err == nil {
		items, err = t.sqlCandidates(k, from, to)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: candidates for %q: %w", k.Title, wrap(err))
	}
	return items, nil
}

// sqlCandidates looks candidates up in the stories' band and title
// indexes.
func (t *tx) sqlCandidates(k storage.Keys, from, to time.Time) ([]storage.Item, error) {
	b := k.Bands()
	var title any // NULL matches no story: an empty title key is no evidence
	if k.Title != "" {
		title = k.Title
	}
	items, err := sqlstore.Items(t.stmt(stCandidates).QueryContext(t.ctx, b[0], b[1], b[2], b[3], title,
		sqlstore.Nanos(from), sqlstore.Nanos(to)))
	return sqlstore.Sharing(items, k), err
}

func (t *tx) PutItem(ctx context.Context, it *storage.Item) (bool, error) {
	if it.FeedURL == "" || it.GUID == "" {
		return false, fmt.Errorf("sqlite: save item %q of %q: empty feed URL or GUID", it.GUID, it.FeedURL)
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("sqlite: save item %s: %w", it.GUID, err)
	}
	changed, err := t.putItem(t.ctx, it)
	if err != nil {
		return false, fmt.Errorf("sqlite: save item %s: %w", it.GUID, wrap(err))
	}
	return changed, nil
}

func (t *tx) putItem(ctx context.Context, it *storage.Item) (bool, error) {
	if t.nextItem == 0 {
		if err := t.stmt(stNextIDs).QueryRowContext(ctx).Scan(&t.nextItem, &t.nextStory); err != nil {
			return false, fmt.Errorf("next IDs: %w", err)
		}
	}
	if it.FirstSeen.IsZero() {
		it.FirstSeen = t.now
	}
	// New items are the common case: insert first, and look the item up
	// only if the feed already has its GUID. The item goes before its
	// story: the foreign key is checked at commit, and a failed call
	// leaves nothing behind.
	id, sid := t.nextItem, it.StoryID
	if sid == 0 {
		sid = t.nextStory
	}
	inserted, err := t.insertItem(ctx, it, id, sid)
	if err != nil {
		return false, err
	}
	if !inserted {
		return t.stored(ctx, it)
	}
	t.nextItem++
	it.ID = id
	t.dirty = true
	pub := sqlstore.Nanos(it.Published)
	b := it.Keys.Bands()
	if it.StoryID == 0 {
		_, err := t.stmt(stInsertStory).ExecContext(ctx, sid, id, storage.StoryUID(it.FeedURL, it.GUID),
			pub, max(pub, sqlstore.Nanos(it.Updated)), it.Keys.URL, it.Keys.Title, b[0], b[1], b[2], b[3], int64(it.Keys.SimHash))
		if err != nil {
			return false, fmt.Errorf("new story: %w", err)
		}
		t.nextStory++
		it.StoryID = sid
		t.changes = append(t.changes, windowChange{entry: windowEntry{story: sid, published: pub,
			simhash: it.Keys.SimHash, title: titleHash(it.Keys.Title)}})
		return true, nil
	}
	upd := max(pub, sqlstore.Nanos(it.Updated), sqlstore.Nanos(t.now))
	var spub, shash int64
	err = t.stmt(stStoryTouch).QueryRowContext(ctx, upd, it.StoryID).Scan(&spub, &shash)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("story %d: %w", it.StoryID, storage.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("join story %d: %w", it.StoryID, err)
	}
	if pub < spub {
		_, err = t.stmt(stStoryRep).ExecContext(ctx, it.ID, pub, upd, it.Keys.URL, it.Keys.Title,
			b[0], b[1], b[2], b[3], int64(it.Keys.SimHash), it.StoryID)
		if err != nil {
			return false, fmt.Errorf("join story %d: %w", it.StoryID, err)
		}
		t.changes = append(t.changes, windowChange{changed: true, oldHash: uint64(shash), entry: windowEntry{
			story: it.StoryID, published: pub, simhash: it.Keys.SimHash, title: titleHash(it.Keys.Title)}})
	}
	return true, nil
}

// stored handles PutItem of an item the feed already has: unchanged, or
// rewritten in place in its story.
func (t *tx) stored(ctx context.Context, it *storage.Item) (bool, error) {
	var id, storyID, firstSeen int64
	var hash string
	err := t.stmt(stItemState).QueryRowContext(ctx, it.FeedURL, it.GUID).Scan(&id, &storyID, &hash, &firstSeen)
	if err != nil {
		return false, fmt.Errorf("stored item: %w", err)
	}
	it.ID, it.StoryID, it.FirstSeen = id, storyID, sqlstore.Time(firstSeen)
	if hash == it.Hash {
		return false, nil
	}
	return true, t.change(ctx, it)
}

// insertItem inserts it as item id of story storyID unless the feed
// already has its GUID, and reports whether it did.
func (t *tx) insertItem(ctx context.Context, it *storage.Item, id, storyID int64) (bool, error) {
	res, err := t.stmt(stInsertItem).ExecContext(ctx, id, storyID, it.FeedURL, it.GUID, it.URL, it.Keys.URL,
		it.Title, it.Summary, it.Content, it.Author, it.Lang, sqlstore.List(it.Categories), sqlstore.List(it.Tags),
		it.Hash, it.Keys.Title, int64(it.Keys.SimHash), sqlstore.Nanos(it.Published), sqlstore.Nanos(it.Updated),
		sqlstore.Nanos(it.FirstSeen), it.FeedTitle, it.TitleDerived)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// change rewrites the stored item it.ID in place and makes the story's
// earliest item its representative again.
func (t *tx) change(ctx context.Context, it *storage.Item) error {
	_, err := t.stmt(stUpdateItem).ExecContext(ctx, it.URL, it.Keys.URL, it.Title, it.Summary, it.Content,
		it.Author, it.Lang, sqlstore.List(it.Categories), sqlstore.List(it.Tags), it.Hash, it.Keys.Title,
		int64(it.Keys.SimHash), sqlstore.Nanos(it.Published), sqlstore.Nanos(it.Updated), it.FeedTitle, it.TitleDerived, it.ID)
	if err != nil {
		return err
	}
	var rep, pub, simhash int64
	var urlKey, titleKey string
	if err := t.stmt(stFirstItem).QueryRowContext(ctx, it.StoryID).Scan(&rep, &pub, &urlKey, &titleKey, &simhash); err != nil {
		return fmt.Errorf("representative of story %d: %w", it.StoryID, err)
	}
	var spub, supd, shash int64
	if err := t.stmt(stStory).QueryRowContext(ctx, it.StoryID).Scan(&spub, &supd, &shash); err != nil {
		return fmt.Errorf("story %d: %w", it.StoryID, err)
	}
	b := storage.Keys{SimHash: uint64(simhash)}.Bands()
	upd := max(supd, sqlstore.Nanos(it.Published), sqlstore.Nanos(it.Updated), sqlstore.Nanos(t.now))
	if _, err := t.stmt(stStoryRep).ExecContext(ctx, rep, pub, upd, urlKey, titleKey,
		b[0], b[1], b[2], b[3], simhash, it.StoryID); err != nil {
		return fmt.Errorf("update story %d: %w", it.StoryID, err)
	}
	t.changes = append(t.changes, windowChange{changed: true, oldHash: uint64(shash), entry: windowEntry{
		story: it.StoryID, published: pub, simhash: uint64(simhash), title: titleHash(titleKey)}})
	t.dirty = true
	return nil
}
