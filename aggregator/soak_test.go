package aggregator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// soakFeed returns an RSS document of the items one outlet published in
// the nine days before now, four a day, each with a few hundred bytes of
// text: it still lists items for two days after they expire.
func soakFeed(outlet int, now time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet %d</title>`, outlet)
	slot := now.Truncate(6 * time.Hour)
	for i := range 36 {
		t := slot.Add(-time.Duration(i) * 6 * time.Hour)
		n := t.Unix()/int64(6*time.Hour/time.Second)*10 + int64(outlet)
		fmt.Fprintf(&b, `<item><guid>s%d</guid><link>https://soak%d.test/%d</link><title>Report %d on w%d and w%d</title>`+
			`<description>%s</description><pubDate>%s</pubDate></item>`,
			n, outlet, n, n, n*7919%10007, n*31%1009, strings.Repeat(fmt.Sprintf("Report %d says w%d grew. ", n, n*13%997), 12),
			t.UTC().Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// TestSoakRetention runs 60 simulated days of five outlets publishing
// steadily, polled twice a day, with retention.max_age 7d: the stored
// stories and the database file level off within the second week and
// stay within 10 % of that level (SQLite reuses the pages removed stories
// free), and no removed item comes back.
func TestSoakRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("60 simulated days")
	}
	f := newFarm(t)
	paths := []string{"/s0", "/s1", "/s2", "/s3", "/s4"}
	svc, store, cfgPath := setup(t, f, "retention:\n  max_age: 7d", paths...)
	db := filepath.Join(filepath.Dir(cfgPath), "test.db")
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	svc.SetClock(clock.now)

	// The database file; its WAL is bounded on its own (reused from the
	// start once copied back, and cut to 64 MiB when it is).
	size := func() int64 {
		fi, err := os.Stat(db)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	type day struct{ stories, bytes int64 }
	var days []day
	for d := range 60 {
		for range 2 {
			clock.add(12 * time.Hour)
			for i, p := range paths {
				f.set(p, farmDoc{body: soakFeed(i, clock.now()), contentType: "application/rss+xml"})
				r := svc.Poll(t.Context(), f.URL+p, true)
				if r.Err != nil {
					t.Fatalf("day %d: poll %s: %v", d, p, r.Err)
				}
				// Two new items every 12 hours, once the first poll has
				// stored the feed's nine days; an expired item the feed
				// still lists never comes back.
				if d > 0 && r.New != 2 {
					t.Fatalf("day %d: poll %s stored %d items, want the 2 new ones", d+1, p, r.New)
				}
			}
			if _, err := svc.Expire(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		st, err := store.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		days = append(days, day{st.Stories, size()})
	}
	for _, d := range []int{6, 13, 20, 30, 45, 59} {
		t.Logf("day %2d: %4d stories, %7d bytes", d+1, days[d].stories, days[d].bytes)
	}
	level := days[13]
	for d := 14; d < len(days); d++ {
		got := days[d]
		if float64(got.stories) > 1.1*float64(level.stories) || float64(got.stories) < 0.9*float64(level.stories) {
			t.Errorf("day %d: %d stories, more than 10 %% from the level %d of day 14", d+1, got.stories, level.stories)
		}
		if float64(got.bytes) > 1.1*float64(level.bytes) {
			t.Errorf("day %d: database %d bytes, more than 10 %% above the level %d of day 14", d+1, got.bytes, level.bytes)
		}
	}
	// 7 days × 4 items a day × 5 outlets, give or take a poll.
	if s := days[len(days)-1].stories; s < 130 || s > 160 {
		t.Errorf("%d stories at the end, want about 140 (a week of items)", s)
	}
}
