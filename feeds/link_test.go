package feeds

import (
	"bytes"
	"strings"
	"testing"
)

func TestSafeURL(t *testing.T) {
	base := mustURL(t, "https://news.example.cn/rss/feed.xml")
	tests := []struct {
		name, in, want string
	}{
		{"https kept as written", "https://a.example/x?utm_source=rss&b=1", "https://a.example/x?utm_source=rss&b=1"},
		{"http kept", "http://a.example/", "http://a.example/"},
		{"upper-case scheme", "HTTPS://a.example/x", "HTTPS://a.example/x"},
		{"feed host is fine", "https://news.example.cn/1.html", "https://news.example.cn/1.html"},
		{"relative resolved", "../news/1.html", "https://news.example.cn/news/1.html"},
		{"protocol-relative", "//cdn.example/a.jpg", "https://cdn.example/a.jpg"},
		{"trimmed", "  https://a.example/x \n", "https://a.example/x"},
		{"space inside escaped", "https://a.example/a b?q=c d", "https://a.example/a%20b?q=c%20d"},
		{"newline inside removed", "https://a.exa\nmple/", "https://a.example/"},
		{"empty", "", ""},
		{"javascript", "javascript:alert('link')", ""},
		{"javascript mixed case", "JaVaScRiPt:alert(1)", ""},
		{"javascript leading space", " \t javascript:alert(1)", ""},
		{"javascript leading control", "\x01javascript:alert(1)", ""},
		{"javascript embedded tab", "java\tscript:alert(1)", ""},
		{"javascript embedded newline", "java\nscript:alert(1)", ""},
		{"javascript embedded NUL", "java\x00script:alert(1)", ""},
		{"javascript hex entity", "jav&#x61;script:alert(1)", ""},
		{"javascript decimal entity", "&#106;avascript:alert(1)", ""},
		{"javascript named entity colon", "javascript&colon;alert(1)", ""},
		{"javascript percent colon", "javascript%3Aalert(1)", ""},
		{"javascript percent letter", "%6Aavascript:alert(1)", ""},
		{"vbscript", "vbscript:msgbox(1)", ""},
		{"data", "data:text/html;base64,PHNjcmlwdD4=", ""},
		{"file", "file:///etc/passwd", ""},
		{"mailto", "mailto:desk@example.org", ""},
		{"ftp", "ftp://a.example/x", ""},
		{"http without host", "http:evil", ""},
		{"https empty host", "https:///x", ""},
		{"resolves to a bad host", "//::", ""},
		{"port only", "https://:80/", ""},
		{"backslashes", "https:\\\\evil.example", ""},
		{"invalid utf-8", "https://a.example/\xff", ""},
		{"C1 control", "https://a.example/\u0085x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeURL(base, tt.in); got != tt.want {
				t.Errorf("safeURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("relative without base", func(t *testing.T) {
		if got := safeURL(nil, "/x.html"); got != "" {
			t.Errorf("safeURL(nil, %q) = %q, want \"\"", "/x.html", got)
		}
	})
}

func TestParseDropsUnsafeLinks(t *testing.T) {
	f := mustParse(t, readTestdata(t, "hostile.xml"), "", "https://hostile.example/rss")
	if f.SiteURL != "" {
		t.Errorf("SiteURL = %q, want \"\" for a javascript: link", f.SiteURL)
	}
	want := []struct{ title, url string }{
		{"Script link", ""},
		{"Data link", ""},
		{"Disguised link", ""},
		{"Relative link", "https://hostile.example/news/ok.html"},
		{"Mail link", ""},
	}
	if len(f.Items) != len(want) {
		t.Fatalf("%d items, want %d: every item is kept, without its bad link", len(f.Items), len(want))
	}
	for i, w := range want {
		it := f.Items[i]
		if it.Title != w.title || it.URL != w.url {
			t.Errorf("item %d: title %q URL %q, want %q %q", i, it.Title, it.URL, w.title, w.url)
		}
		if strings.Contains(it.GUID, "mailto:") {
			t.Errorf("item %d: GUID %q is the dropped link", i, it.GUID)
		}
	}
	s := f.Items[0].Summary
	for _, bad := range []string{"javascript", "JaVaScRiPt", "vbscript", "data:", "mailto:x@", "<img"} {
		if strings.Contains(s, bad) {
			t.Errorf("Summary %q contains %q", s, bad)
		}
	}
	if !strings.Contains(s, `href="mailto:desk@example.org"`) {
		t.Errorf("Summary %q lost the mailto: link", s)
	}

	// The rendered feed carries none of them either.
	stories := storiesOf(f, "https://hostile.example/rss")
	for _, format := range []Format{FormatAtom, FormatRSS, FormatJSON} {
		var buf bytes.Buffer
		if err := Render(&buf, testMeta, stories, format); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{`"javascript`, ">javascript", `"data:`, ">data:", "mailto:desk@example.org</link>", `"mailto:desk@example.org"`} {
			if bytes.Contains(buf.Bytes(), []byte(bad)) {
				t.Errorf("%s output contains %q:\n%s", format, bad, buf.Bytes())
			}
		}
	}
}

// TestRenderFiltersStoredLinks renders stories whose links were stored
// before Parse filtered them: no renderer lets them through.
func TestRenderFiltersStoredLinks(t *testing.T) {
	m := Meta{ID: "urn:x:m", Title: "M", SelfURL: "javascript:alert('self')", SiteURL: "vbscript:site"}
	stories := []Story{{
		ID: "urn:uuid:00000000-0000-5000-8000-0000000000aa", Title: "Stored before the filter",
		URL: "javascript:alert('alt')", Summary: "<p>Text</p>", Published: testNow,
		Source:  Source{Title: "Old", FeedURL: "data:text/xml,feed", SiteURL: "JAVASCRIPT:site"},
		Related: []Link{{URL: "java\tscript:alert('rel')", Title: "R"}, {URL: "https://ok.example/r", Title: "OK"}},
	}}
	for _, format := range []Format{FormatAtom, FormatRSS, FormatJSON} {
		t.Run(string(format), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, m, stories, format); err != nil {
				t.Fatal(err)
			}
			out := strings.ToLower(buf.String())
			for _, bad := range []string{"javascript", "vbscript", "java&#x9;script", "data:"} {
				if strings.Contains(out, bad) {
					t.Errorf("output contains %q:\n%s", bad, buf.String())
				}
			}
			if format == FormatAtom {
				a := checkAtom(t, buf.Bytes())
				validateAtom(t, buf.Bytes())
				if len(a.Entries) != 1 || len(a.Entries[0].Links) != 1 || a.Entries[0].Links[0].Href != "https://ok.example/r" {
					t.Errorf("entry links = %+v, want only the related https link", a.Entries)
				}
			}
		})
	}
}
