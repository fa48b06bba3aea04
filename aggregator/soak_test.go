package aggregator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
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
// free), no removed item comes back, and the Go heap the service keeps
// between polls stays flat.
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
	// A ring of items stored lately grows until it holds recentSize
	// (1,024); this test stores fewer in all. A small ring is full
	// within days, so that the heap measured below holds only what
	// stays.
	aggregator.SetRecentSize(svc, 64)

	// The database file; its WAL is bounded on its own (reused from the
	// start once copied back, and cut to 64 MiB when it is).
	size := func() int64 {
		fi, err := os.Stat(db)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// The live Go heap after two collections: what the service keeps
	// between polls. The second collection empties what sync.Pool keeps
	// for one cycle (a compressor of some 600 KiB among it), and live
	// bytes, unlike spans in use, do not move with fragmentation.
	heap := func() int64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	type day struct{ stories, bytes, heap int64 }
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
		f.forget() // the farm's record of requests is not the service's memory
		days = append(days, day{st.Stories, size(), heap()})
	}
	for _, d := range []int{6, 13, 20, 30, 45, 59} {
		t.Logf("day %2d: %4d stories, %7d bytes, live heap %5d KiB", d+1, days[d].stories, days[d].bytes, days[d].heap>>10)
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
	// Memory stays flat once the first week has filled the store and the
	// caches: no day is far above the heap of the first week's end, and
	// the last ten days hold no more than days 15–24 give or take noise
	// (tens of KiB here, with -race too). Keeping 1 KiB of every item
	// stored adds some 750 KiB by the end; keeping every fetched body,
	// several MiB.
	mean := func(from, to int) int64 { // days from to to, counted from 1
		var sum int64
		for _, d := range days[from-1 : to] {
			sum += d.heap
		}
		return sum / int64(to-from+1)
	}
	const spike, drift = 512 << 10, 128 << 10
	heapLevel := mean(8, 14)
	for d := 14; d < len(days); d++ {
		if h := days[d].heap; h > heapLevel+spike {
			t.Errorf("day %d: live heap %d KiB, more than %d KiB above the %d KiB of days 8–14", d+1, h>>10, spike>>10, heapLevel>>10)
		}
	}
	if early, late := mean(15, 24), mean(51, 60); late > early+drift {
		t.Errorf("live heap grew from %d KiB (days 15–24) to %d KiB (days 51–60), more than %d KiB: memory is not flat", early>>10, late>>10, drift>>10)
	}
	// 7 days × 4 items a day × 5 outlets, give or take a poll.
	if s := days[len(days)-1].stories; s < 130 || s > 160 {
		t.Errorf("%d stories at the end, want about 140 (a week of items)", s)
	}
}
