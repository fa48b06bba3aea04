package aggregator_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// farm is a local feed server that records what it receives.
type farm struct {
	*httptest.Server
	mu       sync.Mutex
	docs     map[string]farmDoc
	requests map[string][]*http.Request
	active   map[string]int // requests in progress per path
	overlap  map[string]bool
}

type farmDoc struct {
	body        []byte
	contentType string
	etag        string
	status      int
	header      http.Header
	delay       time.Duration
}

func newFarm(t testing.TB) *farm {
	t.Helper()
	f := &farm{docs: map[string]farmDoc{}, requests: map[string][]*http.Request{}, active: map[string]int{}, overlap: map[string]bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *farm) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests[r.URL.Path] = append(f.requests[r.URL.Path], r.Clone(context.Background()))
	d, ok := f.docs[r.URL.Path]
	f.active[r.URL.Path]++
	if f.active[r.URL.Path] > 1 {
		f.overlap[r.URL.Path] = true
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.active[r.URL.Path]--
		f.mu.Unlock()
	}()
	if d.delay > 0 {
		time.Sleep(d.delay)
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	for k, v := range d.header {
		w.Header()[k] = v
	}
	if d.status != 0 {
		w.WriteHeader(d.status)
		w.Write(d.body)
		return
	}
	if d.etag != "" {
		w.Header().Set("ETag", d.etag)
		if r.Header.Get("If-None-Match") == d.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", d.contentType)
	w.Write(d.body)
}

func (f *farm) set(path string, d farmDoc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[path] = d
}

func (f *farm) got(path string) []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.requests[path]...)
}

// forget drops the requests f has recorded, so that a long test does
// not measure them as memory the service holds.
func (f *farm) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.requests)
}

type rssItem struct{ guid, link, title, desc, date string }

func rss(title string, items ...rssItem) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>%s</title><link>https://example.test/</link>`, title)
	for _, it := range items {
		fmt.Fprintf(&b, `<item><guid>%s</guid><link>%s</link><title>%s</title><description>%s</description><pubDate>%s</pubDate></item>`,
			it.guid, it.link, it.title, it.desc, it.date)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

func date(ago time.Duration) string { return time.Now().Add(-ago).UTC().Format(time.RFC1123Z) }

// setup writes a config for the farm's paths and opens a service on a
// temporary SQLite database.
func setup(t testing.TB, f *farm, extra string, paths ...string) (*aggregator.Service, storage.Store, string) {
	t.Helper()
	dir := t.TempDir()
	var y strings.Builder
	fmt.Fprintf(&y, "database: test.db\nschedule: \"@every 1h\"\nfetch:\n  host_delay: 0s\n  per_host: 8\n%s\nfeeds:\n", extra)
	for _, p := range paths {
		fmt.Fprintf(&y, "  - url: %s%s\n    title: outlet %s\n", f.URL, p, strings.Trim(p, "/"))
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(y.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	svc, store := open(t, path)
	return svc, store, path
}

func open(t testing.TB, path string) (*aggregator.Service, storage.Store) {
	t.Helper()
	cfg, err := aggregator.LoadConfig(path)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	store, err := sqlite.Open(t.Context(), cfg.DatabasePath())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	svc, err := aggregator.New(cfg, store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	return svc, store
}

// atomDoc is the part of the served Atom feed the tests read.
type atomDoc struct {
	Entries []struct {
		ID    string `xml:"id"`
		Title string `xml:"title"`
		Links []struct {
			Rel   string `xml:"rel,attr"`
			Href  string `xml:"href,attr"`
			Title string `xml:"title,attr"`
		} `xml:"link"`
		Summary string `xml:"summary"`
		Content string `xml:"content"`
	} `xml:"entry"`
}

func serveFeed(t *testing.T, svc *aggregator.Service) (atomDoc, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/feed.atom", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /feed.atom: status %d: %s", rec.Code, rec.Body)
	}
	var doc atomDoc
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("served feed is not well-formed XML: %v", err)
	}
	return doc, rec.Body.String()
}

func TestSyndicatedStoryServedOnce(t *testing.T) {
	f := newFarm(t)
	body := "Guangxi signed 560 agreements on technology, trade and training with ASEAN partners at the expo in Nanning, officials said on Tuesday."
	f.set("/a", farmDoc{contentType: "application/rss+xml", body: rss("A",
		rssItem{"a-1", "https://news.example.test/guangxi-560?utm_source=rss", "Guangxi signs 560 agreements with ASEAN partners", body, date(5 * time.Hour)},
		rssItem{"a-2", "https://news.example.test/other", "Rail link opens", "Trains run daily from Monday.", date(6 * time.Hour)})})
	f.set("/b", farmDoc{contentType: "application/rss+xml", body: rss("B",
		rssItem{"tag:b.test,2026:77", "http://www.news.example.test/guangxi-560#top", "Guangxi: Guangxi signs 560 agreements with ASEAN partners - B Daily", body[:90], date(4 * time.Hour)})})
	f.set("/c", farmDoc{contentType: "application/rss+xml", body: rss("C",
		rssItem{"9911", "https://news.example.test/guangxi-560?fbclid=xyz", "Guangxi signs 560 agreements with ASEAN partners | C Wire", body, date(3 * time.Hour)})})
	svc, _, _ := setup(t, f, "", "/a", "/b", "/c")

	for _, r := range svc.PollAll(t.Context(), false) {
		if r.Err != nil {
			t.Fatalf("poll %s: %v", r.URL, r.Err)
		}
	}
	doc, _ := serveFeed(t, svc)
	if got, want := len(doc.Entries), 2; got != want {
		t.Fatalf("served %d entries, want %d (the syndicated story once, plus the other story)", got, want)
	}
	var story = doc.Entries[1]
	if !strings.Contains(story.Title, "560") {
		story = doc.Entries[0]
	}
	var alternate, related []string
	for _, l := range story.Links {
		switch l.Rel {
		case "alternate", "":
			alternate = append(alternate, l.Href)
		case "related":
			related = append(related, l.Title)
		}
	}
	if len(alternate) != 1 || !strings.Contains(alternate[0], "utm_source") {
		t.Errorf("alternate links = %v, want only the earliest copy's (outlet a)", alternate)
	}
	if len(related) != 2 {
		t.Errorf("related links = %v, want the two other outlets", related)
	}
}

func TestSecondPollSendsValidators(t *testing.T) {
	f := newFarm(t)
	f.set("/feed", farmDoc{contentType: "application/rss+xml", etag: `"v1"`, body: rss("Feed",
		rssItem{"1", "https://example.test/1", "One", "First item.", date(time.Hour)})})
	svc, _, _ := setup(t, f, "", "/feed")

	if r := svc.Poll(t.Context(), f.URL+"/feed", false); r.Outcome != aggregator.OutcomeFetched || r.New != 1 {
		t.Fatalf("first poll = %+v, want fetched with 1 new item", r)
	}
	r := svc.Poll(t.Context(), f.URL+"/feed", true)
	if r.Outcome != aggregator.OutcomeNotModified {
		t.Fatalf("second poll outcome = %s (%v), want not-modified", r.Outcome, r.Err)
	}
	reqs := f.got("/feed")
	if got := reqs[1].Header.Get("If-None-Match"); got != `"v1"` {
		t.Errorf("second request If-None-Match = %q, want %q", got, `"v1"`)
	}
}

func TestGBKTitleIsUTF8(t *testing.T) {
	f := newFarm(t)
	doc := `<?xml version="1.0" encoding="GBK"?><rss version="2.0"><channel><title>南宁晚报</title><link>https://nn.test/</link>` +
		`<item><guid>g1</guid><link>https://nn.test/1</link><title>广西与东盟签署合作协议</title><description>南宁消息</description></item></channel></rss>`
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(doc)
	if err != nil {
		t.Fatal(err)
	}
	f.set("/gbk", farmDoc{contentType: "application/rss+xml", body: []byte(gbk)})
	svc, _, _ := setup(t, f, "", "/gbk")
	if r := svc.Poll(t.Context(), f.URL+"/gbk", false); r.Err != nil {
		t.Fatal(r.Err)
	}
	got, _ := serveFeed(t, svc)
	if len(got.Entries) != 1 || got.Entries[0].Title != "广西与东盟签署合作协议" {
		t.Fatalf("entries = %+v, want the GBK title decoded to UTF-8", got.Entries)
	}
}

func TestBrokenFeedsReportedOthersMerged(t *testing.T) {
	f := newFarm(t)
	f.set("/ok", farmDoc{contentType: "application/rss+xml", body: rss("OK",
		rssItem{"1", "https://example.test/1", "Fine story", "Body.", date(time.Hour)})})
	f.set("/500", farmDoc{status: 500, body: []byte("boom")})
	f.set("/garbage", farmDoc{contentType: "application/rss+xml", body: []byte("<rss><channel><item><title>unterminated")})
	f.set("/html", farmDoc{contentType: "text/html", body: []byte(`<html><head><link rel="alternate" type="application/rss+xml" href="/real.xml"></head><body>hi</body></html>`)})
	svc, _, _ := setup(t, f, "", "/ok", "/500", "/garbage", "/html")

	results := svc.PollAll(t.Context(), false)
	byURL := map[string]aggregator.Result{}
	for _, r := range results {
		byURL[strings.TrimPrefix(r.URL, f.URL)] = r
	}
	if r := byURL["/ok"]; r.Outcome != aggregator.OutcomeFetched || r.New != 1 {
		t.Errorf("/ok: %+v, want fetched", r)
	}
	for _, p := range []string{"/500", "/garbage", "/html"} {
		r := byURL[p]
		if r.Outcome != aggregator.OutcomeFailed || r.Err == nil || strings.Contains(r.Err.Error(), "\n") {
			t.Errorf("%s: outcome %s err %v, want failed with a one-line error", p, r.Outcome, r.Err)
		}
	}
	if err := byURL["/html"].Err; err == nil || !strings.Contains(err.Error(), f.URL+"/real.xml") {
		t.Errorf("/html error = %v, want it to name the linked feed", err)
	}
	status, err := svc.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range status {
		want := storage.StateError
		if strings.HasSuffix(s.URL, "/ok") {
			want = storage.StateOK
		}
		if s.State != want {
			t.Errorf("status of %s = %s, want %s", s.URL, s.State, want)
		}
		if want == storage.StateError && (s.Errors != 1 || s.LastError == "") {
			t.Errorf("status of %s: errors %d, last error %q", s.URL, s.Errors, s.LastError)
		}
	}
	doc, _ := serveFeed(t, svc)
	if len(doc.Entries) != 1 {
		t.Errorf("served %d entries, want 1", len(doc.Entries))
	}
}

func TestScriptNeverReachesOutput(t *testing.T) {
	f := newFarm(t)
	desc := `&lt;p onclick="steal()"&gt;Hello&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href="javascript:alert(2)"&gt;x&lt;/a&gt;&lt;/p&gt;`
	f.set("/x", farmDoc{contentType: "application/rss+xml", body: rss("X",
		rssItem{"1", "https://example.test/1", "Story", desc, date(time.Hour)})})
	svc, _, _ := setup(t, f, "", "/x")
	if r := svc.Poll(t.Context(), f.URL+"/x", false); r.Err != nil {
		t.Fatal(r.Err)
	}
	doc, raw := serveFeed(t, svc)
	if len(doc.Entries) != 1 || !strings.Contains(doc.Entries[0].Summary+doc.Entries[0].Content, "Hello") {
		t.Fatalf("entries = %+v, want the item with its text", doc.Entries)
	}
	for _, bad := range []string{"script", "onclick", "javascript:"} {
		if strings.Contains(strings.ToLower(raw), bad) {
			t.Errorf("served feed contains %q:\n%s", bad, raw)
		}
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	f := newFarm(t)
	f.set("/feed", farmDoc{contentType: "application/rss+xml", etag: `"e1"`, body: rss("Feed",
		rssItem{"1", "https://example.test/1", "One", "First.", date(2 * time.Hour)},
		rssItem{"2", "https://example.test/2", "Two", "Second.", date(time.Hour)})})
	svc, store, path := setup(t, f, "", "/feed")
	svc.PollAll(t.Context(), false)
	before, _ := serveFeed(t, svc)
	store.Close()

	// The feed now fails; nothing stored may be lost.
	f.set("/feed", farmDoc{status: 500})
	svc2, _ := open(t, path)
	r := svc2.Poll(t.Context(), f.URL+"/feed", true)
	if r.Outcome != aggregator.OutcomeFailed {
		t.Fatalf("poll after restart = %s, want failed", r.Outcome)
	}
	after, _ := serveFeed(t, svc2)
	if len(after.Entries) != 2 || len(before.Entries) != 2 {
		t.Fatalf("entries before %d, after restart and a failed fetch %d; want 2 and 2", len(before.Entries), len(after.Entries))
	}
	for i := range before.Entries {
		if before.Entries[i].ID != after.Entries[i].ID {
			t.Errorf("entry %d id changed from %s to %s", i, before.Entries[i].ID, after.Entries[i].ID)
		}
	}
	f.set("/feed", farmDoc{contentType: "application/rss+xml", etag: `"e1"`})
	svc2.Poll(t.Context(), f.URL+"/feed", true)
	reqs := f.got("/feed")
	if got := reqs[len(reqs)-1].Header.Get("If-None-Match"); got != `"e1"` {
		t.Errorf("after restart If-None-Match = %q, want the stored %q", got, `"e1"`)
	}
}

func TestUpdatedItemKeepsItsEntry(t *testing.T) {
	f := newFarm(t)
	f.set("/feed", farmDoc{contentType: "application/rss+xml", body: rss("Feed",
		rssItem{"1", "https://example.test/1", "Original title", "Body.", date(time.Hour)})})
	svc, _, _ := setup(t, f, "", "/feed")
	svc.Poll(t.Context(), f.URL+"/feed", true)
	before, _ := serveFeed(t, svc)
	f.set("/feed", farmDoc{contentType: "application/rss+xml", body: rss("Feed",
		rssItem{"1", "https://example.test/1", "Corrected title", "Body, corrected.", date(time.Hour)})})
	r := svc.Poll(t.Context(), f.URL+"/feed", true)
	if r.New != 0 || r.Updated != 1 {
		t.Fatalf("second poll: new %d updated %d, want 0 and 1", r.New, r.Updated)
	}
	after, _ := serveFeed(t, svc)
	if len(after.Entries) != 1 || after.Entries[0].ID != before.Entries[0].ID || after.Entries[0].Title != "Corrected title" {
		t.Fatalf("after update: %+v, want one entry, same id, new title", after.Entries)
	}
}

func TestRetryAfterSkipsFeed(t *testing.T) {
	f := newFarm(t)
	f.set("/busy", farmDoc{status: http.StatusTooManyRequests, header: http.Header{"Retry-After": {"3600"}}})
	svc, _, _ := setup(t, f, "", "/busy")
	if r := svc.Poll(t.Context(), f.URL+"/busy", false); r.Outcome != aggregator.OutcomeThrottled {
		t.Fatalf("poll = %s (%v), want throttled", r.Outcome, r.Err)
	}
	r := svc.Poll(t.Context(), f.URL+"/busy", false)
	if r.Outcome != aggregator.OutcomeSkipped || time.Until(r.NextPoll) < 50*time.Minute {
		t.Fatalf("second poll = %s, next %v; want skipped for about an hour", r.Outcome, r.NextPoll)
	}
	st, _ := svc.Status(t.Context())
	if st[0].State != storage.StateThrottled || st[0].Errors != 0 {
		t.Errorf("status = %s with %d errors, want throttled and not counted as an error", st[0].State, st[0].Errors)
	}
}

func TestReloadAddsAndRemovesFeeds(t *testing.T) {
	f := newFarm(t)
	for _, p := range []string{"/one", "/two"} {
		f.set(p, farmDoc{contentType: "application/rss+xml", body: rss(p,
			rssItem{p, "https://example.test" + p, "Story " + p, "Body " + p, date(time.Hour)})})
	}
	svc, _, path := setup(t, f, "", "/one")
	svc.PollAll(t.Context(), false)

	cfg, err := aggregator.ParseConfig(path, []byte(fmt.Sprintf("database: test.db\nfetch:\n  host_delay: 0s\nfeeds:\n  - url: %s/two\n", f.URL)))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	results := svc.PollAll(t.Context(), false)
	if len(results) != 1 || !strings.HasSuffix(results[0].URL, "/two") || results[0].New != 1 {
		t.Fatalf("after reload polled %+v, want only /two with one new item", results)
	}
	doc, _ := serveFeed(t, svc)
	if len(doc.Entries) != 2 {
		t.Errorf("served %d entries, want 2: a removed feed's stories stay", len(doc.Entries))
	}
}

func TestAdaptiveIntervalSlowsQuietFeeds(t *testing.T) {
	f := newFarm(t)
	f.set("/daily", farmDoc{contentType: "application/rss+xml", body: rss("Daily",
		rssItem{"1", "https://example.test/1", "One", "Body one.", date(24 * time.Hour)},
		rssItem{"2", "https://example.test/2", "Two", "Body two.", date(48 * time.Hour)},
		rssItem{"3", "https://example.test/3", "Three", "Body three.", date(72 * time.Hour)},
		rssItem{"4", "https://example.test/4", "Four", "Body four.", date(96 * time.Hour)})})
	for _, tc := range []struct {
		name, extra string
		wantMin     time.Duration
		wantMax     time.Duration
	}{
		{"off", "", 0, 0},
		{"on", "  adaptive:\n    enabled: true\n    max: 6h", 5*time.Hour + 50*time.Minute, 6 * time.Hour},
		{"capped by min", "  adaptive:\n    enabled: true\n    min: 20h\n    max: 30h", 19*time.Hour + 50*time.Minute, 20 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, store, _ := setup(t, f, tc.extra, "/daily")
			if r := svc.Poll(t.Context(), f.URL+"/daily", false); r.Err != nil {
				t.Fatal(r.Err)
			}
			st, err := store.Feed(t.Context(), f.URL+"/daily")
			if err != nil {
				t.Fatal(err)
			}
			wait := time.Until(st.NextPoll)
			if tc.wantMax == 0 {
				if !st.NextPoll.IsZero() {
					t.Errorf("NextPoll = %v, want none without adaptive polling", st.NextPoll)
				}
				return
			}
			if wait < tc.wantMin || wait > tc.wantMax {
				t.Errorf("next poll in %v, want between %v and %v", wait, tc.wantMin, tc.wantMax)
			}
		})
	}
}

// TestConcurrentCopiesFormOneStory polls many feeds carrying copies of one
// story at once: however their saves interleave, the copies end in one
// story.
func TestConcurrentCopiesFormOneStory(t *testing.T) {
	body := "The provincial government approved a plan to build forty new vocational schools along the border, officials said, with the first opening next autumn and places for twelve thousand students."
	f := newFarm(t)
	var paths []string
	for i := range 12 {
		p := fmt.Sprintf("/copy%d", i)
		paths = append(paths, p)
		f.set(p, farmDoc{contentType: "application/rss+xml", body: rss(p,
			rssItem{fmt.Sprintf("g%d", i), fmt.Sprintf("https://outlet%d.test/news/%d", i, 1000+i),
				fmt.Sprintf("Province approves forty vocational schools on the border - Outlet %d", i), body[:120+i*4], date(time.Duration(i) * time.Minute)},
			rssItem{fmt.Sprintf("own%d", i), fmt.Sprintf("https://outlet%d.test/news/own", i),
				fmt.Sprintf("Outlet %d local weather for the weekend %d", i, i), fmt.Sprintf("Rain expected in district %d on Saturday and Sunday.", i), date(time.Hour)})})
	}
	svc, store, _ := setup(t, f, "", paths...)
	for _, r := range svc.PollAll(t.Context(), false) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	stories, err := store.Stories(t.Context(), storage.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var copies int
	for _, s := range stories {
		if strings.Contains(s.Title, "vocational") {
			copies++
			if len(s.Related) != 11 {
				t.Errorf("story %q has %d related links, want 11", s.Title, len(s.Related))
			}
		}
	}
	if copies != 1 || len(stories) != 13 {
		t.Errorf("got %d stories (%d of the shared one), want 13 with the shared story once", len(stories), copies)
	}
}

func TestRepeatedGUIDStoredOnce(t *testing.T) {
	f := newFarm(t)
	f.set("/dup", farmDoc{contentType: "application/rss+xml", body: rss("Dup",
		rssItem{"same", "https://example.test/a", "First copy", "Body.", date(time.Hour)},
		rssItem{"same", "https://example.test/a", "First copy", "Body.", date(time.Hour)})})
	svc, _, _ := setup(t, f, "", "/dup")
	if r := svc.Poll(t.Context(), f.URL+"/dup", false); r.Err != nil || r.New != 1 {
		t.Fatalf("poll = %+v, want 1 new item", r)
	}
	if doc, _ := serveFeed(t, svc); len(doc.Entries) != 1 {
		t.Errorf("served %d entries, want 1", len(doc.Entries))
	}
}

func TestTTLDelaysNextPoll(t *testing.T) {
	f := newFarm(t)
	f.set("/ttl", farmDoc{contentType: "application/rss+xml", body: []byte(`<rss version="2.0"><channel><title>T</title><ttl>120</ttl>` +
		`<item><guid>1</guid><link>https://example.test/1</link><title>One</title></item></channel></rss>`)})
	svc, store, _ := setup(t, f, "", "/ttl")
	if r := svc.Poll(t.Context(), f.URL+"/ttl", false); r.Err != nil {
		t.Fatal(r.Err)
	}
	st, err := store.Feed(t.Context(), f.URL+"/ttl")
	if err != nil {
		t.Fatal(err)
	}
	if wait := time.Until(st.NextPoll); wait < 119*time.Minute || wait > 120*time.Minute {
		t.Errorf("next poll in %v, want the feed's ttl of 2h", wait)
	}
	if r := svc.Poll(t.Context(), f.URL+"/ttl", false); r.Outcome != aggregator.OutcomeSkipped {
		t.Errorf("poll within the ttl = %s, want skipped", r.Outcome)
	}
}

func TestPermanentRedirectIsRemembered(t *testing.T) {
	f := newFarm(t)
	f.set("/old", farmDoc{status: http.StatusMovedPermanently, header: http.Header{"Location": {"/new"}}})
	f.set("/new", farmDoc{contentType: "application/rss+xml", body: rss("New",
		rssItem{"1", "https://example.test/1", "One", "Body.", date(time.Hour)})})
	svc, _, _ := setup(t, f, "", "/old")
	for range 2 {
		if r := svc.Poll(t.Context(), f.URL+"/old", true); r.Err != nil || r.Outcome == aggregator.OutcomeFailed {
			t.Fatalf("poll = %+v", r)
		}
	}
	if n := len(f.got("/old")); n != 1 {
		t.Errorf("the old URL was requested %d times, want once: later polls go straight to the new one", n)
	}
	if n := len(f.got("/new")); n != 2 {
		t.Errorf("the new URL was requested %d times, want 2", n)
	}
	st, err := svc.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st[0].State != storage.StateMoved || st[0].FetchURL != f.URL+"/new" {
		t.Errorf("status: state %s, fetch URL %q; want moved to %s/new", st[0].State, st[0].FetchURL, f.URL)
	}
}

func TestIngestStoresLikeAPollAndKeepsFetchState(t *testing.T) {
	f := newFarm(t)
	body := "Guangxi signed 560 agreements on technology, trade and training with ASEAN partners at the expo in Nanning, officials said on Tuesday."
	f.set("/a", farmDoc{contentType: "application/rss+xml", etag: `"a1"`, body: rss("A",
		rssItem{"a-1", "https://news.example.test/guangxi-560", "Guangxi signs 560 agreements with ASEAN partners", body, date(5 * time.Hour)})})
	svc, store, _ := setup(t, f, "", "/a", "/b")
	if r := svc.Poll(t.Context(), f.URL+"/a", false); r.New != 1 {
		t.Fatalf("poll of /a = %+v, want 1 new item", r)
	}

	doc, err := feeds.Parse(rss("B",
		rssItem{"b-1", "https://news.example.test/guangxi-560?utm_source=push", "Guangxi signs 560 agreements with ASEAN partners - B", body, date(4 * time.Hour)},
		rssItem{"b-2", "https://news.example.test/rail", "Rail link opens", "Trains run daily from Monday.", date(3 * time.Hour)}),
		"application/rss+xml", f.URL+"/b", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	newItems, updated, err := svc.Ingest(t.Context(), f.URL+"/b", doc)
	if err != nil || newItems != 2 || updated != 0 {
		t.Fatalf("Ingest = %d new, %d updated, %v; want 2, 0, nil", newItems, updated, err)
	}
	served, _ := serveFeed(t, svc)
	if len(served.Entries) != 2 {
		t.Fatalf("served %d entries, want 2: the ingested copy joins the polled story", len(served.Entries))
	}
	if newItems, _, err := svc.Ingest(t.Context(), f.URL+"/b", doc); err != nil || newItems != 0 {
		t.Errorf("ingesting the same document again: %d new, %v; want 0", newItems, err)
	}
	st, err := store.Feed(t.Context(), f.URL+"/b")
	if err != nil {
		t.Fatal(err)
	}
	if st.Title != "B" || st.State != storage.StateNew || !st.LastFetch.IsZero() {
		t.Errorf("state of the ingested feed = %+v, want its title and no fetch recorded", st)
	}
	if len(f.got("/b")) != 0 {
		t.Error("Ingest fetched the feed")
	}

	if _, _, err := svc.Ingest(t.Context(), f.URL+"/nope", doc); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Errorf("Ingest of an unconfigured feed: %v, want a not-configured error", err)
	}
}
