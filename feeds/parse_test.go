package feeds

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t *testing.T, body []byte, contentType, feedURL string) *Feed {
	t.Helper()
	f, err := Parse(body, contentType, feedURL, testNow)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		file, url    string
		title, site  string
		lang         string
		ttl          time.Duration
		items        int
		first        Item // compared field by field where set
		firstContent string
	}{
		{
			file: "rss2.xml", url: "https://news.example.cn/rss/feed.xml",
			title: "Guangxi & ASEAN News", site: "https://news.example.cn/news/",
			lang: "zh-CN", ttl: 30 * time.Minute, items: 3,
			first: Item{
				GUID:       "cd-560",
				URL:        "https://news.example.cn/news/2026/560.html?utm_source=rss",
				Title:      "Guangxi signs 560 agreements",
				Author:     "Li Wei",
				Lang:       "zh-CN",
				Categories: []string{"Economy", "ASEAN"},
				Published:  time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
			},
		},
		{
			file: "rss1.xml", url: "https://example.org/index.rdf",
			title: "RDF Outlet", site: "https://example.org/", lang: "en-GB", items: 1,
			first: Item{
				GUID:      "https://example.org/a",
				URL:       "https://example.org/a",
				Title:     "First RDF item",
				Summary:   "Summary one",
				Published: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
			},
		},
		{
			file: "atom.xml", url: "https://atom.example.com/feed",
			title: "Atom Outlet", site: "https://atom.example.com/", lang: "en", items: 1,
			first: Item{
				GUID:       "tag:example.com,2026:1",
				URL:        "https://atom.example.com/blog/posts/1",
				Title:      "Entry one",
				Summary:    "<p>Short</p>",
				Author:     "Ann Author",
				Categories: []string{"Tech"},
				Published:  time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
				Updated:    time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
			},
			firstContent: `href="https://atom.example.com/blog/rel/link"`,
		},
		{
			file: "feed.json", url: "https://json.example.net/feed.json",
			title: "JSON Outlet", site: "https://json.example.net/", lang: "ms-MY", items: 1,
			first: Item{
				GUID:       "j1",
				URL:        "https://json.example.net/2026/03/j1",
				Title:      "JSON story",
				Summary:    "Hello",
				Author:     "Siti",
				Categories: []string{"asean"},
				Published:  time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC),
			},
			firstContent: `href="https://json.example.net/x"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := mustParse(t, readTestdata(t, tt.file), "", tt.url)
			if f.Title != tt.title {
				t.Errorf("Title = %q, want %q", f.Title, tt.title)
			}
			if f.SiteURL != tt.site {
				t.Errorf("SiteURL = %q, want %q", f.SiteURL, tt.site)
			}
			if f.Lang != tt.lang {
				t.Errorf("Lang = %q, want %q", f.Lang, tt.lang)
			}
			if f.TTL != tt.ttl {
				t.Errorf("TTL = %v, want %v", f.TTL, tt.ttl)
			}
			if len(f.Items) != tt.items {
				t.Fatalf("%d items, want %d", len(f.Items), tt.items)
			}
			got, want := f.Items[0], tt.first
			check := func(field, got, want string) {
				t.Helper()
				if want != "" && got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("GUID", got.GUID, want.GUID)
			check("URL", got.URL, want.URL)
			check("Title", got.Title, want.Title)
			check("Summary", got.Summary, want.Summary)
			check("Author", got.Author, want.Author)
			check("Lang", got.Lang, want.Lang)
			if want.Categories != nil && strings.Join(got.Categories, "|") != strings.Join(want.Categories, "|") {
				t.Errorf("Categories = %q, want %q", got.Categories, want.Categories)
			}
			if !got.Published.Equal(want.Published) {
				t.Errorf("Published = %v, want %v", got.Published, want.Published)
			}
			if !want.Updated.IsZero() && !got.Updated.Equal(want.Updated) {
				t.Errorf("Updated = %v, want %v", got.Updated, want.Updated)
			}
			if !strings.Contains(got.Content, tt.firstContent) {
				t.Errorf("Content = %q, want it to contain %q", got.Content, tt.firstContent)
			}
			for i, it := range f.Items {
				if it.GUID == "" || it.Published.IsZero() || it.Published.After(testNow) || it.Updated.Before(it.Published) {
					t.Errorf("item %d breaks the Item contract: %+v", i, it)
				}
			}
		})
	}
}

func TestParseDatesAndGUIDs(t *testing.T) {
	f := mustParse(t, readTestdata(t, "rss2.xml"), "application/rss+xml", "https://news.example.cn/rss/feed.xml")
	undated, future := f.Items[1], f.Items[2]
	if !undated.Published.Equal(testNow) || !undated.Updated.Equal(testNow) {
		t.Errorf("undated item: Published %v Updated %v, want both %v", undated.Published, undated.Updated, testNow)
	}
	if undated.GUID != "https://example.org/abs.html" {
		t.Errorf("GUID without guid = %q, want the link", undated.GUID)
	}
	if !future.Published.Equal(testNow) {
		t.Errorf("future item: Published %v, want clamped to %v", future.Published, testNow)
	}
	if !strings.HasPrefix(future.GUID, "sha1:") || future.URL != "" {
		t.Errorf("item without guid or link: GUID %q URL %q, want a sha1: hash and no URL", future.GUID, future.URL)
	}
	again := mustParse(t, readTestdata(t, "rss2.xml"), "", "https://news.example.cn/rss/feed.xml")
	if again.Items[2].GUID != future.GUID {
		t.Errorf("hash GUID is not stable: %q then %q", future.GUID, again.Items[2].GUID)
	}
}

func TestParseSanitises(t *testing.T) {
	f := mustParse(t, readTestdata(t, "rss2.xml"), "", "https://news.example.cn/rss/feed.xml")
	s := f.Items[0].Summary
	for _, bad := range []string{"<script", "alert(3)", "onerror", "javascript:"} {
		if strings.Contains(s, bad) {
			t.Errorf("Summary %q still contains %q", s, bad)
		}
	}
	for _, good := range []string{
		`src="https://news.example.cn/img/a.jpg"`,
		`href="https://news.example.cn/rss/x/y.html"`,
		`rel="nofollow noopener"`,
	} {
		if !strings.Contains(s, good) {
			t.Errorf("Summary %q lacks %q", s, good)
		}
	}
	a := mustParse(t, readTestdata(t, "atom.xml"), "", "https://atom.example.com/feed").Items[0]
	if strings.Contains(a.Summary, "onclick") || strings.Contains(a.Content, "iframe") {
		t.Errorf("Atom HTML not sanitised: summary %q content %q", a.Summary, a.Content)
	}
}

func TestSanitise(t *testing.T) {
	tests := []struct {
		in, want string
		absent   []string
	}{
		{in: `<a href="javascript:alert(1)">x</a>`, absent: []string{"javascript"}},
		{in: `<img src="data:image/png;base64,AAAA" onerror="x()">`, absent: []string{"data:", "onerror"}},
		{in: `<p style="color:red" onmouseover="x()">hi</p>`, want: "<p>hi</p>"},
		{in: `<object data="x"></object><embed src="y"><style>p{}</style>ok`, want: "ok"},
		{in: `<a href="https://a.example/">a</a>`, want: `<a href="https://a.example/" rel="nofollow noopener" target="_blank">a</a>`},
		{in: `<a href=" /rel ">r</a>`, absent: []string{`href=" /rel`}},
		{in: `<a href="jav&#x61;script:alert(1)">x</a>`, want: "x"},
		{in: `<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`, want: "x"},
		{in: `<a href="java&#x09;script:alert(1)">x</a>`, want: "x"},
		{in: "<a href=\"java\nscript:alert(1)\">x</a>", want: "x"},
		{in: `<a href="&#x20;javascript:alert(1)">x</a>`, want: "x"},
		{in: `<a href="JaVaScRiPt:alert(1)">x</a>`, want: "x"},
		{in: `<a href="javascript&colon;alert(1)">x</a>`, want: "x"},
		{in: `<a href="vbscript:msgbox(1)">x</a>`, want: "x"},
		{in: `<a href="data:text/html,&lt;script&gt;">x</a>`, want: "x"},
		{in: `<a href="file:///etc/passwd">x</a>`, want: "x"},
		{in: `<img src="jav&#x61;script:alert(1)">`, absent: []string{"script", "<img"}},
		{in: `<img src=" DATA:image/png;base64,AAAA">`, absent: []string{"data", "DATA", "<img"}},
		{in: `<img src="mailto:x@example.org">`, absent: []string{"mailto", "<img"}},
		{in: `<img src="/a.jpg">`, want: `<img src="https://base.example/a.jpg">`},
		{in: `<a href="mailto:desk@example.org">m</a>`, want: `<a href="mailto:desk@example.org" rel="nofollow">m</a>`},
		{in: `<a href="rel/x.html">r</a>`, want: `<a href="https://base.example/dir/rel/x.html" rel="nofollow noopener" target="_blank">r</a>`},
	}
	base := mustURL(t, "https://base.example/dir/feed")
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := sanitise(tt.in, base)
			if tt.want != "" && got != tt.want {
				t.Errorf("sanitise = %q, want %q", got, tt.want)
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("sanitise = %q, contains %q", got, a)
				}
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Plain   title\n", "Plain title"},
		{"<b>Bold</b> &amp; <i>it</i>", "Bold & it"},
		{"a < b &lt;c&gt;", "a < b <c>"},
		{"AT&amp;T&nbsp;news", "AT&T news"},
		{"x<!-- hidden -->y", "x y"},
		{"中文 标题", "中文 标题"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// encode returns s encoded with enc, failing the test on error.
func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode test data: %v", err)
	}
	return b
}

func TestParseCharsets(t *testing.T) {
	const title = "广西与东盟签署560项合作协议"
	const trad = "廣西與東盟簽署協議"
	rss := func(decl, title string) string {
		return decl + `<rss version="2.0"><channel><title>` + title + `</title><link>https://gx.example.cn/</link>` +
			`<item><title>` + title + `</title><link>https://gx.example.cn/1</link><description>` + title + `</description></item></channel></rss>`
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		want        string
	}{
		{"gbk prolog", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="GBK"?>`, title)), "", title},
		{"gb2312 prolog", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="gb2312"?>`, title)), "text/xml", title},
		{"gb18030 prolog", encode(t, simplifiedchinese.GB18030, rss(`<?xml version='1.0' encoding='GB18030'?>`, title)), "", title},
		{"gbk content-type", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0"?>`, title)), "application/rss+xml; charset=GBK", title},
		{"gbk content-type no prolog", encode(t, simplifiedchinese.GBK, rss("", title)), "text/xml; charset=gb2312", title},
		{"gbk prolog over blanket utf-8 content-type", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="GBK"?>`, title)), "text/xml; charset=utf-8", title},
		{"big5 prolog", encode(t, traditionalchinese.Big5, rss(`<?xml version="1.0" encoding="Big5"?>`, trad)), "", trad},
		{"big5 content-type", encode(t, traditionalchinese.Big5, rss("", trad)), "application/xml; charset=big5", trad},
		{"utf-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, rss(`<?xml version="1.0" encoding="utf-8"?>`, title)...), "", title},
		{"gbk prolog over blanket latin1 content-type", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="GBK"?>`, title)), "text/xml; charset=ISO-8859-1", title},
		{"undeclared invalid utf-8 is windows-1252", []byte(rss("", "bad \xff\xfe byte")), "", "bad ÿþ byte"},
		{"mostly utf-8 with a broken byte", []byte(rss("", "广西 \xff 东盟")), "", "广西 \uFFFD 东盟"},
		{"control chars dropped", []byte(rss("", "ctl\x01\x0b\x1fchars")), "", "ctlchars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.body, tt.contentType, "https://gx.example.cn/rss.xml")
			if f.Title != tt.want {
				t.Errorf("feed Title = %q, want %q", f.Title, tt.want)
			}
			if len(f.Items) != 1 || f.Items[0].Title != tt.want {
				t.Fatalf("items = %+v, want one titled %q", f.Items, tt.want)
			}
			if f.Items[0].Summary != tt.want {
				t.Errorf("Summary = %q, want %q", f.Items[0].Summary, tt.want)
			}
		})
	}
}

// TestParseCharsetOrder checks the charset is the one a browser picks
// (byte order mark, HTTP charset, document, windows-1252) without ever
// garbling text that is clean in its real charset.
func TestParseCharsetOrder(t *testing.T) {
	const (
		pt  = "Benfica é campeão da Divisão de Honra"
		vi  = "Đà Nẵng đón khách quốc tế"
		zh  = "广西与东盟签署560项合作协议"
		tw  = "廣西與東盟簽署協議"
		ja  = "東南アジア諸国との協力協定に署名"
		win = "\u201cQuoted\u201d \u2013 dash"
	)
	rss := func(decl, title string) string {
		return decl + `<rss version="2.0"><channel><title>` + title + `</title><link>https://x.example/</link>` +
			`<item><title>` + title + `</title><link>https://x.example/1</link><description>` + title + `</description></item></channel></rss>`
	}
	atom := func(title string) string {
		return `<?xml version="1.0" encoding="UTF-16"?><feed xmlns="http://www.w3.org/2005/Atom"><title>` + title +
			`</title><id>urn:x</id><entry><id>urn:x:1</id><title>` + title + `</title></entry></feed>`
	}
	latin1 := charmap.ISO8859_1
	tests := []struct {
		name        string
		body        []byte
		contentType string
		want        string
	}{
		{"latin1 undeclared", encode(t, latin1, rss(`<?xml version="1.0"?>`, pt)), "", pt},
		{"latin1 undeclared, no prolog", encode(t, latin1, rss("", pt)), "application/rss+xml", pt},
		{"latin1 under blanket utf-8 content-type", encode(t, latin1, rss(`<?xml version="1.0"?>`, pt)), "text/xml; charset=utf-8", pt},
		{"latin1 under utf-8 prolog", encode(t, latin1, rss(`<?xml version="1.0" encoding="utf-8"?>`, pt)), "", pt},
		{"windows-1252 smart quotes undeclared", []byte(rss("", "\x93Quoted\x94 \x96 dash")), "", win},
		{"utf-8 BOM over latin1 prolog", append(slices.Clone(bomUTF8), rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, vi)...), "", vi},
		{"utf-8 BOM over latin1 content-type", append(slices.Clone(bomUTF8), rss(`<?xml version="1.0"?>`, vi)...), "text/xml; charset=iso-8859-1", vi},
		{"utf-8 under blanket latin1 content-type", []byte(rss(`<?xml version="1.0" encoding="utf-8"?>`, vi)), "text/xml; charset=ISO-8859-1", vi},
		{"utf-8 under latin1 prolog", []byte(rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, vi)), "", vi},
		{"gbk prolog only", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="gbk"?>`, zh)), "", zh},
		{"gbk content-type only", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0"?>`, zh)), "text/xml; charset=GBK", zh},
		{"gb2312 prolog", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="GB2312"?>`, zh)), "text/xml", zh},
		{"gb2312 content-type", encode(t, simplifiedchinese.GBK, rss("", zh)), "text/xml; charset=GB2312", zh},
		{"http charset over prolog", encode(t, simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, zh)), "text/xml; charset=gbk", zh},
		{"http big5 over gbk prolog", encode(t, traditionalchinese.Big5, rss(`<?xml version="1.0" encoding="gbk"?>`, tw)), "text/xml; charset=big5", tw},
		{"big5 prolog", encode(t, traditionalchinese.Big5, rss(`<?xml version="1.0" encoding="big5"?>`, tw)), "", tw},
		{"shift_jis prolog", encode(t, japanese.ShiftJIS, rss(`<?xml version="1.0" encoding="Shift_JIS"?>`, ja)), "", ja},
		{"shift_jis content-type", encode(t, japanese.ShiftJIS, rss("", ja)), "application/xml; charset=shift_jis", ja},
		{"utf-16le BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), atom(zh)), "text/xml; charset=iso-8859-1", zh},
		{"utf-16be BOM", encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), atom(vi)), "", vi},
		{"utf-32le BOM", encode(t, utf32.UTF32(utf32.LittleEndian, utf32.UseBOM), atom(ja)), "", ja},
		{"utf-32be BOM", encode(t, utf32.UTF32(utf32.BigEndian, utf32.UseBOM), atom(pt)), "text/xml; charset=utf-8", pt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.body, tt.contentType, "https://x.example/feed.xml")
			if f.Title != tt.want {
				t.Errorf("feed Title = %q, want %q", f.Title, tt.want)
			}
			if len(f.Items) != 1 || f.Items[0].Title != tt.want {
				t.Fatalf("items = %+v, want one titled %q", f.Items, tt.want)
			}
			for _, s := range []string{f.Title, f.Items[0].Title, f.Items[0].Summary} {
				if strings.ContainsRune(s, utf8.RuneError) {
					t.Errorf("%q holds U+FFFD", s)
				}
			}
		})
	}
}

func TestParseUTF16(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-16"?><feed xmlns="http://www.w3.org/2005/Atom"><title>广西</title><id>x</id></feed>`
	var b []byte
	b = append(b, 0xFF, 0xFE)
	for _, r := range doc {
		b = append(b, byte(r), byte(r>>8))
	}
	f := mustParse(t, b, "", "https://x.example/")
	if f.Title != "广西" {
		t.Errorf("Title = %q, want %q", f.Title, "广西")
	}
}

func TestParseNotFeed(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		notFeed                 bool
		want                    string // the whole error message
	}{
		{name: "html with alternate", body: string(readTestdata(t, "page.html")), notFeed: true,
			want: "not a feed (HTML page); it links a feed at https://www.example.com/rss.xml"},
		{name: "html atom link with base", contentType: "text/html; charset=utf-8", notFeed: true,
			body: `<html><head><base href="https://cdn.example.com/x/"><link rel="Alternate" type="application/atom+xml" href="atom.xml"></head></html>`,
			want: "not a feed (HTML page); it links a feed at https://cdn.example.com/x/atom.xml"},
		{name: "html json feed link", notFeed: true,
			body: `<!doctype html><title>x</title><link href="//other.example/feed.json" rel="alternate" type="application/feed+json">`,
			want: "not a feed (HTML page); it links a feed at https://other.example/feed.json"},
		{name: "html without feed", body: `<html><head></head><body><link rel="alternate" type="application/rss+xml" href="/late.xml"></body></html>`,
			notFeed: true, want: "not a feed (HTML page)"},
		{name: "empty", body: "", notFeed: true, want: "not a feed (empty body)"},
		{name: "blank", body: " \n\t", notFeed: true, want: "not a feed (empty body)"},
		{name: "garbage", body: "\x00\x01garbage!!", notFeed: true, want: "not a feed (no RSS, Atom or JSON Feed document)"},
		{name: "other xml", body: `<?xml version="1.0"?><svg></svg>`, notFeed: true, want: "not a feed (no RSS, Atom or JSON Feed document)"},
		{name: "json but not a feed", body: `{"data": [1, 2]}`, notFeed: true, want: "not a feed (JSON without a JSON Feed version)"},
		{name: "truncated rss", body: `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>y`},
		{name: "broken json", body: `{"version": "https://jsonfeed.org/version/1", "items": [`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), tt.contentType, "https://www.example.com/news/", testNow)
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want an error", f)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error %q spans several lines", msg)
			}
			if got := errors.Is(err, ErrNotFeed); got != tt.notFeed {
				t.Errorf("errors.Is(%q, ErrNotFeed) = %v, want %v", msg, got, tt.notFeed)
			}
			if tt.want != "" && msg != tt.want {
				t.Errorf("error = %q, want %q", msg, tt.want)
			}
		})
	}
}

func TestToUTF8(t *testing.T) {
	tests := []struct {
		name, in, contentType, want string
	}{
		{"plain utf-8 untouched", `<?xml version="1.0" encoding="UTF-8"?><a/>`, "", `<?xml version="1.0" encoding="UTF-8"?><a/>`},
		{"latin1 prolog rewritten", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>", "", `<?xml version="1.0" encoding="utf-8"?><a>café</a>`},
		{"unknown charset kept as utf-8", `<?xml version="1.0" encoding="x-klingon"?><a>é</a>`, "", `<?xml version="1.0" encoding="utf-8"?><a>é</a>`},
		{"mislabelled utf-16", `<?xml version="1.0" encoding="utf-16"?><a>é</a>`, "", `<?xml version="1.0" encoding="utf-8"?><a>é</a>`},
		{"json with charset", "{\"title\":\"caf\xe9\"}", "application/json; charset=iso-8859-1", `{"title":"café"}`},
		{"nul and DEL", "<a>x\x00y\x7fz</a>", "", "<a>xy\x7fz</a>"},
		{"U+FFFE dropped", "<a>x\uFFFEy</a>", "", "<a>xy</a>"},
		{"html meta charset", "<html><head><meta charset=\"gbk\"><title>\xb9\xe3\xce\xf7</title>", "", "<html><head><meta charset=\"gbk\"><title>广西</title>"},
		{"html http-equiv", "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\"><title>\xbcs\xa6\xe8</title>", "text/html", "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\"><title>廣西</title>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(toUTF8([]byte(tt.in), tt.contentType)); got != tt.want {
				t.Errorf("toUTF8 = %q, want %q", got, tt.want)
			}
		})
	}
}
