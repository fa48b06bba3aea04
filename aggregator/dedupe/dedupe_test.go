package dedupe

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

const (
	leadEN = "The regional commerce department said on Tuesday that technology cooperation between Guangxi and ten partner countries grew quickly this year. " +
		"More than forty companies signed contracts for satellite data, cloud services and training centres in Nanning. " +
		"Officials expect the first joint laboratory to open in the spring."
	otherEN = "A local logistics group opened a cold store near the border on Monday to handle fruit bound for northern markets. " +
		"The store can hold several thousand tonnes and employs two hundred people, its manager said. " +
		"Farmers welcomed the shorter waiting times at customs."
	leadZH = "自治区商务厅近日表示，今年以来广西与东盟国家在科技领域的合作不断深化，四十多家企业在南宁签订了卫星数据、云服务和培训中心合同。首个联合实验室预计明年春季投入使用。"
)

func item(feed, outlet, guid, url, title, summary string, at time.Time) *storage.Item {
	return &storage.Item{
		Item:    feeds.Item{GUID: guid, URL: url, Title: title, Summary: summary, Published: at},
		FeedURL: feed, FeedTitle: outlet, Hash: guid, FirstSeen: at,
	}
}

// put assigns and stores it and returns the decision.
func put(t *testing.T, d *Deduper, tx *fakeTx, it *storage.Item) Decision {
	t.Helper()
	it.Keys = d.Keys(&it.Item)
	dec, err := d.Assign(t.Context(), tx, it)
	if err != nil {
		t.Fatal(err)
	}
	if dec.StoryID != it.StoryID {
		t.Fatalf("decision story %d, item story %d", dec.StoryID, it.StoryID)
	}
	if _, err := tx.PutItem(t.Context(), it); err != nil {
		t.Fatal(err)
	}
	return dec
}

func TestAssign(t *testing.T) {
	d := New(DefaultOptions())
	tx := newFakeTx()
	orig := item("https://www.lotusdaily.example/rss/business.xml", "Lotus Daily", "tag:lotusdaily.example,2026:WS1",
		"https://www.lotusdaily.example/a/WS1.html?utm_source=rss", "Guangxi signs 560 technology deals with ASEAN",
		"<p>"+leadEN+"</p>", t0)
	if dec := put(t, d, tx, orig); dec.Reason != ReasonNew || dec.StoryID != 0 {
		t.Fatalf("first item: %v, want new", dec)
	}
	story := orig.StoryID

	tests := []struct {
		name   string
		it     *storage.Item
		reason string
		join   bool
	}{
		{"second section feed", item("https://www.lotusdaily.example/rss/regional.xml", "Lotus Daily", "https://lotusdaily.example/a/WS1.html?utm_source=regional",
			"http://lotusdaily.example/a/WS1.html?utm_source=regional#top", "Guangxi signs 560 technology deals with ASEAN", "<p>"+leadEN+"</p>", t0.Add(5*time.Minute)), ReasonURL, true},
		{"republished with source line", item("https://beibuherald.example/feed/", "Beibu Gulf Herald", "4711",
			"https://beibuherald.example/2026/1126/4711.html", "Guangxi: Guangxi signs 560 technology deals with ASEAN - Lotusdaily.example",
			"<div><p>"+leadEN+"</p><p>Source: Lotus Daily</p></div>", t0.Add(20*time.Hour)), ReasonNear, true},
		{"agency rewrite with dateline, cut", item("https://www.harbourwire.example/english/asia.rss", "Harbour Wire", "hw-1",
			"https://www.harbourwire.example/1.html", "Guangxi, ASEAN step up tech ties with 560 deals | Harbour Wire",
			"NANNING, Nov. 26 (Harbour Wire) -- "+leadEN[:170]+"…", t0.Add(3*time.Hour)), ReasonNear, true},
		{"number in title conflicts", item("https://www.redriverpost.example/rss", "Red River Post", "rrp-1",
			"https://www.redriverpost.example/1.html", "Guangxi signs 56 technology deals with ASEAN",
			"<p>"+leadEN+"</p>", t0.Add(time.Hour)), ReasonNew, false},
		{"same title, different body", item("https://jadecoasttimes.example/asean/index.xml", "Jade Coast Times", "jct-1",
			"https://jadecoasttimes.example/1.html", "Guangxi signs 560 technology deals with ASEAN",
			"<p>"+otherEN+"</p>", t0.Add(2*time.Hour)), ReasonNew, false},
		{"outside the window", item("https://beibuherald.example/feed/", "Beibu Gulf Herald", "4800",
			"https://beibuherald.example/2026/1203/4800.html", "Guangxi signs 560 technology deals with ASEAN",
			"<p>"+leadEN+"</p>", t0.Add(7*24*time.Hour)), ReasonNew, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := put(t, d, tx, tt.it)
			if dec.Reason != tt.reason || (dec.StoryID == story) != tt.join {
				t.Errorf("got %v, want reason %s, joins story %d: %v", dec, tt.reason, story, tt.join)
			}
		})
	}
}

func TestAssignRepresentativeOnly(t *testing.T) {
	// B contains A and C is contained in B, but C shares nothing with A:
	// C must not join A's story through B.
	d := New(DefaultOptions())
	tx := newFakeTx()
	s1 := "Officials in Beihai said the new cruise terminal would open next month with berths for four large ships and a customs hall."
	s2 := "The terminal cost about two billion yuan and will employ six hundred people, according to the port operator in the city."
	s3 := "Tour companies from three countries have already booked winter sailings that will stop in the city twice a week."
	s4 := "Hotel owners near the harbour said bookings for the winter season were already higher than in any earlier year."
	a := item("f1", "One", "a", "https://one.example/a", "Beihai cruise terminal to open next month", s1+" "+s2, t0)
	b := item("f2", "Two", "b", "https://two.example/b", "Beihai cruise terminal to open next month", s1+" "+s2+" "+s3+" "+s4, t0.Add(time.Hour))
	c := item("f3", "Three", "c", "https://three.example/c", "Beihai cruise terminal, tour firms book winter sailings", s3+" "+s4, t0.Add(2*time.Hour))
	put(t, d, tx, a)
	if dec := put(t, d, tx, b); b.StoryID != a.StoryID {
		t.Fatalf("B did not join A: %v", dec)
	}
	dec := put(t, d, tx, c)
	if c.StoryID == a.StoryID {
		t.Errorf("C joined A's story through B: %v", dec)
	}
	var fb, fc features
	fb.extract(b)
	fc.extract(c)
	var bc Decision
	confirm(&fc, &fb, &bc)
	if bc.Score < d.opt.Threshold {
		t.Errorf("C does not match B on its own (%v): the test shows nothing", bc)
	}
}

func TestAssignLateEarlierCopy(t *testing.T) {
	d := New(DefaultOptions())
	tx := newFakeTx()
	later := item("f2", "Beibu Gulf Herald", "b", "https://beibuherald.example/b", "Guangxi: Guangxi deepens technology cooperation with ASEAN",
		leadEN+"\nSource: Lotus Daily", t0.Add(6*time.Hour))
	put(t, d, tx, later)
	earlier := item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Guangxi deepens technology cooperation with ASEAN", leadEN, t0)
	dec := put(t, d, tx, earlier)
	if dec.Reason != ReasonNear || earlier.StoryID != later.StoryID {
		t.Fatalf("earlier copy: %v, want near story %d", dec, later.StoryID)
	}
	if !dec.Attributed {
		t.Errorf("attribution not seen: %v", dec)
	}
	if r := tx.items[tx.rep[later.StoryID]]; r.ID != earlier.ID {
		t.Errorf("representative is item %d, want the earlier copy %d", r.ID, earlier.ID)
	}
}

func TestAssignChinese(t *testing.T) {
	d := New(DefaultOptions())
	tx := newFakeTx()
	a := item("f1", "南岭日报", "a", "https://nanlingdaily.example/a", "广西与东盟科技合作不断深化", "<p>"+leadZH+"</p>", t0)
	b := item("f2", "绿城新闻网", "b", "https://lvcheng.example/b", "广西与东盟科技合作不断深化_绿城新闻网",
		"<p>"+leadZH+"</p><p>来源：南岭日报</p>", t0.Add(5*time.Hour))
	c := item("f3", "海湾通讯社", "c", "https://cn.harbourwire.example/c", "广西东盟科技合作提速——海湾通讯社",
		"海湾通讯社南宁11月26日电（记者 黄丽）"+string([]rune(leadZH)[:50])+"…", t0.Add(2*time.Hour))
	n := item("f3", "海湾通讯社", "n", "https://cn.harbourwire.example/n", "广西与东盟科技合作不断深化",
		"<p>今年以来，南宁市民参加各类体育健身活动的人数明显增加，多个新建体育公园相继开放，周末游客络绎不绝。</p>", t0.Add(3*time.Hour))
	put(t, d, tx, a)
	for _, it := range []*storage.Item{b, c} {
		if dec := put(t, d, tx, it); it.StoryID != a.StoryID {
			t.Errorf("%s: %v, want story %d", it.Title, dec, a.StoryID)
		}
	}
	if dec := put(t, d, tx, n); n.StoryID == a.StoryID {
		t.Errorf("different body merged: %v", dec)
	}
}

func TestAssignBoilerplate(t *testing.T) {
	// An outlet that gives every item the same summary: its stories with
	// different titles stay apart, its copies with the same title merge.
	d := New(DefaultOptions())
	tx := newFakeTx()
	const summary = "<p>Read the full story, with photos and video, on the Lotus Daily website, updated around the clock by our reporters in the region.</p>"
	a := item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Guangxi signs technology deals with ASEAN partners", summary, t0)
	b := item("f1", "Lotus Daily", "b", "https://lotusdaily.example/b", "Rail freight to Hanoi doubles as new terminal opens", summary, t0.Add(time.Hour))
	c := item("f2", "Lotus Daily", "c", "https://lotusdaily.example/c", "Guangxi signs technology deals with ASEAN partners", summary, t0.Add(2*time.Hour))
	put(t, d, tx, a)
	if dec := put(t, d, tx, b); b.StoryID == a.StoryID {
		t.Errorf("different titles with boilerplate summary merged: %v", dec)
	}
	if dec := put(t, d, tx, c); c.StoryID != a.StoryID {
		t.Errorf("same title in a second section feed: %v, want story %d", dec, a.StoryID)
	}
}

func TestAssignNearOff(t *testing.T) {
	d := New(Options{Near: false})
	tx := newFakeTx()
	a := item("f1", "One", "a", "https://one.example/a?utm_source=x", "Guangxi deepens technology cooperation with ASEAN", leadEN, t0)
	b := item("f2", "Two", "b", "https://two.example/b", "Guangxi deepens technology cooperation with ASEAN", leadEN, t0)
	c := item("f3", "Three", "https://one.example/a", "https://three.example/c", "Other", "", t0)
	put(t, d, tx, a)
	if dec := put(t, d, tx, b); dec.Reason != ReasonNew {
		t.Errorf("near merge with Near off: %v", dec)
	}
	if dec := put(t, d, tx, c); dec.Reason != ReasonURL || c.StoryID != a.StoryID {
		t.Errorf("GUID that is the URL of a stored item: %v, want url", dec)
	}
}

func TestAssignHomePageURL(t *testing.T) {
	// Feeds that link every item to their home page must not merge by URL.
	d := New(Options{})
	tx := newFakeTx()
	a := item("f1", "One", "a", "https://one.example/", "First story about ports", "", t0)
	b := item("f1", "One", "b", "https://www.one.example", "Second story about rice", "", t0)
	put(t, d, tx, a)
	if dec := put(t, d, tx, b); dec.StoryID != 0 {
		t.Errorf("home page URL merged: %v", dec)
	}
}

func TestExplain(t *testing.T) {
	d := New(DefaultOptions())
	tx := newFakeTx()
	a := item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Guangxi signs 560 technology deals with ASEAN", leadEN, t0)
	put(t, d, tx, a)
	n := item("f2", "Red River Post", "n", "https://redriverpost.example/n", "Guangxi signs 56 technology deals with ASEAN", leadEN, t0)
	put(t, d, tx, n)
	b := item("f3", "Beibu Gulf Herald", "b", "https://beibuherald.example/b", "Guangxi: Guangxi signs 560 technology deals with ASEAN", leadEN, t0.Add(time.Hour))
	b.Keys = d.Keys(&b.Item)
	got, err := d.Explain(context.Background(), tx, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Explain returned %d decisions, want verdict and 2 candidates: %v", len(got), got)
	}
	if got[0].Reason != ReasonNear || got[0].StoryID != a.StoryID {
		t.Errorf("verdict %v, want near story %d", got[0], a.StoryID)
	}
	if got[2].Reason != ReasonReject || got[2].Veto != "numbers" {
		t.Errorf("second candidate %v, want reject with veto numbers", got[2])
	}
	for _, dec := range got {
		s := dec.String()
		if strings.Contains(s, "\n") || !strings.HasPrefix(s, dec.Reason) {
			t.Errorf("String() = %q", s)
		}
	}
	t.Logf("%v\n%v\n%v", got[0], got[1], got[2])
	if b.StoryID != 0 {
		t.Errorf("Explain changed StoryID to %d", b.StoryID)
	}
}

func TestAssignSummaryIsTitle(t *testing.T) {
	// Some feeds repeat the title as the summary: such a copy is judged
	// by its title, not by a text that is not the article's.
	d := New(DefaultOptions())
	tx := newFakeTx()
	const title = "Guangxi signs 560 technology deals with ASEAN partners"
	a := item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", title, leadEN, t0)
	b := item("f2", "Jade Coast Times", "b", "https://jadecoasttimes.example/b", title+" — Jade Coast Times", title, t0.Add(3*time.Hour))
	put(t, d, tx, a)
	if dec := put(t, d, tx, b); b.StoryID != a.StoryID {
		t.Errorf("copy with its title as summary: %v, want story %d", dec, a.StoryID)
	}
}

func TestKeysConcurrent(t *testing.T) {
	d := New(DefaultOptions())
	items := benchItems()
	want := make([]storage.Keys, len(items))
	for i, it := range items {
		want[i] = d.Keys(&it.Item)
	}
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for range 200 {
				for i, it := range items {
					if got := d.Keys(&it.Item); got != want[i] && err == nil {
						err = fmt.Errorf("Keys(%q) = %+v, want %+v", it.Title, got, want[i])
					}
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
