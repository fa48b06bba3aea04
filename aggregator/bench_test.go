package aggregator_test

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/internal/feedfarm"
)

// BenchmarkIngest stores 200 farm feeds (4,000 items, a third of the
// stories syndicated across feeds) the way a poll stores them, 16 feeds
// at once, into a new store each time: the poll's store+dedupe rate
// without fetching or parsing, reported as items/s.
func BenchmarkIngest(b *testing.B) {
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: 200, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer fm.Close()
	type doc struct {
		url string
		f   *feeds.Feed
	}
	var docs []doc
	items := 0
	for _, u := range fm.URLs() {
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		f, err := feeds.Parse(body, resp.Header.Get("Content-Type"), u, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, doc{u, f})
		items += len(f.Items)
	}
	stored := 0
	for b.Loop() {
		b.StopTimer()
		svc, db := farmService(b, fm, "@every 15m")
		next := make(chan doc)
		var wg sync.WaitGroup
		var mu sync.Mutex
		b.StartTimer()
		for range 16 {
			wg.Go(func() {
				for d := range next {
					n, _, err := svc.Ingest(b.Context(), d.url, d.f)
					if err != nil {
						b.Error(err)
					}
					mu.Lock()
					stored += n
					mu.Unlock()
				}
			})
		}
		for _, d := range docs {
			next <- d
		}
		close(next)
		wg.Wait()
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	if stored != items*b.N {
		b.Fatalf("stored %d items, want %d", stored, items*b.N)
	}
	b.ReportMetric(float64(stored)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkPollLongFeed polls one feed of 20,000 new items into a new
// store each time: fetch, parse, dedupe and the batched writes, reported
// as items/s. Storing is linear in a feed's items, so the rate holds for
// longer feeds.
func BenchmarkPollLongFeed(b *testing.B) {
	const n = 20000
	f := newFarm(b)
	f.set("/long", farmDoc{body: longRSS(n), contentType: "application/rss+xml"})
	start := time.Now()
	for b.Loop() {
		svc, _, _ := setup(b, f, "  max_body: 67108864", "/long")
		if r := svc.Poll(b.Context(), f.URL+"/long", true); r.New != n {
			b.Fatalf("poll: %+v", r)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "items/s")
}
