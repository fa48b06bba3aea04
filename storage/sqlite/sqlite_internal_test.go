package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

func openTest(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// plan returns the EXPLAIN QUERY PLAN details of q.
func plan(t *testing.T, db *DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Pool.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		details = append(details, detail)
	}
	return details
}

// fullScan matches a plan step that reads a whole table or index, except
// the walk of stories_published that stops after LIMIT rows.
var fullScan = regexp.MustCompile(`^SCAN (stories|items|s\d?|i|t|f|feeds)\b`)

const newestFirst = "SCAN s USING INDEX stories_published"

func TestQueryPlans(t *testing.T) {
	db, _ := openTest(t)
	fill(t, db, 5000)
	from, to := fillBase.Add(-72*time.Hour).UnixNano(), fillBase.UnixNano()
	tests := []struct {
		name  string
		query string
		args  []any
		want  []string // substrings of the plan
	}{
		{"WindowEntries", entriesQuery, []any{from, to}, []string{"SEARCH stories USING INDEX stories_published (published>? AND published<?)"}},
		{"ItemsByURL", db.Stmts.SQL(sqlstore.StItemsByURL), []any{sqlstore.KeyHash("example.org/7"), "example.org/7"}, []string{"items_url"}},
		{"ItemsByGUID", db.Stmts.SQL(sqlstore.StItemsByGUID), []any{"https://feed3.example/rss", `["g1","g2"]`}, []string{"sqlite_autoindex_items_1 (feed_id=? AND guid=?)"}},
		{"StoryRepItems", db.Stmts.SQL(sqlstore.StStoryRepItems), []any{"[7,9]"}, []string{"INTEGER PRIMARY KEY"}},
		{"FirstItem", db.Stmts.SQL(sqlstore.StFirstItem), []any{7}, []string{"items_story"}},
		{"Stories", db.Stmts.SQL(sqlstore.StStories), []any{nil, 100, ""}, []string{"stories_published"}},
		{"Related", db.Stmts.SQL(sqlstore.StRelated), []any{nil, 100, ""}, []string{"stories_published", "items_story"}},
		{"StoriesByTag", db.Stmts.SQL(sqlstore.StStories), []any{"asean", 100, `"asean"`}, []string{"stories_published", "items_story"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(t, db, tt.query, tt.args...)
			joined := strings.Join(p, "\n")
			for _, d := range p {
				if fullScan.MatchString(d) && d != newestFirst {
					t.Errorf("plan has a full scan %q:\n%s", d, joined)
				}
				if strings.Contains(d, "TEMP B-TREE FOR ORDER BY") && tt.name != "Related" {
					t.Errorf("plan sorts %q:\n%s", d, joined)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(joined, w) {
					t.Errorf("plan does not use %s:\n%s", w, joined)
				}
			}
		})
	}
}

// noise returns n bytes of letters and digits drawn from a generator
// seeded by seed: text that compression barely shortens.
func noise(seed string, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ."
	r := rand.New(rand.NewPCG(uint64(len(seed)), uint64(crc32.ChecksumIEEE([]byte(seed)))))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func bigItem(guid string) storage.Item {
	return storage.Item{
		Item: feeds.Item{
			GUID:      guid,
			Title:     guid,
			Content:   noise(guid, 64<<10),
			Published: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		FeedURL: "https://a.example/rss",
		Hash:    guid,
	}
}

// TestFull fills a database limited with max_page_count: the failing
// Update reports storage.ErrFull, rolls back, and the database goes on.
func TestFull(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	first := bigItem("first")
	if err := db.Update(ctx, func(tx storage.Tx) error { _, err := tx.PutItem(ctx, &first); return err }); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.wconn.QueryRowContext(context.Background(), `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.wconn.ExecContext(context.Background(), `PRAGMA max_page_count = `+itoa(pages+8)); err != nil {
		t.Fatal(err)
	}
	rev, _ := db.Revision(ctx)
	err := db.Update(ctx, func(tx storage.Tx) error {
		for _, g := range []string{"a", "b", "c", "d"} {
			it := bigItem(g)
			if _, err := tx.PutItem(ctx, &it); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, storage.ErrFull) {
		t.Fatalf("Update on a full database: error %v, want storage.ErrFull", err)
	}
	if !strings.Contains(err.Error(), "full") || !strings.HasPrefix(err.Error(), "sqlite: save item") {
		t.Errorf("error %q does not say what failed", err)
	}
	t.Logf("error: %v", err)
	if s, _ := db.Stats(ctx); s.Items != 1 {
		t.Errorf("Stats after failed Update = %+v, want the 1 item before", s)
	}
	if r, _ := db.Revision(ctx); r != rev {
		t.Errorf("revision after failed Update = %d, want %d", r, rev)
	}
	// Small writes still fit, and lifting the limit lets everything in.
	if err := db.Update(ctx, func(tx storage.Tx) error { return tx.PutFeed(ctx, storage.Feed{URL: "https://a.example/rss"}) }); err != nil {
		t.Errorf("small Update after a full one: %v", err)
	}
	if _, err := db.wconn.ExecContext(context.Background(), `PRAGMA max_page_count = 1000000`); err != nil {
		t.Fatal(err)
	}
	it := bigItem("a")
	if err := db.Update(ctx, func(tx storage.Tx) error { _, err := tx.PutItem(ctx, &it); return err }); err != nil {
		t.Errorf("Update after the limit was lifted: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestNewerSchema(t *testing.T) {
	db, path := openTest(t)
	if _, err := db.wconn.ExecContext(context.Background(), `INSERT INTO schema_migrations (version, applied) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a newer database: error %v, want one naming the file and saying it is newer", err)
	}
}

func TestNotSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := writeFile(path, strings.Repeat("not a database ", 1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), path); err == nil {
		t.Fatal("Open of a non-database file succeeded")
	} else {
		t.Logf("error: %v", err)
	}
}

func TestClosed(t *testing.T) {
	db, _ := openTest(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.Revision(t.Context()); err == nil {
		t.Error("Revision after Close succeeded")
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

// TestPanicInUpdate checks that a panicking Update leaves the writer
// usable.
func TestPanicInUpdate(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	func() {
		defer func() { recover() }()
		db.Update(ctx, func(tx storage.Tx) error {
			tx.PutFeed(ctx, storage.Feed{URL: "https://a.example/rss"})
			panic("boom")
		})
	}()
	done := make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(tx storage.Tx) error { return tx.PutFeed(ctx, storage.Feed{URL: "https://b.example/rss"}) })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Update after a panic: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Update after a panic hangs")
	}
	if s, _ := db.Stats(ctx); s.Feeds != 1 {
		t.Errorf("Stats = %+v, want only the second feed", s)
	}
}

// TestConnectionSettings checks the settings each kind of connection
// gets: the writer keeps its statement journals in memory and its larger
// page cache; readers keep temporary data in files and small caches.
func TestConnectionSettings(t *testing.T) {
	db, _ := openTest(t)
	for _, c := range []struct {
		name string
		q    interface {
			QueryRowContext(context.Context, string, ...any) *sql.Row
		}
		temp, cache int
	}{
		{"writer", db.wconn, 2, -2000},
		{"reader", db.Pool, 0, -1000},
		{"checkpointer", db.ckpt, 0, -256},
	} {
		var temp, cache int
		if err := c.q.QueryRowContext(t.Context(), `SELECT temp_store, cache_size FROM pragma_temp_store, pragma_cache_size`).Scan(&temp, &cache); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if temp != c.temp || cache != c.cache {
			t.Errorf("%s: temp_store %d, cache_size %d; want %d, %d", c.name, temp, cache, c.temp, c.cache)
		}
	}
}
