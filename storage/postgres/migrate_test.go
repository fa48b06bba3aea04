package postgres_test

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // reads the SQLite database of the release of schema 4

	"github.com/feedmerge/feedmerge/storage/postgres"
	"github.com/feedmerge/feedmerge/storage/storagetest"
)

// TestMigrateRelease4 builds a database of schema version 4 (the
// migrations of that release, then the rows the release wrote to
// storagetest's SQLite database, table by table), upgrades it in place
// and checks that it answers exactly as that release did.
func TestMigrateRelease4(t *testing.T) {
	u := schemaURL(t, testURL(t), "feedmerge_release4_"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := postgres.MigrateTo(t.Context(), u, 4); err != nil {
		t.Fatalf("migrate to version 4: %v", err)
	}
	copyRelease4(t, u)
	want, err := storagetest.ReadSnapshot("../storagetest/testdata/release4.json")
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(t.Context(), u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	storagetest.CheckSnapshot(t, db, want)
	storagetest.CheckWritesAfter(t, db, want)
}

// copyRelease4 copies every row of the tables of the SQLite database of
// schema version 4 into the PostgreSQL database at url, of the same
// version.
func copyRelease4(t *testing.T, url string) {
	t.Helper()
	src, err := sql.Open("sqlite", "file:../storagetest/testdata/release4.db?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := dst.Exec(`DELETE FROM meta`); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"feeds", "stories", "items", "tombstones", "meta"} {
		rows, err := src.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		var marks []string
		for i := range cols {
			marks = append(marks, fmt.Sprintf("$%d", i+1))
		}
		insert := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)`
		var all [][]any
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				if c == "title_derived" {
					vals[i] = vals[i] != int64(0) // SQLite's 0 and 1
				}
			}
			all = append(all, vals)
		}
		rows.Close()
		for _, vals := range all {
			if _, err := dst.Exec(insert, vals...); err != nil {
				t.Fatalf("copy %s: %v", table, err)
			}
		}
		if len(all) == 0 && table != "tombstones" {
			t.Fatalf("no rows in %s", table)
		}
	}
}
