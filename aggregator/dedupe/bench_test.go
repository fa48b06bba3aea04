package dedupe

import (
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

func benchItems() []*storage.Item {
	return []*storage.Item{
		item("f1", "Lotus Daily", "a", "https://www.lotusdaily.example/a/WS1.html?utm_source=rss&utm_medium=feed",
			"Guangxi: Guangxi signs 560 technology deals with ASEAN - Lotusdaily.example",
			"<div><p>"+leadEN+" "+otherEN+"</p><p>Source: Lotus Daily</p></div>", t0),
		item("f2", "Harbour Wire", "b", "http://www.harbourwire.example/b.html?ref=rss",
			"Guangxi, ASEAN step up tech ties with 560 deals | Harbour Wire",
			"NANNING, Nov. 26 (Harbour Wire) -- "+leadEN[:200]+"…", t0.Add(time.Hour)),
		item("f3", "绿城新闻网", "c", "https://news.lvcheng.example/c.html",
			"广西与东盟科技合作不断深化_绿城新闻网", "<p>"+leadZH+"</p><p>来源：南岭日报</p>", t0),
	}
}

func BenchmarkKeys(b *testing.B) {
	d := New(DefaultOptions())
	for _, it := range benchItems() {
		b.Run(it.FeedTitle, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = d.Keys(&it.Item)
			}
		})
	}
}

// BenchmarkConfirm measures the confirm step on one candidate: feature
// extraction of both items and the score.
func BenchmarkConfirm(b *testing.B) {
	items := benchItems()
	a, c := items[0], items[1]
	a.Keys = New(DefaultOptions()).Keys(&a.Item)
	c.Keys = New(DefaultOptions()).Keys(&c.Item)
	b.ReportAllocs()
	for b.Loop() {
		sc := scratchPool.Get().(*scratch)
		sc.a.extract(a)
		sc.b.extract(c)
		var d Decision
		confirm(&sc.a, &sc.b, &d)
		scratchPool.Put(sc)
	}
}

// BenchmarkAssignMemory measures Keys and Assign of one item against an
// in-memory store holding a few candidates. The fake store scans, so this
// does not show how Assign scales with the store; BenchmarkAssign does.
func BenchmarkAssignMemory(b *testing.B) {
	d := New(DefaultOptions())
	tx := newFakeTx()
	ctx := b.Context()
	for _, it := range benchItems() {
		it.Keys = d.Keys(&it.Item)
		if _, err := d.Assign(ctx, tx, it); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.PutItem(ctx, it); err != nil {
			b.Fatal(err)
		}
	}
	n := item("f4", "Jade Coast Times", "d", "https://jadecoasttimes.example/d.html",
		"Guangxi signs 560 technology deals with ASEAN — Jade Coast Times", "<p>"+leadEN+"</p>", t0.Add(2*time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		it := *n
		it.Keys = d.Keys(&it.Item)
		if _, err := d.Assign(ctx, tx, &it); err != nil {
			b.Fatal(err)
		}
	}
}
