package feeds

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDeriveTitle(t *testing.T) {
	tests := []struct {
		name, html, link, want string
	}{
		{"first sentence", "<p>Guangxi signed 560 agreements with ASEAN on Monday. The deals cover trade.</p>", "", "Guangxi signed 560 agreements with ASEAN on Monday"},
		{"question kept", "Will the new rail link open before the summit? Officials say yes.", "", "Will the new rail link open before the summit?"},
		{"abbreviation is no sentence", "U.S. officials met ASEAN ministers in Jakarta on Tuesday. More later.", "", "U.S. officials met ASEAN ministers in Jakarta on Tuesday"},
		{"long text cut at a word", "Guangxi and the ten member states of ASEAN have signed a broad package of agreements covering digital trade, green energy and rail links",
			"", "Guangxi and the ten member states of ASEAN have signed a broad package of…"},
		{"short text whole", "Photo of the day", "", "Photo of the day"},
		{"entities and tags", "<b>AT&amp;T</b>&nbsp;reports", "", "AT&T reports"},
		{"chinese sentence", "广西与东盟签署560项合作协议，涵盖数字经济和绿色能源。协议将于明年生效。", "", "广西与东盟签署560项合作协议，涵盖数字经济和绿色能源"},
		{"chinese cut at a character", "广西壮族自治区与东南亚国家联盟十国在南宁签署了涵盖数字经济人工智能绿色能源跨境铁路和港口建设的五百六十项合作协议",
			"", "广西壮族自治区与东南亚国家联盟十国在南宁签署了涵盖数字经济人工智能绿色能源跨境铁…"},
		{"japanese cut", "東南アジア諸国連合との間で数字経済と再生可能エネルギーに関する包括的な協力協定に署名したと発表しました",
			"", "東南アジア諸国連合との間で数字経済と再生可能エネルギーに関する包括的な協力協定に…"},
		{"no text, link", "<img src=\"https://x.example/a.jpg\">", "https://news.example.cn/2026/03/560.html?utm_source=rss", "news.example.cn/2026/03/560.html"},
		{"no text, site link", "", "https://news.example.cn/", "news.example.cn"},
		{"nothing", "  ", "", "Untitled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := deriveTitle(tt.html, tt.link)
			if got != tt.want {
				t.Errorf("deriveTitle(%q, %q) = %q, want %q", tt.html, tt.link, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > titleMax+1 {
				t.Errorf("title %q has %d characters, want at most %d", got, n, titleMax+1)
			}
		})
	}
}

func TestParseDerivesTitles(t *testing.T) {
	body := `<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet</title>
<item><guid>t1</guid><link>https://o.example/1</link><description>&lt;p&gt;Nanning hosts the ASEAN expo for the twentieth time. Visitors came from ten countries.&lt;/p&gt;</description></item>
<item><guid>t2</guid><title>  </title><link>https://o.example/2</link><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">&lt;p&gt;广西与东盟签署560项合作协议。&lt;/p&gt;</content:encoded></item>
<item><guid>t3</guid><link>https://o.example/news/3.html</link></item>
<item><description></description></item>
<item><guid>t5</guid><title>A real title</title><description>Text.</description></item>
</channel></rss>`
	f := mustParse(t, []byte(body), "", "https://o.example/rss")
	want := []struct {
		title   string
		derived bool
	}{
		{"Nanning hosts the ASEAN expo for the twentieth time", true},
		{"广西与东盟签署560项合作协议", true},
		{"o.example/news/3.html", true},
		{"Untitled", true},
		{"A real title", false},
	}
	if len(f.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(f.Items), len(want))
	}
	for i, w := range want {
		if got := f.Items[i]; got.Title != w.title || got.TitleDerived != w.derived {
			t.Errorf("item %d: Title %q TitleDerived %v, want %q %v", i, got.Title, got.TitleDerived, w.title, w.derived)
		}
	}
	// The content-hash GUID of an item without guid or link is made
	// from its own title, which is empty, as before titles were derived.
	if g := f.Items[3].GUID; g != "sha1:"+sha1Hex("\x00\x00") {
		t.Errorf("GUID of the untitled item = %q, want the hash of its empty fields", g)
	}
}

// TestRenderNeverBlankOrEpoch renders stories without titles or dates,
// and an empty feed: no document shows a blank title, 1970 or year 1, and
// every atom:source has an updated time.
func TestRenderNeverBlankOrEpoch(t *testing.T) {
	stories := []Story{
		{ID: "urn:uuid:00000000-0000-5000-8000-0000000000b1", Summary: "<p>A story stored without a title. It has text.</p>",
			Source: Source{Title: "Outlet", FeedURL: "https://o.example/rss"}},
		{ID: "urn:uuid:00000000-0000-5000-8000-0000000000b2", URL: "https://o.example/news/2.html",
			Published: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Source: Source{Title: "Outlet"}},
	}
	poll := time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		meta    Meta
		stories []Story
		updated string // the Atom feed's updated time
	}{
		{"stories without titles or dates", testMeta, stories, "2026-03-02T08:00:00Z"},
		{"empty with fallback", Meta{ID: "urn:x:e", Fallback: poll}, nil, "2026-05-31T12:00:00Z"},
		{"empty without fallback", Meta{ID: "urn:x:e"}, nil, "2000-01-01T00:00:00Z"},
	}
	for _, tc := range cases {
		for _, format := range []Format{FormatAtom, FormatRSS, FormatJSON} {
			t.Run(tc.name+"/"+string(format), func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, tc.meta, tc.stories, format); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				for _, bad := range []string{"1970", "0001-01-01", "01 Jan 0001", "<title></title>", `"title": ""`} {
					if strings.Contains(out, bad) {
						t.Errorf("output contains %q:\n%s", bad, out)
					}
				}
				switch format {
				case FormatAtom:
					a := checkAtom(t, buf.Bytes())
					validateAtom(t, buf.Bytes())
					if a.Updated != tc.updated {
						t.Errorf("feed updated = %q, want %q", a.Updated, tc.updated)
					}
					var doc struct {
						Entries []struct {
							Source *struct {
								Updated string `xml:"updated"`
							} `xml:"source"`
						} `xml:"entry"`
					}
					if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
						t.Fatal(err)
					}
					for i, e := range doc.Entries {
						if e.Source == nil || e.Source.Updated == "" {
							t.Errorf("entry %d: atom:source without updated", i)
						}
					}
				case FormatJSON:
					var doc struct {
						Items []struct {
							Title string `json:"title"`
						} `json:"items"`
					}
					if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
						t.Fatal(err)
					}
					for i, it := range doc.Items {
						if strings.TrimSpace(it.Title) == "" {
							t.Errorf("item %d has a blank title", i)
						}
					}
				}
			})
		}
	}
}
