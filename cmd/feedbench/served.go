package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// fillStep is the spacing of filled stories' publication times, newest
// first from the fill's start: a million stories cover about a year, so a
// 72-hour dedupe window holds about 8,640 of them.
const fillStep = 30 * time.Second

// fill adds stories [from, to) to db through the storage.Store interface,
// one item each, 20,000 per transaction. Story i is published i×fillStep
// before base, with a random SimHash and its own title and URL.
func fill(ctx context.Context, db storage.Store, from, to int, base time.Time, log func(string, ...any)) error {
	r := rand.New(rand.NewPCG(uint64(from), uint64(to)))
	const chunk = 20_000
	start := time.Now()
	for lo := from; lo < to; lo += chunk {
		hi := min(lo+chunk, to)
		err := db.Update(ctx, func(tx storage.Tx) error {
			for i := lo; i < hi; i++ {
				pub := base.Add(-time.Duration(i) * fillStep)
				it := storage.Item{
					Item: feeds.Item{
						GUID:      fmt.Sprintf("fill-%d", i),
						URL:       fmt.Sprintf("https://fill%d.example/news/%d.html", i%100, i),
						Title:     fmt.Sprintf("Filled story number %d about %x", i, r.Uint32()),
						Summary:   fmt.Sprintf("<p>Summary of filled story %d, %x %x.</p>", i, r.Uint64(), r.Uint64()),
						Content:   fillContent(r, i),
						Lang:      "en",
						Published: pub,
						Updated:   pub,
					},
					FeedURL:   fmt.Sprintf("https://fill%d.example/rss", i%100),
					FeedTitle: fmt.Sprintf("Fill outlet %d", i%100),
					Hash:      fmt.Sprintf("fill%d", i),
					Keys: storage.Keys{
						URL:     fmt.Sprintf("fill%d.example/news/%d.html", i%100, i),
						Title:   fmt.Sprintf("filled story number %d", i),
						SimHash: r.Uint64(),
					},
					FirstSeen: pub,
				}
				if _, err := tx.PutItem(ctx, &it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill stories %d..%d: %w", lo, hi, err)
		}
		if hi/200_000 > lo/200_000 || hi == to {
			log("filled %d stories (%.0f/s)", hi, float64(hi-from)/time.Since(start).Seconds())
		}
	}
	return nil
}

// fillContent returns about 1 KB of HTML, the size of a typical
// syndicated item's content.
func fillContent(r *rand.Rand, i int) string {
	b := make([]byte, 0, 1100)
	for p := range 3 {
		b = fmt.Appendf(b, "<p>Paragraph %d of filled story %d:", p, i)
		for range 40 {
			b = append(b, ' ')
			b = append(b, fillWords[r.IntN(len(fillWords))]...)
		}
		b = append(b, ".</p>"...)
	}
	return string(b)
}

var fillWords = []string{"council", "harbour", "report", "budget", "river", "school", "market", "bridge",
	"the", "of", "and", "to", "in", "for", "with", "on", "after", "plan", "trade", "energy", "rail", "farm"}

// served measures GET /feed.atom of 100 stories, uncached and as a 304
// revalidation, on the polled store or one filled to -stories.
func (b *bench) served(ctx context.Context) error {
	dbPath := b.pollDB
	if b.o.stories > 0 {
		dbPath = filepath.Join(b.dir, "stories.db")
		db, err := sqlite.Open(ctx, dbPath)
		if err != nil {
			return err
		}
		b.progress("filling %d stories", b.o.stories)
		start := time.Now()
		err = fill(ctx, db, 0, b.o.stories, time.Now(), b.progress)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		b.progress("filled in %v", time.Since(start).Round(time.Second))
	}
	return b.measureServed(ctx, dbPath)
}

func (b *bench) measureServed(ctx context.Context, dbPath string) error {
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Stats(ctx)
	if err != nil {
		return err
	}
	cfg, err := aggregator.ParseConfig(filepath.Join(filepath.Dir(dbPath), "serve.yaml"),
		fmt.Appendf(nil, "database: %s\noutput:\n  items: 100\nfeeds:\n  - url: http://127.0.0.1:1/feed\n", dbPath))
	if err != nil {
		return err
	}
	svc, err := aggregator.New(cfg, db, nil)
	if err != nil {
		return err
	}
	cached := svc.Handler()
	// mode selects what a request finds cached: the whole document
	// (cached), nothing (cold: a new service, so no rendered entries
	// either), or the entries but not the document (changed: what the
	// first request after a write finds when the served stories are
	// unchanged or mostly so).
	const (
		modeCached = iota
		modeCold
		modeChanged
	)
	mode := modeCached
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case modeCold:
			fresh, err := aggregator.New(cfg, db, nil)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fresh.Handler().ServeHTTP(w, r)
		case modeChanged:
			svc.Handler().ServeHTTP(w, r) // a fresh handler has no document cached
		default:
			cached.ServeHTTP(w, r)
		}
	}))
	defer srv.Close()
	client := srv.Client()
	url := srv.URL + cfg.Output.Path
	get := func(etag string) (time.Duration, string, int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, "", 0, err
		}
		req.Header.Set("Accept-Encoding", "gzip")
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", 0, err
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // a loopback read
		resp.Body.Close()
		return time.Since(start), resp.Header.Get("ETag"), resp.StatusCode, nil
	}
	full := func(m int) ([]time.Duration, error) {
		mode = m
		defer func() { mode = modeCached }()
		var ds []time.Duration
		for range 40 {
			d, _, code, err := get("")
			if err != nil {
				return nil, err
			}
			if code != http.StatusOK {
				return nil, fmt.Errorf("GET %s: status %d", url, code)
			}
			ds = append(ds, d)
		}
		return ds, nil
	}
	cold, err := full(modeCold)
	if err != nil {
		return err
	}
	changed, err := full(modeChanged)
	if err != nil {
		return err
	}
	_, etag, _, err := get("")
	if err != nil {
		return err
	}
	var revalidate []time.Duration
	for range 400 {
		d, _, code, err := get(etag)
		if err != nil {
			return err
		}
		if code != http.StatusNotModified {
			return fmt.Errorf("GET %s with If-None-Match: status %d", url, code)
		}
		revalidate = append(revalidate, d)
	}
	m0, p0 := quantiles(cold)
	m1, p1 := quantiles(changed)
	m2, p2 := quantiles(revalidate)
	b.progress("GET /feed.atom at %d stories: uncached cold %v, after a change %v, 304 %v", st.Stories, m0, m1, m2)
	b.add(fmt.Sprintf("5 GET /feed.atom, 100 of %d stories, uncached cold", st.Stories),
		fmt.Sprintf("median %s, p95 %s", ms(m0), ms(p0)), "< 5 ms median at 1,000,000", m0 < 5*time.Millisecond)
	b.add("5 GET /feed.atom, uncached after a change",
		fmt.Sprintf("median %s, p95 %s (entries of unchanged stories reused)", ms(m1), ms(p1)), "< 5 ms median at 1,000,000", m1 < 5*time.Millisecond)
	b.add("5 GET /feed.atom, 304 revalidation",
		fmt.Sprintf("median %s, p95 %s", ms(m2), ms(p2)), "< 1 ms", m2 < time.Millisecond)
	return nil
}

func quantiles(ds []time.Duration) (median, p95 time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)*95/100]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }
