package postgres_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/postgres"
	"github.com/feedmerge/feedmerge/storage/storagetest"
)

// BenchmarkPutItem stores new items in batches of 20 per Update; every
// fourth item joins the story of the item before it.
func BenchmarkPutItem(b *testing.B) {
	base := testURL(b)
	u := schemaURL(b, base, "feedmerge_bench_"+strconv.FormatInt(time.Now().UnixNano(), 36))
	db, err := postgres.Open(b.Context(), u)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	pub := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	storagetest.BenchPutItem(b, db, func(i int) storage.Item {
		guid := fmt.Sprintf("bench-%d", i)
		return storage.Item{
			Item: feeds.Item{GUID: guid, URL: "https://example.org/" + guid, Title: "Title " + guid,
				Summary: "<p>Summary of the story, cut at some length.</p>", Published: pub.Add(time.Duration(i) * time.Second)},
			FeedURL: fmt.Sprintf("https://feed%d.example/rss", i%50), FeedTitle: "Outlet", Tags: []string{"asean"},
			Hash: guid, Keys: storage.Keys{URL: "example.org/" + guid, Title: "title " + guid, SimHash: uint64(i) * 0x9e3779b97f4a7c15},
		}
	})
}
