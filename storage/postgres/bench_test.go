package postgres_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/postgres"
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
	const batch = 20
	items := make([]storage.Item, batch)
	pub := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		n := min(batch, b.N-i)
		for j := range n {
			guid := fmt.Sprintf("bench-%d", i+j)
			items[j] = storage.Item{
				Item: feeds.Item{GUID: guid, URL: "https://example.org/" + guid, Title: "Title " + guid,
					Summary: "<p>Summary of the story, cut at some length.</p>", Published: pub.Add(time.Duration(i+j) * time.Second)},
				FeedURL: fmt.Sprintf("https://feed%d.example/rss", (i+j)%50), FeedTitle: "Outlet", Tags: []string{"asean"},
				Hash: guid, Keys: storage.Keys{URL: "example.org/" + guid, Title: "title " + guid, SimHash: uint64(i+j) * 0x9e3779b97f4a7c15},
			}
		}
		err := db.Update(b.Context(), func(tx storage.Tx) error {
			for j := range n {
				if j%4 == 3 {
					items[j].StoryID = items[j-1].StoryID
				}
				if _, err := tx.PutItem(b.Context(), &items[j]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
