package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the tombstone count reads the file directly

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/internal/feedfarm"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// longEpoch is where the simulated clock of -days starts, so that runs
// with the same flags publish the same items.
var longEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// clock is the simulated time of a long run.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// daySample is what a long run measured at the end of one simulated day.
type daySample struct {
	day             int
	stored          int   // items stored that day
	stories, items  int64 // in the store
	tombstones      int64 // -1 when the table cannot be read
	dbSize, walSize int64 // bytes of the database file and its WAL
	heap, rss       int64 // Go heap in use after a GC, resident set
}

// long runs -days: a farm publishing steadily on a simulated clock,
// polled in this process every -poll-every with retention on, sampled at
// the end of every simulated day. It prints a table and a verdict on
// whether the stored stories and the database file levelled off.
func (b *bench) long(ctx context.Context, stdout io.Writer) error {
	o := b.o
	if o.pollEvery <= 0 || o.pollEvery > 24*time.Hour || (24*time.Hour)%o.pollEvery != 0 {
		return fmt.Errorf("-poll-every %v: want a divisor of 24h", o.pollEvery)
	}
	if o.perDay <= 0 {
		return fmt.Errorf("-per-day %d: want at least 1", o.perDay)
	}
	rounds := int(24 * time.Hour / o.pollEvery) // polls a day
	// Each round, n new items in every every-th feed (a different share
	// each round): perDay a feed a day, as near as whole numbers allow.
	n, every := max(1, o.perDay/rounds), 1
	if o.perDay < rounds {
		every = (rounds + o.perDay/2) / o.perDay
	}
	perDay := float64(rounds*n) / float64(every)

	clk := &clock{t: longEpoch}
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: o.feeds, Items: o.items, Seed: o.seed, Epoch: longEpoch,
		Changing: 1 / float64(every), Regional: o.regional})
	if err != nil {
		return err
	}
	defer fm.Close()

	config := filepath.Join(b.dir, "config.yaml")
	dbPath := filepath.Join(b.dir, "feedmerge.db")
	var y strings.Builder
	header := fmt.Sprintf("listen: 127.0.0.1:0\ndatabase: feedmerge.db\nschedule: \"@every %v\"\nconcurrency: %d\n"+
		"fetch:\n  per_host: %d\n  host_delay: 0s\nretention:\n  max_age: %s\n  max_stories: 0\n",
		o.pollEvery, concurrency, perHost, o.maxAge)
	if err := fm.WriteConfig(&y, header); err != nil {
		return err
	}
	if err := os.WriteFile(config, []byte(y.String()), 0o644); err != nil {
		return err
	}
	cfg, err := aggregator.LoadConfig(config)
	if err != nil {
		return fmt.Errorf("-max-age %s: %w", o.maxAge, err)
	}
	maxAge := cfg.Retention.MaxAgeOrDefault()
	if maxAge <= 0 {
		return fmt.Errorf("-max-age %s: want a positive age, so that retention runs", o.maxAge)
	}
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close() // after the explicit Close below, a no-op
	db.Now = clk.now
	svc, err := aggregator.New(cfg, db, nil)
	if err != nil {
		return err
	}
	svc.SetClock(clk.now)
	tomb := openTombstones(dbPath)
	defer tomb.close()

	fmt.Fprintf(stdout, "feedbench -days %d: %d feeds listing %d items each, %.3g new items a feed a day, polled every %v; "+
		"retention.max_age %v; simulated from %s; %s\n",
		o.days, o.feeds, o.items, perDay, shortDuration(o.pollEvery), o.maxAge, longEpoch.Format("2006-01-02"),
		time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(stdout, "in process (heap and RSS include the farm): concurrency %d, fetch.per_host %d; GOMAXPROCS %d, %s\n",
		concurrency, perHost, runtime.GOMAXPROCS(0), runtime.Version())
	// Fixed widths rather than a tabwriter, so that each day is printed
	// as soon as it is measured.
	const row = "%4s %6s %8s %8s %10s %8s %8s %8s %8s\n"
	fmt.Fprintf(stdout, row, "DAY", "NEW", "STORIES", "ITEMS", "TOMBSTONES", "DB_MiB", "WAL_MiB", "HEAP_MiB", "RSS_MiB")
	line := func(s daySample) {
		ts := "-"
		if s.tombstones >= 0 {
			ts = strconv.FormatInt(s.tombstones, 10)
		}
		fmt.Fprintf(stdout, row, strconv.Itoa(s.day), strconv.Itoa(s.stored), strconv.FormatInt(s.stories, 10),
			strconv.FormatInt(s.items, 10), ts, fmt.Sprintf("%.2f", mibf(s.dbSize)), fmt.Sprintf("%.2f", mibf(s.walSize)),
			fmt.Sprintf("%.1f", mibf(s.heap)), fmt.Sprintf("%.1f", mibf(s.rss)))
	}

	start := time.Now()
	var samples []daySample
	var cur daySample
	poll := func() error {
		results := svc.PollAll(ctx, false)
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, r := range results {
			cur.stored += r.New
			if r.Outcome == aggregator.OutcomeFailed || r.Outcome == aggregator.OutcomeThrottled {
				return fmt.Errorf("day %d: poll %s: %v", cur.day, r.URL, r.Err)
			}
		}
		// The daemon expires in the background within a minute;
		// here, after every round of polls.
		if _, err := svc.Expire(ctx); err != nil {
			return fmt.Errorf("day %d: expire: %w", cur.day, err)
		}
		return nil
	}
	sample := func() error {
		st, err := db.Stats(ctx)
		if err != nil {
			return err
		}
		cur.stories, cur.items = st.Stories, st.Items
		cur.tombstones = tomb.count(ctx)
		cur.dbSize, cur.walSize = fileSize(dbPath), fileSize(dbPath+"-wal")
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		cur.heap, cur.rss = int64(ms.HeapInuse), procStatus(os.Getpid(), "VmRSS")
		samples = append(samples, cur)
		if cur.day%max(1, o.reportEvery) == 0 || cur.day == o.days {
			line(cur)
		}
		cur = daySample{day: cur.day + 1}
		return nil
	}

	// Day 0: the first poll stores what the farm listed at the start.
	if err := poll(); err != nil {
		return err
	}
	if err := sample(); err != nil {
		return err
	}
	for range o.days {
		for range rounds {
			from := clk.now()
			to := clk.add(o.pollEvery)
			fm.PublishAt(n, from.Add(time.Second), to.Add(-time.Second))
			if err := poll(); err != nil {
				return err
			}
		}
		if err := sample(); err != nil {
			return err
		}
		b.progress("day %d of %d: %d stories (%v)", cur.day-1, o.days, samples[len(samples)-1].stories, time.Since(start).Round(time.Second))
	}
	took := time.Since(start)
	tomb.close()
	if err := db.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "closed: database file %d bytes (WAL checkpointed into it); %d simulated days in %s\n",
		fileSize(dbPath), o.days, secs(took))
	fmt.Fprintln(stdout, verdict(samples, levelDay(maxAge)))
	return nil
}

// levelDay is the simulated day whose figures the rest of a run is
// compared with: two retention ages in, and at least two weeks, by when
// stories expire as fast as they arrive and the tombstones of items
// their feeds stopped listing are dropped as fast as they are made.
func levelDay(maxAge time.Duration) int {
	return max(14, int((2*maxAge+24*time.Hour-1)/(24*time.Hour)))
}

// verdict says whether the stored stories stayed within 10 % of their
// level, and the database file at most 10 % above its level, on every
// day after day level; a level is the mean of the week that ends on day
// level (one day's stories vary with how many copies the farm's new
// stories happen to have). It adds the heap and resident memory at day
// level and at the end.
func verdict(s []daySample, level int) string {
	if len(s) <= level+1 {
		return fmt.Sprintf("verdict: too short to tell; the level is taken at day %d, so run more than %d days", level, level+1)
	}
	var stories, db float64
	for _, d := range s[level-6 : level+1] {
		stories += float64(d.stories) / 7
		db += float64(d.dbSize) / 7
	}
	var storyDev, dbDev float64 // largest deviations, in %
	for _, d := range s[level+1:] {
		storyDev = max(storyDev, 100*abs(float64(d.stories)/max(stories, 1)-1))
		dbDev = max(dbDev, 100*(float64(d.dbSize)/max(db, 1)-1))
	}
	lv, last := s[level], s[len(s)-1]
	what := "levelled off"
	if storyDev > 10 || dbDev > 10 {
		what = "did NOT level off"
	}
	return fmt.Sprintf("verdict: %s: on days %d–%d stories stayed within %.1f %% of %.0f and the database file at most %+.1f %% from %.2f MiB, "+
		"their means over days %d–%d (bars ±10 %% and +10 %%); heap in use %.1f → %.1f MiB, RSS %.1f → %.1f MiB from day %d to %d",
		what, level+1, last.day, storyDev, stories, dbDev, db/(1<<20), level-6, level,
		mibf(lv.heap), mibf(last.heap), mibf(lv.rss), mibf(last.rss), level, last.day)
}

// shortDuration spells d as time.Duration does without its zero
// minutes and seconds: 6h, 1h30m, 90s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

func abs(x float64) float64 { return max(x, -x) }

func mibf(n int64) float64 { return float64(n) / (1 << 20) }

// procStatus returns the value in bytes of a kB field (VmRSS, VmHWM) of
// /proc/PID/status, or 0 when it cannot be read (the process is gone).
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// tombstones counts a SQLite database's tombstones on a read-only
// connection of its own. The store's interface has no such count, and
// the long run should show it without changing the store; it is -1 once
// the table cannot be read (a schema without it).
type tombstones struct {
	db     *sql.DB
	broken bool
}

func openTombstones(path string) *tombstones {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return &tombstones{broken: true}
	}
	db.SetMaxOpenConns(1)
	return &tombstones{db: db}
}

func (t *tombstones) count(ctx context.Context) int64 {
	if t.broken {
		return -1
	}
	var n int64
	if err := t.db.QueryRowContext(ctx, `SELECT count(*) FROM tombstones`).Scan(&n); err != nil {
		t.broken = true
		return -1
	}
	return n
}

func (t *tombstones) close() {
	if t.db != nil {
		t.db.Close()
		t.db = nil
	}
	t.broken = true
}
