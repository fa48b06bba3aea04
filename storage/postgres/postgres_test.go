package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/postgres"
	"github.com/feedmerge/feedmerge/storage/storagetest"
)

// testURL returns the server URL from FEEDMERGE_TEST_POSTGRES, skipping
// the test when it is not set.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("FEEDMERGE_TEST_POSTGRES")
	if u == "" {
		t.Skip("FEEDMERGE_TEST_POSTGRES not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

// schemaURL creates schema (if needed) and returns a URL whose
// connections use it; the schema is dropped when the test ends.
func schemaURL(t testing.TB, base, schema string) string {
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

// TestInstances opens several stores on one fresh schema at once (they
// must migrate once) and writes from all of them concurrently, each item
// joining a story when another instance already started it.
func TestInstances(t *testing.T) {
	u := schemaURL(t, testURL(t), "feedmerge_instances_"+strconv.FormatInt(time.Now().UnixNano(), 36))
	const n = 4
	dbs := make([]*postgres.DB, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(t.Context(), u) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}

	// Every instance stores its copy of the same 20 stories; a copy joins
	// the story whose title key matches, as the aggregator would.
	const stories = 20
	for i, db := range dbs {
		wg.Go(func() {
			for s := range stories {
				err := db.Update(t.Context(), func(tx storage.Tx) error {
					keys := storage.Keys{Title: fmt.Sprintf("story %d", s), SimHash: uint64(s+1) * 0x0101010101010101}
					pub := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s) * time.Hour)
					c, err := tx.Candidates(t.Context(), storage.CandidateQuery{Title: keys.Title, SimHash: keys.SimHash,
						MaxDistance: 16, From: pub.Add(-time.Hour), To: pub.Add(time.Hour)})
					if err != nil {
						return err
					}
					it := storage.Item{
						Item:    feeds.Item{GUID: fmt.Sprintf("s%d", s), URL: fmt.Sprintf("https://i%d.example/%d", i, s), Published: pub},
						FeedURL: fmt.Sprintf("https://i%d.example/rss", i), Hash: "h", Keys: keys,
					}
					if len(c) > 0 {
						it.StoryID = c[0].StoryID
					}
					_, err = tx.PutItem(t.Context(), &it)
					return err
				})
				if err != nil {
					t.Errorf("instance %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	st, err := dbs[0].Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Items != n*stories || st.Stories != stories {
		t.Errorf("Stats = %+v, want %d items in %d stories", st, n*stories, stories)
	}
	list, err := dbs[1].Stories(t.Context(), storage.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if len(s.Related) != n-1 {
			t.Errorf("story %s has %d related links, want %d", s.Title, len(s.Related), n-1)
		}
	}
}

func TestNewerSchema(t *testing.T) {
	u := schemaURL(t, testURL(t), "feedmerge_newer_"+strconv.FormatInt(time.Now().UnixNano(), 36))
	db, err := postgres.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(t.Context(), u); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: error %v, want one saying it is newer", err)
	}
}
