package aggregator_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/feeds"
)

// pagesService stores a syndicated story (two outlets, tagged asean and
// vn), a Chinese one and a hostile one, and returns the service.
func pagesService(t *testing.T) *aggregator.Service {
	t.Helper()
	f := newFarm(t)
	f.set("/a", farmDoc{contentType: "application/rss+xml", body: rss("Outlet A",
		rssItem{"a1", "https://a.test/ports", "Guangxi and ASEAN ports sign rail deal", "Nanning and Hai Phong agreed on a new rail freight link for the ports on Tuesday, officials said.", date(3 * time.Hour)},
		rssItem{"a2", "https://a.test/zh", "广西与东盟合作新进展", "南宁消息：广西与东盟国家在科技合作方面取得新进展。", date(2 * time.Hour)},
		rssItem{"a3", "javascript:alert(1)", "&lt;script&gt;alert('t')&lt;/script&gt; hostile", "&lt;img src=x onerror=alert(1)&gt;Text.", date(time.Hour)})})
	f.set("/b", farmDoc{contentType: "application/rss+xml", body: rss("Outlet B",
		rssItem{"b1", "https://b.test/ports?utm_source=rss", "Guangxi and ASEAN ports sign rail deal - Outlet B", "Nanning and Hai Phong agreed on a new rail freight link for the ports on Tuesday, officials said.", date(2 * time.Hour)})})
	svc, _, _ := setup(t, f, "", "/a", "/b")
	cfg := *svc.Config()
	cfg.Feeds = append([]aggregator.Feed(nil), cfg.Feeds...)
	cfg.Feeds[0].Tags = []string{"asean"}
	cfg.Feeds[1].Tags = []string{"vn"}
	if err := svc.Reload(&cfg); err != nil {
		t.Fatal(err)
	}
	for _, r := range svc.PollAll(t.Context(), false) {
		if r.Err != nil {
			t.Fatalf("poll %s: %v", r.URL, r.Err)
		}
	}
	return svc
}

func TestRiverPage(t *testing.T) {
	svc := pagesService(t)
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		`<link rel="alternate" type="application/atom&#43;xml" title="feedmerge" href="/feed.atom">`,
		`<a href="https://a.test/ports">Guangxi and ASEAN ports sign rail deal</a>`,
		`2 outlets: <a href="https://a.test/ports">outlet a</a> <a href="https://b.test/ports?utm_source=rss">outlet b</a>`,
		`<a href="/?tag=asean">asean</a>`, `<a href="/?tag=vn">vn</a>`,
		`<article lang="zh`, `广西与东盟合作新进展`,
		`name="viewport"`, `prefers-color-scheme:dark`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("river page lacks %s", want)
		}
	}
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(body, bad) {
			t.Errorf("river page contains %q", bad)
		}
	}
	if strings.Count(body, "<article") != 3 {
		t.Errorf("%d stories on the river, want 3 (the copies merged)", strings.Count(body, "<article"))
	}

	// The same caching as the feed: ETag, 304, gzip.
	etag := rec.Header().Get("ETag")
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, req)
	if etag == "" || rec.Code != 304 {
		t.Errorf("conditional GET /: %d (ETag %q), want 304", rec.Code, etag)
	}
	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec = httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, req)
	zr, err := gzip.NewReader(rec.Body)
	if err != nil || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip GET /: %v %q", err, rec.Header().Get("Content-Encoding"))
	}
	if b, _ := io.ReadAll(zr); string(b) != body {
		t.Error("gzip body differs from the identity body")
	}

	// Filtered by tag: only stories a feed tagged vn carried.
	rec = httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/?tag=vn", nil))
	if n := strings.Count(rec.Body.String(), "<article"); rec.Code != 200 || n != 1 || !strings.Contains(rec.Body.String(), "rail deal") {
		t.Errorf("GET /?tag=vn: %d with %d stories, want the one story outlet b carried", rec.Code, n)
	}
	rec = httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/?tag=nope", nil))
	if rec.Code != 404 {
		t.Errorf("GET /?tag=nope: %d, want 404", rec.Code)
	}
}

func TestStatusPages(t *testing.T) {
	svc := pagesService(t)
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/status.json", nil))
	var rep aggregator.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != 200 {
		t.Fatalf("GET /status.json: %d %v\n%s", rec.Code, err, rec.Body)
	}
	if len(rep.Feeds) != 2 || rep.States["ok"] != 2 || rep.Stories != 3 || rep.Items != 4 || rep.Version != aggregator.Version ||
		rep.DatabaseBytes == 0 || rep.Feeds[0].Items != 3 || rep.Feeds[0].LastFetch.IsZero() {
		t.Errorf("status.json = %+v", rep)
	}
	rec = httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	body := rec.Body.String()
	for _, want := range []string{"outlet a", "outlet b", `class="state-ok"`, "<dt>stories</dt><dd>3</dd>", "<dt>items</dt><dd>4</dd>", aggregator.Version} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}

func TestFeedsOPML(t *testing.T) {
	svc := pagesService(t)
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/feeds.opml", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/x-opml") {
		t.Fatalf("GET /feeds.opml: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	list, err := feeds.ParseOPML(rec.Body.Bytes(), rec.Header().Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := svc.Config()
	if len(list) != len(cfg.Feeds) {
		t.Fatalf("%d feeds in the OPML, want %d", len(list), len(cfg.Feeds))
	}
	for i, f := range list {
		if f.URL != cfg.Feeds[i].URL || strings.Join(f.Tags, ",") != strings.Join(cfg.Feeds[i].Tags, ",") {
			t.Errorf("OPML feed %d = %+v, want %+v", i, f, cfg.Feeds[i])
		}
	}
}
