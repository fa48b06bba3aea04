package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
	"github.com/feedmerge/feedmerge/storage/sqlite"
	"github.com/feedmerge/feedmerge/storage/storagetest"
)

// release4 copies the database written by the release of schema
// version 4 into a temporary folder and returns its path.
func release4(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../storagetest/testdata/release4.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "feedmerge.db")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrateRelease4 upgrades a database written by the release of
// schema version 4 in place and checks that it answers exactly as that
// release did, before and after reopening.
func TestMigrateRelease4(t *testing.T) {
	want, err := storagetest.ReadSnapshot("../storagetest/testdata/release4.json")
	if err != nil {
		t.Fatal(err)
	}
	path := release4(t)
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	storagetest.CheckSnapshot(t, db, want)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	storagetest.CheckSnapshot(t, db, want)
	storagetest.CheckWritesAfter(t, db, want)
}

// TestReadOnlyRelease4: a reader refuses a database the daemon has not
// upgraded yet, says so, and changes nothing. (Beside a database in WAL
// mode any SQLite reader makes the -wal and -shm files it reads through.)
func TestReadOnlyRelease4(t *testing.T) {
	path := release4(t)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.OpenReadOnly(t.Context(), path)
	if err == nil {
		db.Close()
		t.Fatal("OpenReadOnly of a version 4 database succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "older than this feedmerge's; the daemon (feedmerge run or once) upgrades it") {
		t.Errorf("OpenReadOnly: %v, want it to say the daemon upgrades the database", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("OpenReadOnly changed the database file")
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "feedmerge.db", "feedmerge.db-wal", "feedmerge.db-shm":
		default:
			t.Errorf("OpenReadOnly left %s beside the database", e.Name())
		}
	}
}

// TestMigrateTexts fills a database of schema version 5 with more items
// than the texts migration packs in one batch, some with empty texts,
// and checks that the upgrade keeps every item's summary and content and
// drops the two text columns.
func TestMigrateTexts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v5.db")
	if err := sqlite.MigrateTo(t.Context(), path, 5); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1300
	_, err = raw.Exec(`INSERT INTO names (id, name) VALUES (1, 'https://a.test/rss'), (2, 'A');
		INSERT INTO stories (id, uid, rep_item_id, published, updated, simhash, band0, band1, band2, band3)
			VALUES (1, 'urn:x', 1, 1, 1, 0, 0, 0, 0, 0);
		WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
		INSERT INTO items (id, story_id, feed_id, outlet_id, guid, summary, content)
			SELECT x, 1, 1, 2, 'g' || x, CASE WHEN x % 7 = 0 THEN '' ELSE 'Summary ' || x END,
				CASE WHEN x % 5 = 0 THEN '' ELSE '<p>Content of item ' || x || '. ' || hex(randomblob(x % 300)) || '</p>' END FROM c`, n)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][2]string{}
	rows, err := raw.Query(`SELECT id, summary, content FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var s, c string
		if err := rows.Scan(&id, &s, &c); err != nil {
			t.Fatal(err)
		}
		want[id] = [2]string{s, c}
	}
	rows.Close()
	raw.Close()

	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	db.Close()
	raw, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var cols int
	if err := raw.QueryRow(`SELECT count(*) FROM pragma_table_info('items') WHERE name IN ('summary', 'content')`).Scan(&cols); err != nil || cols != 0 {
		t.Errorf("items keeps %d of its summary and content columns (%v)", cols, err)
	}
	got := 0
	rows, err = raw.Query(`SELECT id, texts FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			t.Fatal(err)
		}
		s, c, err := sqlstore.UnpackTexts(b)
		if w := want[id]; err != nil || s != w[0] || c != w[1] {
			t.Errorf("item %d: texts %.30q, %.30q (%v), want %.30q, %.30q", id, s, c, err, w[0], w[1])
		}
		got++
	}
	if got != n || len(want) != n {
		t.Errorf("%d items after the upgrade, %d before, want %d", got, len(want), n)
	}
}

// TestMigrateCandidateIndexes checks that migration 7 drops the band and
// title indexes of a database of schema 6, which lookups do without.
func TestMigrateCandidateIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v6.db")
	if err := sqlite.MigrateTo(t.Context(), path, 6); err != nil {
		t.Fatal(err)
	}
	indexes := func() []string {
		raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stories' AND sql IS NOT NULL ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		return names
	}
	if got := indexes(); len(got) != 11 {
		t.Fatalf("schema 6 has stories indexes %q, want 11", got)
	}
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := indexes(), []string{"stories_last_seen", "stories_published"}; !slices.Equal(got, want) {
		t.Errorf("after migration 7: stories indexes %q, want %q", got, want)
	}
}
