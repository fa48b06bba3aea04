package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Stmt names one of the statements every SQL backend runs.
type Stmt int

// The statements, in the dialect's words (Dialect.SQL).
const (
	StName Stmt = iota
	StAddName
	StItemState
	StItemsByURL
	StItemsByGUID
	StCandidates
	StInsertStory
	StInsertItem
	StNextIDs
	StStory
	StStoryRep
	StStoryTouch
	StStoryRepItems
	StUpdateItem
	StFirstItem
	StPutFeed
	StBump
	StRevision
	StFeed
	StFeeds
	StStats
	StStories
	StRelated
	StTombstones
	StExpiredStories
	StOldestStories
	StBury
	StDeleteItems
	StDeleteStory
	StForget
	numStmts
)

var queries = [numStmts]string{
	StName:       `SELECT id FROM names WHERE name = $1`,
	StAddName:    `INSERT INTO names (name) VALUES ($1) RETURNING id`,
	StItemState:  `SELECT id, story_id, hash, first_seen FROM items WHERE feed_id = $1 AND guid = $2`,
	StItemsByURL: `SELECT ` + ItemCols + ` FROM ` + ItemFrom + ` WHERE i.url_hash = $1 ORDER BY i.published, i.id`,
	StItemsByGUID: `SELECT ` + ItemCols + ` FROM ` + ItemFrom + ` WHERE i.feed_id = (SELECT id FROM names WHERE name = $1)
		AND i.guid IN ({{guid_list}})`,
	// PostgreSQL's candidates (SQLite answers them from memory and has
	// none of these indexes; see storage/sqlite/window.go). Seventeen
	// indexed lookups: the bands of the lead SimHash ($1-$4)
	// and of the Body fingerprint ($8-$11, NULL for none) in the
	// stories' lead bands and body bands, and the title key's hash; the
	// window applies to each so every lookup is a range of one index.
	StCandidates: `SELECT ` + ItemCols + ` FROM ` + ItemFrom + ` WHERE i.id IN (
		SELECT s0.rep_item_id FROM stories s0 WHERE s0.band0 = $1 AND s0.published BETWEEN $6 AND $7
		UNION ALL SELECT s1.rep_item_id FROM stories s1 WHERE s1.band1 = $2 AND s1.published BETWEEN $6 AND $7
		UNION ALL SELECT s2.rep_item_id FROM stories s2 WHERE s2.band2 = $3 AND s2.published BETWEEN $6 AND $7
		UNION ALL SELECT s3.rep_item_id FROM stories s3 WHERE s3.band3 = $4 AND s3.published BETWEEN $6 AND $7
		UNION ALL SELECT s4.rep_item_id FROM stories s4 WHERE s4.title_hash = $5 AND s4.published BETWEEN $6 AND $7
		UNION ALL SELECT s5.rep_item_id FROM stories s5 WHERE s5.body_band0 = $1 AND s5.published BETWEEN $6 AND $7
		UNION ALL SELECT s6.rep_item_id FROM stories s6 WHERE s6.body_band1 = $2 AND s6.published BETWEEN $6 AND $7
		UNION ALL SELECT s7.rep_item_id FROM stories s7 WHERE s7.body_band2 = $3 AND s7.published BETWEEN $6 AND $7
		UNION ALL SELECT s8.rep_item_id FROM stories s8 WHERE s8.body_band3 = $4 AND s8.published BETWEEN $6 AND $7
		UNION ALL SELECT s9.rep_item_id FROM stories s9 WHERE s9.band0 = $8 AND s9.published BETWEEN $6 AND $7
		UNION ALL SELECT s10.rep_item_id FROM stories s10 WHERE s10.band1 = $9 AND s10.published BETWEEN $6 AND $7
		UNION ALL SELECT s11.rep_item_id FROM stories s11 WHERE s11.band2 = $10 AND s11.published BETWEEN $6 AND $7
		UNION ALL SELECT s12.rep_item_id FROM stories s12 WHERE s12.band3 = $11 AND s12.published BETWEEN $6 AND $7
		UNION ALL SELECT s13.rep_item_id FROM stories s13 WHERE s13.body_band0 = $8 AND s13.published BETWEEN $6 AND $7
		UNION ALL SELECT s14.rep_item_id FROM stories s14 WHERE s14.body_band1 = $9 AND s14.published BETWEEN $6 AND $7
		UNION ALL SELECT s15.rep_item_id FROM stories s15 WHERE s15.body_band2 = $10 AND s15.published BETWEEN $6 AND $7
		UNION ALL SELECT s16.rep_item_id FROM stories s16 WHERE s16.body_band3 = $11 AND s16.published BETWEEN $6 AND $7
	) ORDER BY i.published, i.id`,
	StInsertStory: `INSERT INTO stories (id, rep_item_id, uid, published, updated, title_hash,
		band0, band1, band2, band3, simhash, last_seen, body_band0, body_band1, body_band2, body_band3)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
	// A new item is inserted before its story (the foreign key is
	// checked at commit), with the IDs the backend picked or, where it
	// picked none, the database's next.
	StInsertItem: `INSERT INTO items (id, story_id, feed_id, guid, url, url_key, url_hash, title, texts,
		author, lang, categories, tags, hash, title_key, simhash, published, updated, first_seen, outlet_id,
		title_derived, body)
		VALUES ({{item_id}}, {{story_id}}, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
		$19, $20, $21, $22)
		ON CONFLICT (feed_id, guid) DO NOTHING RETURNING id, story_id`,
	StNextIDs: `SELECT (SELECT coalesce(max(id), 0) + 1 FROM items), (SELECT coalesce(max(id), 0) + 1 FROM stories)`,
	StStory:   `SELECT published, updated, simhash FROM stories WHERE id = $1`,
	StStoryRep: `UPDATE stories SET rep_item_id = $1, published = $2, updated = {{greatest}}(updated, $3),
		title_hash = $4, band0 = $5, band1 = $6, band2 = $7, band3 = $8, simhash = $9,
		body_band0 = $11, body_band1 = $12, body_band2 = $13, body_band3 = $14 WHERE id = $10`,
	StStoryTouch: `UPDATE stories SET updated = {{greatest}}(updated, $1), last_seen = {{greatest}}(last_seen, $3)
		WHERE id = $2 RETURNING published, simhash`,
	StStoryRepItems: `SELECT ` + ItemCols + ` FROM stories s JOIN items i ON i.id = s.rep_item_id ` + ItemNames + `
		WHERE s.id IN ({{id_list}})`,
	StUpdateItem: `UPDATE items SET url = $1, url_key = $2, url_hash = $3, title = $4, texts = $5,
		author = $6, lang = $7, categories = $8, tags = $9, hash = $10, title_key = $11, simhash = $12,
		published = $13, updated = $14, outlet_id = $15, title_derived = $16, body = $18 WHERE id = $17`,
	StFirstItem: `SELECT id, published, title, title_key, simhash, body FROM items WHERE story_id = $1
		ORDER BY published, id LIMIT 1`,
	StPutFeed: `INSERT INTO feeds (url, fetch_url, title, site_url, etag, last_modified, body_hash, state,
		http_status, errors, last_error, last_fetch, last_success, next_poll)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (url) DO UPDATE SET fetch_url = excluded.fetch_url, title = excluded.title,
		site_url = excluded.site_url, etag = excluded.etag, last_modified = excluded.last_modified,
		body_hash = excluded.body_hash, state = excluded.state, http_status = excluded.http_status,
		errors = excluded.errors, last_error = excluded.last_error, last_fetch = excluded.last_fetch,
		last_success = excluded.last_success, next_poll = excluded.next_poll`,
	StBump:     `UPDATE meta SET revision = revision + 1 WHERE id = 1 RETURNING revision`,
	StRevision: `SELECT revision FROM meta WHERE id = 1`,
	StFeed:     `SELECT ` + FeedCols + ` FROM feeds f WHERE f.url = $1`,
	// Feeds sort by the bytes of their URLs, whatever the database's
	// locale.
	StFeeds: `SELECT ` + FeedCols + ` FROM feeds f ORDER BY f.url {{byte_order}}`,
	StStats: `SELECT (SELECT count(*) FROM feeds), (SELECT count(*) FROM items), (SELECT count(*) FROM stories)`,

	// Retention: tombstones of a feed's GUIDs, touched as still listed.
	StTombstones: `UPDATE tombstones SET listed = $3 WHERE feed_id = (SELECT id FROM names WHERE name = $1)
		AND guid IN ({{guid_list}}) RETURNING guid`,
	StExpiredStories: `SELECT id FROM stories WHERE last_seen < $1 ORDER BY last_seen, id LIMIT $2`,
	// The oldest stories, for a cap on how many are kept.
	StOldestStories: `SELECT id FROM stories ORDER BY last_seen, id LIMIT $1`,
	StBury: `INSERT INTO tombstones (feed_id, guid, removed, listed)
		SELECT feed_id, guid, $2, $2 FROM items WHERE story_id = $1
		ON CONFLICT (feed_id, guid) DO NOTHING`,
	StDeleteItems: `DELETE FROM items WHERE story_id = $1`,
	StDeleteStory: `DELETE FROM stories WHERE id = $1`,
	StForget:      `DELETE FROM tombstones WHERE listed < $1`,
}

// Statements are the shared statements in one dialect, prepared once on
// a database or connection, or run as text where the driver caches
// prepared statements itself. Its zero value is not usable; see
// Dialect.Statements.
type Statements struct {
	sql  [numStmts]string
	prep [numStmts]*sql.Stmt
}

// Statements returns the shared statements in d, unprepared.
func (d *Dialect) Statements() *Statements {
	s := &Statements{}
	for i, q := range queries {
		switch Stmt(i) {
		case StStories:
			q = StoriesQuery(d.StoryPage)
		case StRelated:
			q = RelatedQuery(d.StoryPage)
		}
		s.sql[i] = d.SQL(q)
	}
	return s
}

// SQL returns the text of st.
func (s *Statements) SQL(st Stmt) string { return s.sql[st] }

// Prepare prepares every statement on p (a *sql.DB or *sql.Conn); later
// runs use them. It fails with the first statement that does not
// prepare, after closing those that did.
func (s *Statements) Prepare(ctx context.Context, p interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}) error {
	for i, q := range s.sql {
		st, err := p.PrepareContext(ctx, q)
		if err != nil {
			s.Close()
			return fmt.Errorf("prepare %.40q: %w", q, err)
		}
		s.prep[i] = st
	}
	return nil
}

// Close closes the prepared statements.
func (s *Statements) Close() error {
	var errs []error
	for i, st := range s.prep {
		if st != nil {
			errs = append(errs, st.Close())
			s.prep[i] = nil
		}
	}
	return errors.Join(errs...)
}

// Runner runs the statements on one database, connection or
// transaction. It is not safe for concurrent use.
type Runner struct {
	s    *Statements
	q    Querier
	tx   *sql.Tx
	used [numStmts]*sql.Stmt
}

// On returns a Runner of s on q: prepared statements run as they are
// when q is nil, and bound to q when it is a *sql.Tx; statements that
// are not prepared run as text on q.
func (s *Statements) On(q Querier) *Runner {
	r := &Runner{s: s, q: q}
	r.tx, _ = q.(*sql.Tx)
	return r
}

// stmt returns the prepared statement st as r runs it, or nil.
func (r *Runner) stmt(ctx context.Context, st Stmt) *sql.Stmt {
	p := r.s.prep[st]
	if p == nil || r.tx == nil {
		return p
	}
	if r.used[st] == nil {
		r.used[st] = r.tx.StmtContext(ctx, p)
	}
	return r.used[st]
}

// Query runs st with args.
func (r *Runner) Query(ctx context.Context, st Stmt, args ...any) (*sql.Rows, error) {
	if p := r.stmt(ctx, st); p != nil {
		return p.QueryContext(ctx, args...)
	}
	return r.q.QueryContext(ctx, r.s.sql[st], args...)
}

// QueryRow runs st with args.
func (r *Runner) QueryRow(ctx context.Context, st Stmt, args ...any) *sql.Row {
	if p := r.stmt(ctx, st); p != nil {
		return p.QueryRowContext(ctx, args...)
	}
	return r.q.QueryRowContext(ctx, r.s.sql[st], args...)
}

// Exec runs st with args.
func (r *Runner) Exec(ctx context.Context, st Stmt, args ...any) (sql.Result, error) {
	if p := r.stmt(ctx, st); p != nil {
		return p.ExecContext(ctx, args...)
	}
	return r.q.ExecContext(ctx, r.s.sql[st], args...)
}

// Close closes the statements bound to a transaction.
func (r *Runner) Close() {
	for i, p := range r.used {
		if p != nil {
			p.Close()
			r.used[i] = nil
		}
	}
}
