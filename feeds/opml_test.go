package feeds

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

const readerOPML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by a feed reader -->
<opml version="1.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="News" title="News">
      <outline type="rss" text="China Daily" title="China Daily — China" xmlUrl=" https://www.chinadaily.com.cn/rss/china_rss.xml " htmlUrl="https://www.chinadaily.com.cn/"/>
      <outline text="  South-east
        Asia ">
        <outline type="rss" text="VnExpress" xmlUrl="https://e.vnexpress.net/rss/news.rss"/>
      </outline>
    </outline>
    <outline type="rss" text="https://blog.example/feed" xmlUrl="https://blog.example/feed" category="/tech, personal"/>
    <outline text="Tech">
      <outline type="atom" text="Blog again" xmlurl="https://blog.example/feed"/>
      <outline type="link" text="Not a feed" url="https://example.org/"/>
    </outline>
    <outline text="Empty folder"/>
  </body>
</opml>
`

func TestParseOPML(t *testing.T) {
	got, err := ParseOPML([]byte(readerOPML), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []OPMLFeed{
		{URL: "https://www.chinadaily.com.cn/rss/china_rss.xml", Title: "China Daily — China", Tags: []string{"News"}},
		{URL: "https://e.vnexpress.net/rss/news.rss", Title: "VnExpress", Tags: []string{"News", "South-east Asia"}},
		{URL: "https://blog.example/feed", Title: "Blog again", Tags: []string{"tech", "personal", "Tech"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseOPMLCharsetAndEntities(t *testing.T) {
	latin1, _ := charmap.ISO8859_1.NewEncoder().String(`<?xml version="1.0" encoding="ISO-8859-1"?><opml><body><outline text="Café &nbsp;&amp; más" xmlUrl="https://a.example/?x=1&y=2"/></body></opml>`)
	got, err := ParseOPML([]byte(latin1), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []OPMLFeed{{URL: "https://a.example/?x=1&y=2", Title: "Café & más"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseOPMLErrors(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"empty", "  \n", "empty"},
		{"not XML", "just some text", "no <opml> element"},
		{"HTML", "<!doctype html><html><head></head><body></body></html>", "root element is <html>"},
		{"a feed", `<rss version="2.0"><channel></channel></rss>`, "it is a feed"},
		{"no body", `<opml version="2.0"><head><title>x</title></head></opml>`, "no <body>"},
		{"no outlines", `<opml version="2.0"><body></body></opml>`, "no feeds"},
		{"folders only", `<opml version="2.0"><body><outline text="a"><outline text="b"/></outline></body></opml>`, "no feeds"},
		{"truncated", `<opml version="2.0"><body><outline text="a" xmlUrl="https://a.example/"/>`, "ends early"},
		{"broken tag", `<opml version="2.0"><body><outline text="a xmlUrl="https://a.example/"/></body></opml>`, "line 1"},
		{"too deep", "<opml><body>" + strings.Repeat("<outline text='f'>", 60) + `<outline xmlUrl="https://a.example/"/>` + strings.Repeat("</outline>", 60) + "</body></opml>", "nested deeper"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOPML([]byte(tt.doc), "")
			if !errors.Is(err, ErrNotOPML) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseOPML = %v, %v; want ErrNotOPML containing %q", got, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}

func TestWriteOPMLRoundTrip(t *testing.T) {
	list := []OPMLFeed{
		{URL: "https://a.example/rss.xml", Title: "A & <B>", Tags: []string{"china", "asean"}},
		{URL: "https://b.example/feed", Tags: nil},
		{URL: "https://c.example/feed", Title: "C \"quoted\"", Tags: []string{"asean"}},
		{URL: "https://d.example/feed", Title: "中国新闻网", Tags: []string{"china"}},
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, "Guangxi–ASEAN news", list); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	for _, s := range []string{`<opml version="2.0">`, `<title>Guangxi–ASEAN news</title>`,
		`<outline text="china" title="china">`,
		`<outline type="rss" text="A &amp; &lt;B&gt;" title="A &amp; &lt;B&gt;" xmlUrl="https://a.example/rss.xml" category="china,asean"></outline>`,
		`<outline type="rss" text="https://b.example/feed" xmlUrl="https://b.example/feed"></outline>`} {
		if !strings.Contains(doc, s) {
			t.Errorf("document lacks %s:\n%s", s, doc)
		}
	}
	got, err := ParseOPML(buf.Bytes(), "")
	if err != nil {
		t.Fatal(err)
	}
	// Grouped by first tag: china (a, d), b, asean (c).
	want := []OPMLFeed{list[0], list[3], list[1], list[2]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
}

func TestServeOPML(t *testing.T) {
	list := []OPMLFeed{{URL: "https://a.example/rss.xml", Title: "A"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ServeOPML(w, r, "T", list)
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != OPMLContentType || etag == "" {
		t.Fatalf("GET: %s, Content-Type %q, ETag %q", resp.Status, resp.Header.Get("Content-Type"), etag)
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: %s, want 304", resp.Status)
	}
	if resp, err = http.Post(srv.URL, "text/plain", nil); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s, want 405", resp.Status)
	}
}

func TestFeedLinks(t *testing.T) {
	page := `<!doctype html><html><head>
<base href="https://site.example/blog/">
<link rel="alternate" type="application/rss+xml" title="Posts" href="feed.xml">
<link rel="alternate" type="application/atom+xml; charset=utf-8" href="/atom.xml">
<link rel="alternate" type="application/rss+xml" title="Posts again" href="https://site.example/blog/feed.xml">
<link rel="Alternate nofollow" type="application/feed+json" href="//cdn.example/feed.json">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="stylesheet" type="text/css" href="x.css">
<link rel="alternate" hreflang="fr" href="/fr/">
</head><body><link rel="alternate" type="application/rss+xml" href="/late.xml"></body></html>`
	got := FeedLinks([]byte(page), "text/html", "https://other.example/page")
	want := []FeedLink{
		{URL: "https://site.example/blog/feed.xml", Title: "Posts", Type: "application/rss+xml"},
		{URL: "https://site.example/atom.xml", Type: "application/atom+xml"},
		{URL: "https://cdn.example/feed.json", Type: "application/feed+json"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got := FeedLinks([]byte(`<html><head><title>x</title></head></html>`), "", "https://a.example/"); len(got) != 0 {
		t.Errorf("page without links: %+v", got)
	}
}
