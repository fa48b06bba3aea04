package aggregator_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/internal/feedfarm"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

var farmFeeds = flag.Int("farm.feeds", 0, "feeds in TestFarmPoll (default 1,000; 100 with -short or -race)")

// farmService starts a service with a fresh SQLite store on a config
// listing every feed of fm.
func farmService(t testing.TB, fm *feedfarm.Farm, schedule string) (*aggregator.Service, *sqlite.DB) {
	t.Helper()
	dir := t.TempDir()
	var cfg bytes.Buffer
	header := fmt.Sprintf("database: %s\nschedule: %q\nconcurrency: 16\nfetch:\n  per_host: 4\n  host_delay: 0s\n  timeout: 10s\n",
		filepath.Join(dir, "feedmerge.db"), schedule)
	if err := fm.WriteConfig(&cfg, header); err != nil {
		t.Fatal(err)
	}
	c, err := aggregator.ParseConfig(filepath.Join(dir, "config.yaml"), cfg.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), c.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, err := aggregator.New(c, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return svc, db
}

// missing returns how many of the farm's served items are not stored.
func missing(t testing.TB, ctx context.Context, db storage.Store, want map[string][]string) (lost, total int) {
	t.Helper()
	err := db.View(ctx, func(tx storage.Tx) error {
		for u, guids := range want {
			stored, err := tx.ItemsByGUID(ctx, u, guids)
			if err != nil {
				return err
			}
			for _, g := range guids {
				total++
				if _, ok := stored[g]; !ok {
					if lost < 5 {
						t.Errorf("item %s of %s not stored", g, u)
					}
					lost++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lost, total
}

// wantState is the state each fault must leave in Status.
var wantState = map[feedfarm.Fault]string{
	feedfarm.Healthy:     storage.StateOK,
	feedfarm.Slow:        storage.StateOK,
	feedfarm.Redirect:    storage.StateMoved,
	feedfarm.ServerError: storage.StateError,
	feedfarm.NotFound:    storage.StateError,
	feedfarm.Truncated:   storage.StateError,
	feedfarm.Gone:        storage.StateGone,
	feedfarm.Throttled:   storage.StateThrottled,
}

// TestFarmPoll polls a farm of 1,000 feeds (-farm.feeds; 100 under -short
// or -race, where SQLite is too slow for more) of which every
// tenth misbehaves: one cycle stores every item of every serving feed and
// leaves each faulty feed in its state; a second cycle at once sends no
// unconditional request to a feed that supplied validators and none at
// all to feeds under Retry-After or max-age; after new items are
// published a third stores them all.
func TestFarmPoll(t *testing.T) {
	n := *farmFeeds
	if n <= 0 {
		n = 1000
		if testing.Short() || raceEnabled {
			n = 100
		}
	}
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: n, Seed: 4, FaultEvery: 10,
		SlowDelay: 500 * time.Millisecond, MaxAge: 3600, MaxAgeEvery: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	svc, db := farmService(t, fm, "@every 15m")
	ctx := t.Context()

	start := time.Now()
	svc.PollAll(ctx, false)
	t.Logf("first cycle: %d feeds in %v, farm %+v", n, time.Since(start).Round(time.Millisecond), counts(fm.Stats()))
	if lost, total := missing(t, ctx, db, fm.Expected()); lost > 0 {
		t.Errorf("%d of %d served items not stored", lost, total)
	}

	status, err := svc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	farmFeeds := fm.Feeds()
	states := map[string]int{}
	for i, st := range status {
		f := farmFeeds[i]
		states[f.Fault.String()+"→"+st.State]++
		if want := wantState[f.Fault]; st.State != want {
			t.Errorf("feed %d (%s): state %q (%s), want %q", i, f.Fault, st.State, st.LastError, want)
		}
	}
	t.Logf("states by fault: %v", states)

	fm.ResetStats()
	start = time.Now()
	results := svc.PollAll(ctx, false)
	took := time.Since(start)
	st := fm.Stats()
	outcomes := map[aggregator.Outcome]int{}
	for _, r := range results {
		outcomes[r.Outcome]++
	}
	t.Logf("second cycle at once: %v, outcomes %v, farm %+v", took.Round(time.Millisecond), outcomes, counts(st))
	if st.Unconditional != 0 {
		t.Errorf("second cycle: %d unconditional requests to feeds that had sent validators, want 0", st.Unconditional)
	}
	var waiting, asked int64
	for i, f := range farmFeeds {
		if f.MaxAge > 0 || f.Fault == feedfarm.Throttled || f.Fault == feedfarm.Gone {
			waiting++
			asked += st.PerFeed[i].Requests
			if st.PerFeed[i].Requests != 0 {
				t.Errorf("feed %d (%s, max-age %d): %d requests in the second cycle, want 0", i, f.Fault, f.MaxAge, st.PerFeed[i].Requests)
			}
		}
		if f.Validators && st.PerFeed[i].OK != 0 {
			t.Errorf("feed %d: unchanged but downloaded in full %d times", i, st.PerFeed[i].OK)
		}
	}
	t.Logf("second cycle: %d requests to %d feeds under Retry-After, max-age or 410", asked, waiting)

	changed := fm.Publish(2)
	fm.ResetStats()
	svc.PollAll(ctx, false)
	t.Logf("after publishing to %d feeds: farm %+v", changed, counts(fm.Stats()))
	due := fm.Expected()
	for _, f := range farmFeeds {
		if f.MaxAge > 0 {
			delete(due, f.URL) // not to be polled again yet
		}
	}
	if lost, total := missing(t, ctx, db, due); lost > 0 {
		t.Errorf("after Publish: %d of %d served items not stored", lost, total)
	}
}

// counts is Stats without the per-feed table, for logs.
func counts(s feedfarm.Stats) feedfarm.Stats {
	s.PerFeed = nil
	return s
}

// TestFarmDay drives the scheduler's due times with a simulated clock over
// 24 hours: with schedule "@every 15m" and feeds sending max-age=3600,
// each feed is fetched about once an hour, not 96 times.
func TestFarmDay(t *testing.T) {
	epoch := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: 20, Items: 5, Seed: 5, Epoch: epoch, MaxAge: 3600, Hosts: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	svc, _ := farmService(t, fm, "@every 15m")
	var (
		mu  sync.Mutex
		now = epoch
	)
	svc.SetClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})
	ctx := t.Context()
	end := epoch.Add(24 * time.Hour)
	for ; now.Before(end); now = now.Add(time.Minute) {
		status, err := svc.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range status {
			if !st.Due.After(now) {
				if r := svc.Poll(ctx, st.URL, false); r.Outcome != aggregator.OutcomeFetched && r.Outcome != aggregator.OutcomeNotModified {
					t.Fatalf("%s at %s: %s: %v", st.URL, now.Format(time.TimeOnly), r.Outcome, r.Err)
				}
			}
		}
		if now.Minute() == 0 && now.Hour()%6 == 0 && now.After(epoch) {
			fm.Publish(1)
		}
	}
	st := fm.Stats()
	lo, hi := int64(1<<62), int64(0)
	for _, f := range st.PerFeed {
		lo, hi = min(lo, f.Requests), max(hi, f.Requests)
	}
	t.Logf("24 simulated hours, @every 15m, max-age=3600: %d requests to %d feeds, %d to %d per feed (%d 200s, %d 304s, %d unconditional refetches); without max-age it would be 96 per feed",
		st.Requests, len(st.PerFeed), lo, hi, st.OK, st.NotModified, st.Unconditional)
	if lo < 23 || hi > 25 {
		t.Errorf("requests per feed in a day: %d to %d, want about 24", lo, hi)
	}
	if st.Unconditional != 0 {
		t.Errorf("%d unconditional refetches", st.Unconditional)
	}
}
