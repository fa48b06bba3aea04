// Package demo serves built-in sample feeds on loopback for `feedmerge
// demo`: five invented outlets in RSS 2.0, RSS 1.0, Atom 1.0 and JSON Feed,
// one of them Chinese-language and encoded as GBK, with one story
// syndicated by three outlets under different URLs, GUIDs and title
// decorations, and a look-alike story that must stay separate.
package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"text/template"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Outlet is one sample feed.
type Outlet struct {
	Title string
	Path  string
	Tags  []string
}

// Outlets lists the sample feeds in the order they are served.
var Outlets = []Outlet{
	{Title: "Harbour Times", Path: "/harbour/rss.xml", Tags: []string{"asean"}},
	{Title: "Southern Wire", Path: "/southern/atom.xml", Tags: []string{"asean"}},
	{Title: "Mekong Herald", Path: "/mekong/feed.json", Tags: []string{"asean"}},
	{Title: "Straits Ledger", Path: "/straits/rdf.xml", Tags: []string{"business"}},
	{Title: "Nanning Evening Post", Path: "/nanning/gbk.xml", Tags: []string{"zh"}},
}

// Server serves the sample feeds. Its documents carry ETag and
// Last-Modified and answer conditional requests with 304.
type Server struct {
	URL  string // base URL, http://127.0.0.1:PORT
	srv  *http.Server
	docs map[string]doc
}

type doc struct {
	body        []byte
	contentType string
	etag        string
}

// Start serves the sample feeds on a free loopback port. Dates are
// relative to now so the stories are fresh.
func Start(now time.Time) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: listen on loopback: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String()}
	s.docs, err = render(s.URL, now)
	if err != nil {
		ln.Close()
		return nil, err
	}
	lastMod := now.UTC().Format(http.TimeFormat)
	s.srv = &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, ok := s.docs[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("ETag", d.etag)
			w.Header().Set("Last-Modified", lastMod)
			if r.Header.Get("If-None-Match") == d.etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Content-Type", d.contentType)
			w.Write(d.body)
		}),
	}
	go s.srv.Serve(ln)
	return s, nil
}

// FeedURL returns the absolute URL of outlet o.
func (s *Server) FeedURL(o Outlet) string { return s.URL + o.Path }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

type item struct {
	GUID, Link, Title, Summary string
	Time                       time.Time
}

// The syndicated story: one report, three outlets, three decorations.
const (
	storyTitle   = "Guangxi signs 560 cooperation agreements with ASEAN partners"
	storySummary = "Guangxi signed 560 agreements on technology, trade and vocational training with partners from ASEAN countries at the regional expo in Nanning on Tuesday, officials said. The deals cover joint laboratories, digital trade platforms and exchange programmes for engineers."
)

func outletItems(base string, now time.Time) map[string][]item {
	h := func(d time.Duration) time.Time { return now.Add(-d).UTC().Truncate(time.Second) }
	return map[string][]item{
		"/harbour/rss.xml": {
			{GUID: "https://harbourtimes.example/news/2026/guangxi-560-agreements", Link: base + "/harbour/news/2026/guangxi-560-agreements?utm_source=rss&utm_medium=feed",
				Title: storyTitle, Summary: "<p>" + storySummary + "</p><script>alert('x')</script>", Time: h(5 * time.Hour)},
			{GUID: "ht-88121", Link: base + "/harbour/news/port-expansion", Title: "Beibu Gulf port adds two container berths",
				Summary: `<p>The port's <a href="javascript:alert(1)">new berths</a> open in March <img src="/img/berth.jpg" onerror="alert(2)">.</p>`, Time: h(7 * time.Hour)},
			{GUID: "ht-88130", Link: base + "/harbour/news/rail-link", Title: "Rail freight link to Hanoi doubles weekly trains",
				Summary: "Freight trains between Nanning and Hanoi will run twice daily from next month.", Time: h(26 * time.Hour)},
		},
		"/southern/atom.xml": {
			{GUID: "tag:southernwire.example,2026:story-4410", Link: base + "/southern/2026/11/asean-agreements.html#top",
				Title: "Guangxi: " + storyTitle + " - Southern Wire", Summary: "NANNING, Nov. 25 (Southern Wire) -- " + storySummary[:180] + "…", Time: h(4 * time.Hour)},
			{GUID: "tag:southernwire.example,2026:story-4411", Link: base + "/southern/2026/11/asean-56-agreements.html",
				Title:   "Laos signs 56 agriculture agreements with Thai partners",
				Summary: "Laos signed 56 agreements on rice exports and irrigation with Thai provinces, the agriculture ministry said in Vientiane.", Time: h(3 * time.Hour)},
			{GUID: "tag:southernwire.example,2026:story-4390", Link: base + "/southern/2026/11/durian-exports.html",
				Title: "Durian exports to China hit a record", Summary: "Vietnamese durian shipments rose by a third this season.", Time: h(30 * time.Hour)},
		},
		"/mekong/feed.json": {
			{GUID: "901377", Link: base + "/mekong/world/guangxi-asean-deals?fbclid=abc123",
				Title: "GUANGXI SIGNS 560 COOPERATION AGREEMENTS WITH ASEAN PARTNERS | Mekong Herald", Summary: storySummary[:140] + "<br>Source: Harbour Times", Time: h(2 * time.Hour)},
			{GUID: "901380", Link: base + "/mekong/business/mekong-bridge", Title: "New Mekong bridge opens to traffic",
				Summary: "The fourth friendship bridge cuts the drive between the two banks to ten minutes.", Time: h(1 * time.Hour)},
		},
		"/straits/rdf.xml": {
			{GUID: base + "/straits/markets/palm-oil", Link: base + "/straits/markets/palm-oil", Title: "Palm oil futures climb on export data",
				Summary: "Benchmark palm oil futures rose for a third session.", Time: h(6 * time.Hour)},
			{GUID: base + "/straits/markets/ringgit", Link: base + "/straits/markets/ringgit", Title: "Ringgit steadies against the dollar",
				Summary: "The currency traded flat in early Asian trade.", Time: h(9 * time.Hour)},
		},
		"/nanning/gbk.xml": {
			{GUID: "nn-20261125-01", Link: base + "/nanning/news/20261125/01.html", Title: "广西与东盟伙伴签署560项合作协议",
				Summary: "广西在南宁举行的博览会上与东盟国家伙伴签署了560项科技、贸易和职业培训合作协议。", Time: h(5 * time.Hour)},
			{GUID: "nn-20261125-02", Link: base + "/nanning/news/20261125/02.html", Title: "南宁地铁五号线延长段开通",
				Summary: "南宁地铁五号线延长段今日开通运营，新增车站六座。", Time: h(8 * time.Hour)},
		},
	}
}

var funcs = template.FuncMap{
	"rfc822":  func(t time.Time) string { return t.Format(time.RFC1123Z) },
	"rfc3339": func(t time.Time) string { return t.Format(time.RFC3339) },
	"xml": func(s string) string {
		var b bytes.Buffer
		xmlEscape(&b, s)
		return b.String()
	},
	"json": func(s string) string {
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
		return `"` + r.Replace(s) + `"`
	},
}

func xmlEscape(b *bytes.Buffer, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	b.WriteString(r.Replace(s))
}

var templates = template.Must(template.New("").Funcs(funcs).Parse(`
{{define "rss"}}<?xml version="1.0" encoding="{{.Encoding}}"?>
<rss version="2.0"><channel><title>{{xml .Title}}</title><link>{{.Site}}</link><description>{{xml .Title}}</description><language>{{.Lang}}</language>
{{range .Items}}<item><guid isPermaLink="false">{{xml .GUID}}</guid><link>{{xml .Link}}</link><title>{{xml .Title}}</title><description>{{xml .Summary}}</description><pubDate>{{rfc822 .Time}}</pubDate></item>
{{end}}</channel></rss>{{end}}
{{define "rdf"}}<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="{{.Site}}"><title>{{xml .Title}}</title><link>{{.Site}}</link><description>{{xml .Title}}</description></channel>
{{range .Items}}<item rdf:about="{{xml .GUID}}"><title>{{xml .Title}}</title><link>{{xml .Link}}</link><description>{{xml .Summary}}</description><dc:date>{{rfc3339 .Time}}</dc:date></item>
{{end}}</rdf:RDF>{{end}}
{{define "atom"}}<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{{.Lang}}"><title>{{xml .Title}}</title><id>{{.Site}}/</id><link href="{{.Site}}"/><updated>{{rfc3339 .Updated}}</updated>
{{range .Items}}<entry><id>{{xml .GUID}}</id><link rel="alternate" href="{{xml .Link}}"/><title>{{xml .Title}}</title><summary type="html">{{xml .Summary}}</summary><published>{{rfc3339 .Time}}</published><updated>{{rfc3339 .Time}}</updated><author><name>{{xml $.Title}}</name></author></entry>
{{end}}</feed>{{end}}
{{define "json"}}{"version":"https://jsonfeed.org/version/1.1","title":{{json .Title}},"home_page_url":{{json .Site}},"language":{{json .Lang}},"items":[
{{range $i, $it := .Items}}{{if $i}},{{end}}{"id":{{json .GUID}},"url":{{json .Link}},"title":{{json .Title}},"content_html":{{json .Summary}},"date_published":{{json (rfc3339 .Time)}}}
{{end}}]}{{end}}
`))

// render builds every sample document.
func render(base string, now time.Time) (map[string]doc, error) {
	items := outletItems(base, now)
	docs := make(map[string]doc, len(Outlets))
	for _, o := range Outlets {
		data := struct {
			Title, Site, Lang, Encoding string
			Updated                     time.Time
			Items                       []item
		}{o.Title, base + "/" + strings.Split(o.Path, "/")[1], "en", "utf-8", now.UTC().Truncate(time.Second), items[o.Path]}
		var name, ctype string
		switch {
		case strings.HasSuffix(o.Path, "gbk.xml"):
			name, ctype, data.Lang, data.Encoding = "rss", "application/rss+xml", "zh-CN", "GBK"
		case strings.HasSuffix(o.Path, "rss.xml"):
			name, ctype = "rss", "application/rss+xml; charset=utf-8"
		case strings.HasSuffix(o.Path, "rdf.xml"):
			name, ctype = "rdf", "application/rdf+xml"
		case strings.HasSuffix(o.Path, "atom.xml"):
			name, ctype = "atom", "application/atom+xml"
		default:
			name, ctype = "json", "application/feed+json"
		}
		var b bytes.Buffer
		if err := templates.ExecuteTemplate(&b, name, data); err != nil {
			return nil, fmt.Errorf("demo: render %s: %w", o.Path, err)
		}
		body := b.Bytes()
		if data.Encoding == "GBK" {
			enc, err := simplifiedchinese.GBK.NewEncoder().Bytes(body)
			if err != nil {
				return nil, fmt.Errorf("demo: encode %s as GBK: %w", o.Path, err)
			}
			body = enc
		}
		sum := sha256.Sum256(body)
		docs[o.Path] = doc{body: body, contentType: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return docs, nil
}
