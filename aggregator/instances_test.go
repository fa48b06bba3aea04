package aggregator_test

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/postgres"
)

// TestInstancesShareOneStory runs two services on one PostgreSQL database,
// each polling half of twelve feeds that carry copies of one story, at the
// same time: the copies end in one story, with every outlet listed once.
func TestInstancesShareOneStory(t *testing.T) {
	base := os.Getenv("FEEDMERGE_TEST_POSTGRES")
	if base == "" {
		t.Skip("FEEDMERGE_TEST_POSTGRES not set")
	}
	schema := "feedmerge_agg_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(t.Context(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	body := "The provincial government approved a plan to build forty new vocational schools along the border, officials said, with the first opening next autumn and places for twelve thousand students."
	f := newFarm(t)
	var halves [2]strings.Builder
	for i := range 12 {
		p := fmt.Sprintf("/copy%d", i)
		f.set(p, farmDoc{contentType: "application/rss+xml", body: rss(p,
			rssItem{fmt.Sprintf("g%d", i), fmt.Sprintf("https://outlet%d.test/news/%d", i, 1000+i),
				fmt.Sprintf("Province approves forty vocational schools on the border - Outlet %d", i), body[:120+i*4], date(time.Duration(i) * time.Minute)})})
		fmt.Fprintf(&halves[i%2], "  - url: %s%s\n    title: Outlet %d\n", f.URL, p, i)
	}
	var svcs [2]*aggregator.Service
	var store storage.Store
	for i := range svcs {
		cfg, err := aggregator.ParseConfig("config.yaml", []byte(fmt.Sprintf("database: %q\nfetch:\n  host_delay: 0s\n  per_host: 8\nfeeds:\n%s", u.String(), halves[i].String())))
		if err != nil {
			t.Fatal(err)
		}
		db, err := postgres.Open(t.Context(), cfg.DatabasePath())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		store = db
		if svcs[i], err = aggregator.New(cfg, db, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, svc := range svcs {
		wg.Go(func() {
			for _, r := range svc.PollAll(t.Context(), false) {
				if r.Err != nil {
					t.Error(r.Err)
				}
			}
		})
	}
	wg.Wait()
	stories, err := store.Stories(t.Context(), storage.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(stories) != 1 {
		t.Fatalf("got %d stories, want the copies in one", len(stories))
	}
	if got := len(stories[0].Related); got != 11 {
		t.Errorf("story has %d related links, want 11", got)
	}
}
