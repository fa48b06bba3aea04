package postgres_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/postgres"
	"github.com/feedmerge/feedmerge/storage/storagetest"
)

// testURL returns the server URL from FEEDMERGE_TEST_POSTGRES, skipping
// the test when it is not set.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("FEEDMERGE_TEST_POSTGRES")
	if u == "" {
		t.Skip("FEEDMERGE_TEST_POSTGRES not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

// schemaURL creates schema (if needed) and returns a URL whose
// connections use it; the schema is dropped when the test ends.
func schemaURL(t *testing.T, base, schema string) string {
	t.Helper()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestStore(t *testing.T) {
	base := testURL(t)
	storagetest.Run(t, func(t *testing.T, key string) storage.Store {
		db, err := postgres.Open(t.Context(), schemaURL(t, base, "feedmerge_"+key))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	})
}
