package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

// key_hash(s) is sqlstore.KeyHash and pack_texts(summary, content)
// sqlstore.PackTexts in the SQL of fill, on every connection the tests
// open.
func init() {
	err := msqlite.RegisterDeterministicScalarFunction("key_hash", 1, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		return sqlstore.KeyHash(s), nil
	})
	if err == nil {
		err = msqlite.RegisterDeterministicScalarFunction("pack_texts", 2, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			summary, _ := args[0].(string)
			content, _ := args[1].(string)
			return sqlstore.PackTexts(summary, content), nil
		})
	}
	if err != nil {
		panic(err)
	}
}

// fillBase is the publication time of story 0 of a filled store; story i
// was published i×30s earlier.
var fillBase = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

const fillStep = 30 * time.Second

// fill adds stories 1..n to db in bulk, each with one item, and two more
// copies for every tenth story. Item i is in story i, from one of 100
// feeds, with a random SimHash. One million stories take well under a
// minute: the rows are generated inside SQLite, 100,000 per transaction.
func fill(tb testing.TB, db *DB, n int) {
	tb.Helper()
	ctx := context.Background()
	// Build the secondary indexes after the rows: sorting once is far
	// faster than inserting a million random keys.
	var indexes []string
	rows, err := db.wconn.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('stories', 'items')`)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			tb.Fatal(err)
		}
		names, indexes = append(names, name), append(indexes, sql)
	}
	rows.Close()
	for _, name := range names {
		if _, err := db.wconn.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			tb.Fatal(err)
		}
	}
	_, err = db.wconn.ExecContext(ctx, `INSERT INTO names (name)
		WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM k WHERE x < 99)
		SELECT 'https://feed' || x || '.example/rss' FROM k UNION ALL SELECT 'Feed ' || x FROM k
		UNION ALL SELECT 'https://copy' || x || '.example/rss' FROM k WHERE x IN (1, 2)
		UNION ALL SELECT 'Copy ' || x FROM k WHERE x IN (1, 2)`)
	if err != nil {
		tb.Fatalf("fill names: %v", err)
	}
	const chunk = 100_000
	for lo := 1; lo <= n; lo += chunk {
		hi := min(lo+chunk-1, n)
		tx, err := db.wconn.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO stories (id, uid, rep_item_id, published, updated, title_hash, band0, band1, band2, band3, simhash)
			WITH RECURSIVE c(x) AS (SELECT ?1 UNION ALL SELECT x + 1 FROM c WHERE x < ?2),
				h(x, s) AS MATERIALIZED (SELECT x, random() FROM c)
			SELECT x, 'urn:fill:' || x, x, ?3 - x * ?4, ?3 - x * ?4, key_hash('title ' || x),
				s & 65535, (s >> 16) & 65535, (s >> 32) & 65535, (s >> 48) & 65535, s FROM h`,
			`INSERT INTO items (id, story_id, feed_id, guid, url, url_key, url_hash, title, texts, author, lang,
				categories, tags, hash, title_key, simhash, published, updated, first_seen, outlet_id)
			SELECT s.id, s.id, (SELECT n.id FROM names n WHERE n.name = 'https://feed' || (s.id % 100) || '.example/rss'),
				'guid-' || id, 'https://example.org/' || id,
				'example.org/' || id, key_hash('example.org/' || id), 'Title of story ' || id,
				pack_texts('<p>Summary of story ' || id || ', cut at some length.</p>',
					'<p>' || hex(randomblob(60)) || '</p>'), 'Author', 'en', '["world"]',
				CASE WHEN id % 3 = 0 THEN '["asean","news"]' ELSE '["news"]' END,
				'h' || id, 'title ' || id, simhash, published, updated, published,
				(SELECT n.id FROM names n WHERE n.name = 'Feed ' || (s.id % 100))
			FROM stories s WHERE s.id BETWEEN ?1 AND ?2`,
		} {
			if _, err := tx.ExecContext(ctx, q, lo, hi, fillBase.UnixNano(), int64(fillStep)); err != nil {
				tx.Rollback()
				tb.Fatalf("fill %d..%d: %v", lo, hi, err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	_, err = db.wconn.ExecContext(ctx, `INSERT INTO items (story_id, feed_id, guid, url, url_key, url_hash, title, outlet_id,
			published, updated, first_seen, hash)
		SELECT s.id, (SELECT id FROM names WHERE name = 'https://copy' || c.k || '.example/rss'), 'copy-' || s.id,
			'https://copy' || c.k || '.example/' || s.id, 'copy' || c.k || '.example/' || s.id,
			key_hash('copy' || c.k || '.example/' || s.id), 'Copy', (SELECT id FROM names WHERE name = 'Copy ' || c.k),
			s.published + c.k, s.published + c.k, s.published + c.k, 'c'
		FROM stories s, (SELECT 1 AS k UNION ALL SELECT 2) c WHERE s.id % 10 = 0`)
	if err != nil {
		tb.Fatalf("fill copies: %v", err)
	}
	for _, sql := range indexes {
		if _, err := db.wconn.ExecContext(ctx, sql); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := db.wconn.ExecContext(ctx, `UPDATE meta SET revision = revision + 1`); err != nil {
		tb.Fatal(err)
	}
}

// filled returns the path of a database filled with n stories, made once
// per test binary and shared by the benchmarks (which only read it).
func filled(tb testing.TB, n int) string {
	tb.Helper()
	fillMu.Lock()
	defer fillMu.Unlock()
	if p, ok := fillPaths[n]; ok {
		return p
	}
	if fillDir == "" {
		d, err := os.MkdirTemp("", "feedmerge-bench-")
		if err != nil {
			tb.Fatal(err)
		}
		fillDir = d
	}
	p := filepath.Join(fillDir, fmt.Sprintf("%d.db", n))
	db, err := Open(context.Background(), p)
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	fill(tb, db, n)
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("filled %d stories in %v", n, time.Since(start).Round(time.Millisecond))
	fillPaths[n] = p
	return p
}

var (
	fillMu    sync.Mutex
	fillDir   string
	fillPaths = map[int]string{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fillDir != "" {
		os.RemoveAll(fillDir)
	}
	os.Exit(code)
}
