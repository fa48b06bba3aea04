package dedupe_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/aggregator/dedupe"
	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// Stored stories of the benchmark store: story i was published i×step
// before storeBase, so the stores of one density differ only in how much
// history they hold.
var storeBase = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// densities are the steps between stored stories BenchmarkAssign runs
// at, each with its store sizes: a story every 30 s (2,880 a day, 17,280 in
// the ±72 h window: a large deployment, where only stores of 17,280 and
// more fill the window), and one every 9 minutes (160 a day, 960 in the
// window), where even the smallest store fills it, so the sizes compare
// like for like.
var densities = []struct {
	step  time.Duration
	sizes []int
}{
	{30 * time.Second, []int{1_000, 50_000, 1_000_000}},
	{9 * time.Minute, []int{1_000, 1_000_000}},
}

// vocab is an invented vocabulary: words drawn from it with a Zipf
// distribution share common words the way news text does, so SimHash
// bands collide about as often as they do on real feeds.
type vocab struct {
	words []string
	zh    []rune
}

func newVocab() *vocab {
	r := rand.New(rand.NewPCG(7, 7))
	onsets := strings.Fields("b br c ch d dr f g gr h j k l m n p pr r s sh st t tr v w z")
	nuclei := strings.Fields("a e i o u ai ea io ou y")
	codas := []string{"", "", "n", "r", "l", "s", "th", "nd", "m", "x"}
	v := &vocab{zh: []rune("国家城市发展经济合作项目科技教育文化交通能源农业工业企业市场服务社会健康环境水利港口铁路公路桥梁学校医院研究中心政府部门会议计划建设投资贸易出口进口资金技术人才创新数字网络平台标准质量安全生态旅游产品生产销售增长提高推动加强完善实施开展举行签署启动完成扩大支持")}
	v.words = append(v.words, strings.Fields("the of and to in for with on at from after near over new local first said")...)
	seen := map[string]bool{}
	for len(v.words) < 20_000 {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(nuclei[r.IntN(len(nuclei))])
		}
		b.WriteString(codas[r.IntN(len(codas))])
		if w := b.String(); !seen[w] {
			seen[w] = true
			v.words = append(v.words, w)
		}
	}
	return v
}

// text invents n words (or, in Chinese, n characters) from the seed.
func (v *vocab) text(r *rand.Rand, z *rand.Zipf, n int, zh bool) string {
	var b strings.Builder
	for i := range n {
		if zh {
			b.WriteRune(v.zh[int(z.Uint64())%len(v.zh)])
			if i%17 == 16 {
				b.WriteString("，")
			}
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if r.IntN(25) == 0 {
			b.WriteString(strconv.Itoa(r.IntN(2000)))
			continue
		}
		b.WriteString(v.words[z.Uint64()])
	}
	return b.String()
}

// story returns stored story i: title, summary and publication time, the
// same on every call.
func (v *vocab) story(i int, step time.Duration) (title, summary string, pub time.Time) {
	r := rand.New(rand.NewPCG(uint64(i), 1))
	z := rand.NewZipf(r, 1.07, 2, uint64(len(v.words)-1))
	zh := i%7 == 0
	if zh {
		z = rand.NewZipf(r, 1.2, 2, uint64(len(v.zh)-1))
		title = v.text(r, z, 10+r.IntN(10), true)
		summary = "<p>" + v.text(r, z, 60+r.IntN(120), true) + "。</p>"
	} else {
		t := v.text(r, z, 6+r.IntN(8), false)
		title = strings.ToUpper(t[:1]) + t[1:]
		summary = "<p>" + v.text(r, z, 30+r.IntN(60), false) + ".</p>"
	}
	return title, summary, storeBase.Add(-time.Duration(i) * step)
}

func storedItem(d *dedupe.Deduper, v *vocab, i int, step time.Duration) storage.Item {
	title, summary, pub := v.story(i, step)
	feed := i % 500
	it := storage.Item{
		Item: feeds.Item{
			GUID:      "s" + strconv.Itoa(i),
			URL:       fmt.Sprintf("https://outlet%d.example/news/%d.html", feed, i),
			Title:     title,
			Summary:   summary,
			Published: pub,
		},
		FeedURL:   fmt.Sprintf("https://outlet%d.example/rss", feed),
		FeedTitle: fmt.Sprintf("Outlet %d", feed),
		Hash:      "s" + strconv.Itoa(i),
		FirstSeen: pub,
	}
	it.Keys = d.Keys(&it.Item)
	return it
}

// probe returns the item of benchmark iteration n: for even n a copy of
// stored story i from another outlet (decorated title, dateline, summary
// cut short, published an hour later), for odd n a new story published at
// the time of story i.
func probe(v *vocab, i, n int, step time.Duration) storage.Item {
	title, summary, pub := v.story(i, step)
	feed := 500 + n%100
	if n%2 == 1 {
		title, summary, _ = v.story(-1-n, step)
	} else {
		title += " | Outlet " + strconv.Itoa(feed)
		body := strings.TrimSuffix(strings.TrimPrefix(summary, "<p>"), "</p>")
		cut := strings.LastIndexByte(body[:len(body)*3/4], ' ')
		if cut < 0 {
			cut = len(body) * 3 / 4
			for cut > 0 && body[cut]&0xc0 == 0x80 {
				cut--
			}
		}
		summary = "NORTHVALE, Mar. 1 (Outlet) -- " + body[:cut] + "..."
		pub = pub.Add(time.Hour)
	}
	guid := "p" + strconv.Itoa(n)
	return storage.Item{
		Item: feeds.Item{
			GUID:      guid,
			URL:       fmt.Sprintf("https://outlet%d.example/a/%d", feed, n),
			Title:     title,
			Summary:   summary,
			Published: pub,
		},
		FeedURL:   fmt.Sprintf("https://outlet%d.example/rss", feed),
		FeedTitle: fmt.Sprintf("Outlet %d", feed),
		Hash:      guid,
		FirstSeen: pub,
	}
}

// fillStore opens a store in dir holding n stories of one item each,
// written in one transaction.
func fillStore(b *testing.B, dir string, v *vocab, n int, step time.Duration) *sqlite.DB {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, fmt.Sprintf("%d.db", n))
	if step != densities[0].step {
		path = filepath.Join(dir, fmt.Sprintf("%d-%s.db", n, step))
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	if st, err := db.Stats(ctx); err != nil {
		b.Fatal(err)
	} else if st.Stories == int64(n) {
		return db // kept from an earlier run in FEEDMERGE_BENCH_DIR
	}
	start := time.Now()
	// Keys are computed on every core while the store writes.
	d := dedupe.New(dedupe.DefaultOptions())
	items := make(chan storage.Item, 4096)
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			for i := 1 + w; i <= n; i += workers {
				items <- storedItem(d, v, i, step)
			}
		})
	}
	go func() { wg.Wait(); close(items) }()
	err = db.Update(ctx, func(tx storage.Tx) error {
		for it := range items {
			if _, err := tx.PutItem(ctx, &it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Closing checkpoints the write-ahead log and updates the planner's
	// statistics, as a running store does from time to time.
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d stories in %v", n, time.Since(start).Round(time.Millisecond))
	if db, err = sqlite.Open(ctx, path); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkAssign measures Keys and Assign of one new item, in a read
// transaction of a SQLite store holding 1,000 to 1,000,000 stories of
// invented, varied text, at each of the densities. Half the items are
// copies of a stored story, which they must join; half are new stories.
// The cost per item must not grow with the store (issue: within 2x from
// 1,000 to 1,000,000 stories). Items come at=recent, published within
// the store's newest day as a poll's items are, or at=past, in the
// middle of the store's history, as when old items are backfilled. The
// million-story stores take a few minutes each to fill; -short leaves
// them out, and with FEEDMERGE_BENCH_DIR set the stores are kept there
// and reused.
func BenchmarkAssign(b *testing.B) {
	v := newVocab()
	dir := os.Getenv("FEEDMERGE_BENCH_DIR") // keeps the filled stores for the next run
	if dir == "" {
		dir = b.TempDir()
	}
	for _, dn := range densities {
		perDay := int(24 * time.Hour / dn.step)
		for _, n := range dn.sizes {
			for _, recent := range []bool{true, false} {
				at := map[bool]string{true: "recent", false: "past"}[recent]
				b.Run(fmt.Sprintf("perday=%d/stories=%d/at=%s", perDay, n, at), func(b *testing.B) {
					benchAssign(b, v, dir, n, dn.step, recent)
				})
			}
		}
	}
}

func benchAssign(b *testing.B, v *vocab, dir string, n int, step time.Duration, recent bool) {
	if testing.Short() && n > 1_000 {
		b.Skip("fills a million stories")
	}
	db := fillStore(b, dir, v, n, step)
	defer db.Close()
	d := dedupe.New(dedupe.DefaultOptions())
	ctx := b.Context()
	// Recent: stories of the newest day (story 1 is the newest), whose
	// windows hold as many older stories in every store. Past: stories
	// away from the store's ends, so that the window holds as many
	// stories on both sides as the store's density gives.
	lo, hi := 1, min(n, int(24*time.Hour/step))
	if window := int(2 * dedupe.DefaultWindow / step); !recent && n > 2*window {
		lo, hi = n/4, n*3/4
	} else if !recent {
		hi = n
	}
	// More distinct items than the Deduper caches, so that most
	// candidates' features are not cached when they are compared.
	r := rand.New(rand.NewPCG(3, uint64(n)))
	probes := make([]storage.Item, 16_384)
	stories := make([]string, len(probes))
	for i := range probes {
		s := lo + r.IntN(hi-lo+1)
		probes[i], stories[i] = probe(v, s, i, step), "s"+strconv.Itoa(s)
	}
	var joined, copies, cands int
	err := db.View(ctx, func(tx storage.Tx) error {
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			p := i % len(probes)
			it := probes[p]
			it.GUID = it.GUID + "-" + strconv.Itoa(i) // a new item every time
			it.Hash = it.GUID
			it.Keys = d.Keys(&it.Item)
			dec, err := d.Assign(ctx, tx, &it)
			if err != nil {
				return err
			}
			if p%2 == 0 {
				copies++
				if dec.Match != nil && dec.Match.GUID == stories[p] {
					joined++
				}
			}
		}
		b.StopTimer()
		// Candidates per item, outside the timing.
		for _, it := range probes[:200] {
			it.Keys = d.Keys(&it.Item)
			c, err := tx.Candidates(ctx, d.Query(it.Keys, it.Published))
			if err != nil {
				return err
			}
			cands += len(c)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if copies > 0 && joined*100 < copies*95 {
		b.Errorf("%d of %d copies joined their story, want at least 95%%", joined, copies)
	}
	b.ReportMetric(float64(cands)/200, "candidates/item")
	b.ReportMetric(float64(joined)/float64(max(copies, 1)), "joined/copy")
}
