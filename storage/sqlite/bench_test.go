package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/storagetest"
)

// benchSizes are the store sizes of BenchmarkCandidates and
// BenchmarkStories. FEEDMERGE_BENCH_LARGE=1 adds one million stories
// (about half a minute to fill, once per run).
func benchSizes() []int {
	sizes := []int{10_000}
	if os.Getenv("FEEDMERGE_BENCH_LARGE") != "" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

func openFilled(b *testing.B, n int) *DB {
	b.Helper()
	db, err := Open(context.Background(), filled(b, n))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchItem(i int) storage.Item {
	guid := fmt.Sprintf("bench-%d", i)
	pub := fillBase.Add(time.Duration(i) * time.Second)
	return storage.Item{
		Item: feeds.Item{
			GUID:       guid,
			URL:        "https://example.org/news/" + guid,
			Title:      "Guangxi deepens technology cooperation with ASEAN countries " + guid,
			Summary:    "<p>NANNING — Guangxi signed agreements on technology cooperation with ASEAN countries on Tuesday.</p>",
			Content:    "<p>NANNING — Guangxi signed agreements on technology cooperation with ASEAN countries on Tuesday, officials said, covering digital economy, agriculture and new energy.</p>",
			Author:     "Reporter",
			Lang:       "en",
			Categories: []string{"china", "asean"},
			Published:  pub,
		},
		FeedURL:   fmt.Sprintf("https://feed%d.example/rss", i%50),
		FeedTitle: "Outlet",
		Tags:      []string{"asean"},
		Hash:      guid,
		Keys: storage.Keys{
			URL:     "example.org/news/" + guid,
			Title:   "guangxi deepens technology cooperation with asean countries " + guid,
			SimHash: uint64(i) * 0x9e3779b97f4a7c15,
		},
	}
}

// BenchmarkPutItem stores new items in batches of 20 per Update; every
// fourth item joins the story of the item before it.
func BenchmarkPutItem(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storagetest.BenchPutItem(b, db, benchItem)
}

// BenchmarkPutItemUnchanged stores items again with the same hash, in
// batches of 20 per Update: the steady state of polling a feed.
func BenchmarkPutItemUnchanged(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const batch, stored = 20, 10_000
	items := make([]storage.Item, stored)
	for i := range items {
		items[i] = benchItem(i)
	}
	err = db.Update(b.Context(), func(tx storage.Tx) error {
		for i := range items {
			if _, err := tx.PutItem(b.Context(), &items[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		n := min(batch, b.N-i)
		err := db.Update(b.Context(), func(tx storage.Tx) error {
			for j := range n {
				it := &items[(i+j)%stored]
				if changed, err := tx.PutItem(b.Context(), it); err != nil || changed {
					return fmt.Errorf("changed %v, error %v", changed, err)
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

// BenchmarkCandidates looks up the candidates of a stored story's keys in
// a window of three days either side.
func BenchmarkCandidates(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("stories=%d", n), func(b *testing.B) {
			db := openFilled(b, n)
			var keys []storage.Keys
			var pubs []time.Time
			for _, id := range []int{n / 2, n / 3, n / 5, 7} {
				var simhash, pub int64
				var title string
				err := db.Pool.QueryRow(`SELECT s.simhash, i.title_key, s.published FROM stories s
					JOIN items i ON i.id = s.rep_item_id WHERE s.id = ?`, id).Scan(&simhash, &title, &pub)
				if err != nil {
					b.Fatal(err)
				}
				keys = append(keys, storage.Keys{SimHash: uint64(simhash), Title: title})
				pubs = append(pubs, time.Unix(0, pub))
			}
			found := 0
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k, pub := keys[i%len(keys)], pubs[i%len(keys)]
				err := db.View(b.Context(), func(tx storage.Tx) error {
					c, err := tx.Candidates(b.Context(), query(k, pub.Add(-72*time.Hour), pub.Add(72*time.Hour)))
					found += len(c)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if found == 0 {
				b.Fatal("no candidates found")
			}
		})
	}
}

// BenchmarkStories reads the newest 100 stories, as the feed handler does.
func BenchmarkStories(b *testing.B) {
	for _, n := range benchSizes() {
		for _, q := range []storage.StoryQuery{{Limit: 100}, {Limit: 100, Tag: "asean"}} {
			b.Run(fmt.Sprintf("stories=%d/limit=%d/tag=%s", n, q.Limit, q.Tag), func(b *testing.B) {
				db := openFilled(b, n)
				b.ResetTimer()
				for b.Loop() {
					s, err := db.Stories(b.Context(), q)
					if err != nil {
						b.Fatal(err)
					}
					if len(s) != q.Limit {
						b.Fatalf("got %d stories, want %d", len(s), q.Limit)
					}
				}
			})
		}
	}
}
