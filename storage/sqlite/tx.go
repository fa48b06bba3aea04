package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// Statements prepared once per DB on each pool.
const (
	stItem = iota
	stItemState
	stItemsByURL
	stCandidates
	stInsertStory
	stInsertItem
	stNextIDs
	stStory
	stStoryRep
	stStoryTouch
	stUpdateItem
	stFirstItem
	stPutFeed
	stBump
	stRevision
	stStories
	stRelated
	numStmts
)

const itemCols = `i.id, i.story_id, i.feed_url, i.guid, i.url, i.url_key, i.title, i.summary, i.content,
	i.author, i.lang, i.categories, i.tags, i.hash, i.title_key, i.simhash, i.published, i.updated,
	i.first_seen, i.feed_title`

var queries = [numStmts]string{
	stItem:       `SELECT ` + itemCols + ` FROM items i WHERE i.feed_url = ? AND i.guid = ?`,
	stItemState:  `SELECT id, story_id, hash, first_seen FROM items WHERE feed_url = ? AND guid = ?`,
	stItemsByURL: `SELECT ` + itemCols + ` FROM items i WHERE i.url_key = ? ORDER BY i.published, i.id`,
	// Five indexed lookups, one per band and one by title key; the
	// window applies to each so every lookup is a range of one index.
	stCandidates: `SELECT ` + itemCols + ` FROM items i WHERE i.id IN (
		SELECT s0.rep_item_id FROM stories s0 WHERE s0.band0 = ?1 AND s0.published BETWEEN ?6 AND ?7
		UNION ALL SELECT s1.rep_item_id FROM stories s1 WHERE s1.band1 = ?2 AND s1.published BETWEEN ?6 AND ?7
		UNION ALL SELECT s2.rep_item_id FROM stories s2 WHERE s2.band2 = ?3 AND s2.published BETWEEN ?6 AND ?7
		UNION ALL SELECT s3.rep_item_id FROM stories s3 WHERE s3.band3 = ?4 AND s3.published BETWEEN ?6 AND ?7
		UNION ALL SELECT s4.rep_item_id FROM stories s4 WHERE s4.title_key = ?5 AND s4.published BETWEEN ?6 AND ?7
	) ORDER BY i.published, i.id`,
	stInsertStory: `INSERT INTO stories (id, rep_item_id, uid, published, updated, url_key, title_key,
		band0, band1, band2, band3, simhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	stInsertItem: `INSERT INTO items (id, story_id, feed_url, guid, url, url_key, title, summary, content, author, lang,
		categories, tags, hash, title_key, simhash, published, updated, first_seen, feed_title)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	stNextIDs: `SELECT (SELECT coalesce(max(id), 0) + 1 FROM items), (SELECT coalesce(max(id), 0) + 1 FROM stories)`,
	stStory:   `SELECT published, updated FROM stories WHERE id = ?`,
	stStoryRep: `UPDATE stories SET rep_item_id = ?, published = ?, updated = max(updated, ?), url_key = ?, title_key = ?,
		band0 = ?, band1 = ?, band2 = ?, band3 = ?, simhash = ? WHERE id = ?`,
	stStoryTouch: `UPDATE stories SET updated = max(updated, ?) WHERE id = ? RETURNING published`,
	stUpdateItem: `UPDATE items SET url = ?, url_key = ?, title = ?, summary = ?, content = ?, author = ?, lang = ?,
		categories = ?, tags = ?, hash = ?, title_key = ?, simhash = ?, published = ?, updated = ?, feed_title = ?
		WHERE id = ?`,
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
	stBump:     `UPDATE meta SET revision = revision + 1 WHERE id = 1`,
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
	state := f.State
	if state == "" {
		state = storage.StateNew
	}
	_, err := t.stmt(stPutFeed).ExecContext(ctx, f.URL, f.FetchURL, f.Title, f.SiteURL, f.ETag,
		f.LastModified, f.BodyHash, state, f.HTTPStatus, f.Errors, f.LastError,
		nanos(f.LastFetch), nanos(f.LastSuccess), nanos(f.NextPoll))
	if err != nil {
		return fmt.Errorf("sqlite: save feed %s: %w", f.URL, wrap(err))
	}
	return nil
}

func (t *tx) Item(ctx context.Context, feedURL, guid string) (storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return storage.Item{}, fmt.Errorf("sqlite: item %s of %s: %w", guid, feedURL, err)
	}
	ctx = t.ctx
	it, err := scanItem(t.stmt(stItem).QueryRowContext(ctx, feedURL, guid))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Item{}, fmt.Errorf("sqlite: item %s of %s: %w", guid, feedURL, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Item{}, fmt.Errorf("sqlite: item %s of %s: %w", guid, feedURL, wrap(err))
	}
	return it, nil
}

func (t *tx) ItemsByURL(ctx context.Context, canonicalURL string) ([]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: items by URL %s: %w", canonicalURL, err)
	}
	ctx = t.ctx
	if canonicalURL == "" {
		return nil, nil
	}
	items, err := queryItems(ctx, t.stmt(stItemsByURL), canonicalURL)
	if err != nil {
		return nil, fmt.Errorf("sqlite: items by URL %s: %w", canonicalURL, err)
	}
	return items, nil
}

func (t *tx) Candidates(ctx context.Context, k storage.Keys, from, to time.Time) ([]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: candidates for %q: %w", k.Title, err)
	}
	ctx = t.ctx
	b := k.Bands()
	var title any // NULL matches no story: an empty title key is no evidence
	if k.Title != "" {
		title = k.Title
	}
	items, err := queryItems(ctx, t.stmt(stCandidates), b[0], b[1], b[2], b[3], title, nanos(from), nanos(to))
	if err != nil {
		return nil, fmt.Errorf("sqlite: candidates for %q: %w", k.Title, err)
	}
	return items, nil
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
	var id, storyID, firstSeen int64
	var hash string
	err := t.stmt(stItemState).QueryRowContext(ctx, it.FeedURL, it.GUID).Scan(&id, &storyID, &hash, &firstSeen)
	switch {
	case err == nil:
		it.ID, it.StoryID, it.FirstSeen = id, storyID, unnanos(firstSeen)
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
	if t.nextItem == 0 {
		if err := t.stmt(stNextIDs).QueryRowContext(ctx).Scan(&t.nextItem, &t.nextStory); err != nil {
			return false, fmt.Errorf("next IDs: %w", err)
		}
	}
	pub := nanos(it.Published)
	b := it.Keys.Bands()
	if it.StoryID == 0 {
		// The item goes first: the foreign key to its story is checked
		// at commit, and a failed insert leaves nothing behind.
		id, sid := t.nextItem, t.nextStory
		if err := t.insertItem(ctx, it, id, sid); err != nil {
			return false, err
		}
		_, err := t.stmt(stInsertStory).ExecContext(ctx, sid, id, storage.StoryUID(it.FeedURL, it.GUID),
			pub, max(pub, nanos(it.Updated)), it.Keys.URL, it.Keys.Title, b[0], b[1], b[2], b[3], int64(it.Keys.SimHash))
		if err != nil {
			return false, fmt.Errorf("new story: %w", err)
		}
		t.nextItem++
		t.nextStory++
		it.ID, it.StoryID = id, sid
		t.dirty = true
		return true, nil
	}
	upd := max(pub, nanos(it.Updated), nanos(t.now))
	var spub int64
	err = t.stmt(stStoryTouch).QueryRowContext(ctx, upd, it.StoryID).Scan(&spub)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("story %d: %w", it.StoryID, storage.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("join story %d: %w", it.StoryID, err)
	}
	if err := t.insertItem(ctx, it, t.nextItem, it.StoryID); err != nil {
		return false, err
	}
	it.ID = t.nextItem
	t.nextItem++
	if pub < spub {
		_, err = t.stmt(stStoryRep).ExecContext(ctx, it.ID, pub, upd, it.Keys.URL, it.Keys.Title,
			b[0], b[1], b[2], b[3], int64(it.Keys.SimHash), it.StoryID)
		if err != nil {
			return false, fmt.Errorf("join story %d: %w", it.StoryID, err)
		}
	}
	t.dirty = true
	return true, nil
}

func (t *tx) insertItem(ctx context.Context, it *storage.Item, id, storyID int64) error {
	_, err := t.stmt(stInsertItem).ExecContext(ctx, id, storyID, it.FeedURL, it.GUID, it.URL, it.Keys.URL,
		it.Title, it.Summary, it.Content, it.Author, it.Lang, list(it.Categories), list(it.Tags), it.Hash,
		it.Keys.Title, int64(it.Keys.SimHash), nanos(it.Published), nanos(it.Updated), nanos(it.FirstSeen), it.FeedTitle)
	return err
}

// change rewrites the stored item it.ID in place and makes the story's
// earliest item its representative again.
func (t *tx) change(ctx context.Context, it *storage.Item) error {
	_, err := t.stmt(stUpdateItem).ExecContext(ctx, it.URL, it.Keys.URL, it.Title, it.Summary, it.Content,
		it.Author, it.Lang, list(it.Categories), list(it.Tags), it.Hash, it.Keys.Title, int64(it.Keys.SimHash),
		nanos(it.Published), nanos(it.Updated), it.FeedTitle, it.ID)
	if err != nil {
		return err
	}
	var rep, pub, simhash int64
	var urlKey, titleKey string
	if err := t.stmt(stFirstItem).QueryRowContext(ctx, it.StoryID).Scan(&rep, &pub, &urlKey, &titleKey, &simhash); err != nil {
		return fmt.Errorf("representative of story %d: %w", it.StoryID, err)
	}
	var spub, supd int64
	if err := t.stmt(stStory).QueryRowContext(ctx, it.StoryID).Scan(&spub, &supd); err != nil {
		return fmt.Errorf("story %d: %w", it.StoryID, err)
	}
	b := storage.Keys{SimHash: uint64(simhash)}.Bands()
	upd := max(supd, nanos(it.Published), nanos(it.Updated), nanos(t.now))
	if _, err := t.stmt(stStoryRep).ExecContext(ctx, rep, pub, upd, urlKey, titleKey,
		b[0], b[1], b[2], b[3], simhash, it.StoryID); err != nil {
		return fmt.Errorf("update story %d: %w", it.StoryID, err)
	}
	t.dirty = true
	return nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(...any) error }

func scanItem(r rowScanner) (storage.Item, error) {
	var it storage.Item
	var cats, tags sql.NullString
	var simhash, pub, upd, seen int64
	err := r.Scan(&it.ID, &it.StoryID, &it.FeedURL, &it.GUID, &it.URL, &it.Keys.URL, &it.Title, &it.Summary,
		&it.Content, &it.Author, &it.Lang, &cats, &tags, &it.Hash, &it.Keys.Title, &simhash, &pub, &upd,
		&seen, &it.FeedTitle)
	if err != nil {
		return it, err
	}
	it.Keys.SimHash = uint64(simhash)
	it.Published, it.Updated, it.FirstSeen = unnanos(pub), unnanos(upd), unnanos(seen)
	if it.Categories, err = unlist(cats); err == nil {
		it.Tags, err = unlist(tags)
	}
	return it, err
}

func queryItems(ctx context.Context, s *sql.Stmt, args ...any) ([]storage.Item, error) {
	rows, err := s.QueryContext(ctx, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var items []storage.Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, wrap(rows.Err())
}

// Times are stored as unix nanoseconds in UTC; 0 is the zero time. Times
// outside the years 1678–2262 are clamped.
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

func nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func unnanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// list encodes a string list as a JSON array, NULL when empty.
func list(s []string) any {
	if len(s) == 0 {
		return nil
	}
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func unlist(s sql.NullString) ([]string, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s.String), &l); err != nil {
		return nil, fmt.Errorf("decode list %.40q: %w", s.String, err)
	}
	return l, nil
}
