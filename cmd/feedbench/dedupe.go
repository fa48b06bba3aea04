package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/aggregator/dedupe"
	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/internal/feedfarm"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// batchFeeds is the default size of the farm whose items are stored at
// each store size: 250 feeds × 20 items.
const batchFeeds = 250

// parsedFeed is one farm feed, fetched and parsed ahead of timing.
type parsedFeed struct {
	url string
	doc *feeds.Feed
}

// dedupeRates stores a fresh batch of farm items into a store holding
// 10,000 and then -dedupe-max stories, the way a poll does (one
// transaction per feed: keys, story assignment, insert), and reports
// items per second and the cost of deduplication per item.
func (b *bench) dedupeRates(ctx context.Context) error {
	dbPath := filepath.Join(b.dir, "dedupe.db")
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	base := time.Now()
	filled := 0
	var firstRate float64
	for k, size := range []int{10_000, b.o.dedupeMax} {
		if size <= filled {
			continue
		}
		b.progress("filling the dedupe store to %d stories", size)
		if err := fill(ctx, db, filled, size, base, b.progress); err != nil {
			return err
		}
		// Each serial batch is dated a week apart, so that its dedupe
		// window holds filled stories only, not the previous batch.
		batch, err := farmBatch(ctx, b.o.batchFeeds, b.o.seed+100+uint64(k), base.Add(-time.Duration(k)*7*24*time.Hour))
		if err != nil {
			return err
		}
		r, err := storeBatch(ctx, db, batch, base)
		if err != nil {
			return err
		}
		b.progress("at %d stories, serially: %.0f items/s", size, r.rate())
		b.add(fmt.Sprintf("6 store + dedupe at %d stories, serially", size),
			fmt.Sprintf("%.0f items/s (%d items); per item: dedupe %s (keys %s, assign %s), insert %s, commit %s",
				r.rate(), r.items, us(r.keys+r.assign, r.items), us(r.keys, r.items), us(r.assign, r.items), us(r.insert, r.items), us(r.commit, r.items)),
			"", true)

		// The poll's batch is news of the last day, as a poll finds it:
		// its window holds the newest stories of the store.
		batch, err = farmBatch(ctx, b.o.batchFeeds, b.o.seed+200+uint64(k), base)
		if err != nil {
			return err
		}
		items, took, err := ingestBatch(ctx, db, dbPath, batch)
		if err != nil {
			return err
		}
		rate := float64(items) / took.Seconds()
		b.progress("at %d stories, as a poll stores: %.0f items/s", size, rate)
		bar, ok := "≥ 20,000 items/s", rate >= 20000
		if k == 0 {
			firstRate = rate
		} else {
			bar += ", within 2× of the first"
			ok = ok && rate >= firstRate/2
		}
		b.add(fmt.Sprintf("6 store + dedupe at %d stories, as a poll", size),
			fmt.Sprintf("%.0f items/s (%d items, %d feeds at once, in %s)", rate, items, concurrency, took.Round(time.Millisecond)),
			bar, ok)
		st, err := db.Stats(ctx)
		if err != nil {
			return err
		}
		filled = int(st.Stories)
		if k == 1 && b.o.stories == 0 {
			// The served-feed latency at the largest store.
			if err := b.measureServed(ctx, dbPath); err != nil {
				return err
			}
		}
	}
	return nil
}

// ingestBatch stores batch the way a poll does, through the service with
// as many feeds at once as a poll fetches: stories assigned on read
// snapshots in parallel, writes committed in groups. It returns the
// number of items stored and the time taken.
func ingestBatch(ctx context.Context, db storage.Store, dbPath string, batch []parsedFeed) (int, time.Duration, error) {
	var y strings.Builder
	fmt.Fprintf(&y, "database: %s\nconcurrency: %d\nfeeds:\n", dbPath, concurrency)
	for _, f := range batch {
		fmt.Fprintf(&y, "  - url: %s\n", f.url)
	}
	cfg, err := aggregator.ParseConfig(filepath.Join(filepath.Dir(dbPath), "ingest.yaml"), []byte(y.String()))
	if err != nil {
		return 0, 0, err
	}
	svc, err := aggregator.New(cfg, db, nil)
	if err != nil {
		return 0, 0, err
	}
	next := make(chan parsedFeed)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		stored int
		errs   []error
	)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for f := range next {
				n, _, err := svc.Ingest(ctx, f.url, f.doc)
				mu.Lock()
				stored += n
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for _, f := range batch {
		next <- f
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	// Every item of the batch is new: each must have been stored.
	want := 0
	for _, f := range batch {
		want += len(f.doc.Items)
	}
	if stored != want {
		return 0, 0, fmt.Errorf("stored %d of the batch's %d new items", stored, want)
	}
	return stored, took, nil
}

// farmBatch starts a farm of n feeds (0: batchFeeds) and returns them parsed.
func farmBatch(ctx context.Context, n int, seed uint64, epoch time.Time) ([]parsedFeed, error) {
	if n <= 0 {
		n = batchFeeds
	}
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: n, Seed: seed, Epoch: epoch})
	if err != nil {
		return nil, err
	}
	defer fm.Close()
	now := time.Now()
	var out []parsedFeed
	for _, u := range fm.URLs() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		f, err := feeds.Parse(body, resp.Header.Get("Content-Type"), u, now)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", u, err)
		}
		// The farm's ports may be those of an earlier batch's farm: the
		// seed in the URL keeps each batch's feeds apart in the store.
		out = append(out, parsedFeed{url: fmt.Sprintf("%s?batch=%d", u, seed), doc: f})
	}
	http.DefaultClient.CloseIdleConnections()
	return out, nil
}

type batchResult struct {
	items, stories                     int
	keys, assign, insert, commit, wall time.Duration
}

func (r batchResult) rate() float64 { return float64(r.items) / r.wall.Seconds() }

// storeBatch stores every item of batch as a poll would, timing each part.
func storeBatch(ctx context.Context, db storage.Store, batch []parsedFeed, now time.Time) (batchResult, error) {
	d := dedupe.New(dedupe.DefaultOptions())
	var r batchResult
	start := time.Now()
	for _, f := range batch {
		t0 := time.Now()
		var inTx time.Duration
		err := db.Update(ctx, func(tx storage.Tx) error {
			txStart := time.Now()
			defer func() { inTx = time.Since(txStart) }()
			for i := range f.doc.Items {
				it := storage.Item{Item: f.doc.Items[i], FeedURL: f.url, FeedTitle: "Batch", Hash: fmt.Sprint(i), FirstSeen: now}
				a := time.Now()
				it.Keys = d.Keys(&it.Item)
				k := time.Now()
				dec, err := d.Assign(ctx, tx, &it)
				if err != nil {
					return err
				}
				s := time.Now()
				if _, err := tx.PutItem(ctx, &it); err != nil {
					return err
				}
				e := time.Now()
				r.keys += k.Sub(a)
				r.assign += s.Sub(k)
				r.insert += e.Sub(s)
				r.items++
				if dec.StoryID == 0 {
					r.stories++
				}
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("store items of %s: %w", f.url, err)
		}
		r.commit += time.Since(t0) - inTx
	}
	r.wall = time.Since(start)
	return r, nil
}

func us(d time.Duration, n int) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)/float64(max(n, 1)))
}
