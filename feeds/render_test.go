package feeds

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testMeta = Meta{
	ID:      "urn:uuid:6f1c9a52-57a4-5d7e-9a3b-1f2e3d4c5b6a",
	Title:   "Guangxi–ASEAN news",
	SelfURL: "https://merge.example/feed.atom",
	SiteURL: "https://merge.example/",
}

// testStories returns stories that exercise every part of an entry,
// including text no XML document may hold as is.
func testStories() []Story {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	return []Story{
		{
			ID: "urn:uuid:00000000-0000-5000-8000-000000000001", Title: "Guangxi signs 560 agreements",
			URL:     "https://chinadaily.example/560.html",
			Summary: "<p>Nanning &amp; ASEAN</p>", Content: "<p>Full <b>text</b></p>",
			Author: "Li Wei", Lang: "zh-CN", Categories: []string{"Economy", "ASEAN"},
			Published: t0, Updated: t0.Add(time.Hour),
			Source: Source{Title: "China Daily", FeedURL: "https://chinadaily.example/rss.xml", SiteURL: "https://chinadaily.example/", Updated: t0},
			Related: []Link{
				{URL: "https://gx.example.cn/1.html", Title: "Guangxi News"},
				{URL: "https://xinhua.example/2.html", Title: "Xinhua"},
			},
		},
		{
			ID: "urn:uuid:00000000-0000-5000-8000-000000000002", Title: "Bad \x00\x01 bytes \xff\xfe and \uFFFE",
			URL:     "https://bad.example/x?a=1&b=2",
			Summary: "<p>ctl\x0b</p>]]>", Content: "\x1f\xc3",
			Published: t0.Add(-time.Hour),
			Source:    Source{Title: "Ctl\x07 Outlet", FeedURL: "https://bad.example/feed\x02"},
			Related:   []Link{{URL: "https://bad.example/y", Title: "T\x08itle"}},
		},
		{
			ID: "urn:uuid:00000000-0000-5000-8000-000000000003", Title: "No URL, no dates, no source",
		},
		{
			ID: "urn:uuid:00000000-0000-5000-8000-000000000001", Title: "Duplicate id is dropped",
		},
	}
}

// atomDoc is what the tests read back from a rendered Atom document.
type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Links   []struct {
			Rel   string `xml:"rel,attr"`
			Href  string `xml:"href,attr"`
			Title string `xml:"title,attr"`
		} `xml:"link"`
		Author  string `xml:"author>name"`
		Source  string `xml:"source>id"`
		Summary string `xml:"summary"`
		Content *struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"content"`
		Category []struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
	} `xml:"entry"`
}

// checkAtom parses doc strictly and checks the rules the merged feed
// keeps: an id, title and updated date, unique entry ids, and at most one
// alternate link per entry, an entry without one carrying its text as
// content (RFC 4287 section 4.1.1.1).
func checkAtom(t *testing.T, doc []byte) atomDoc {
	t.Helper()
	var a atomDoc
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	if err := d.Decode(&a); err != nil {
		t.Fatalf("rendered Atom is not well-formed: %v\n%s", err, doc)
	}
	if a.ID == "" || a.Updated == "" {
		t.Errorf("feed id %q updated %q: want both set", a.ID, a.Updated)
	}
	if _, err := time.Parse(time.RFC3339, a.Updated); err != nil {
		t.Errorf("feed updated %q: %v", a.Updated, err)
	}
	ids := make(map[string]bool)
	for i, e := range a.Entries {
		if ids[e.ID] {
			t.Errorf("entry %d: duplicate id %q", i, e.ID)
		}
		ids[e.ID] = true
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("entry %d updated %q: %v", i, e.Updated, err)
		}
		alternates := 0
		for _, l := range e.Links {
			if l.Rel == "alternate" || l.Rel == "" {
				alternates++
			}
		}
		switch {
		case alternates > 1:
			t.Errorf("entry %d has %d alternate links, want at most 1", i, alternates)
		case alternates == 0 && (e.Content == nil || strings.TrimSpace(e.Content.Text) == ""):
			t.Errorf("entry %d has neither an alternate link nor content", i)
		}
		if strings.TrimSpace(e.Title) == "" {
			t.Errorf("entry %d has a blank title", i)
		}
		for _, l := range e.Links {
			if !strings.HasPrefix(l.Href, "https://") && !strings.HasPrefix(l.Href, "http://") {
				t.Errorf("entry %d links %q, want only http and https links", i, l.Href)
			}
		}
	}
	return a
}

// validateAtom validates doc against the RFC 4287 RELAX NG schema with
// jing, skipping when jing is not installed.
func validateAtom(t *testing.T, doc []byte) {
	t.Helper()
	jing, err := exec.LookPath("jing")
	if err != nil {
		t.Skip("jing not installed; skipping RELAX NG validation")
	}
	path := filepath.Join(t.TempDir(), "feed.atom")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(jing, "-c", filepath.Join("testdata", "atom.rnc"), path).Output()
	if err != nil {
		t.Fatalf("jing: %v\n%s\ndocument:\n%s", err, out, doc)
	}
}

func TestRenderAtom(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, testMeta, testStories(), FormatAtom); err != nil {
		t.Fatal(err)
	}
	a := checkAtom(t, buf.Bytes())
	if a.ID != testMeta.ID || a.Title != testMeta.Title {
		t.Errorf("feed id %q title %q, want %q %q", a.ID, a.Title, testMeta.ID, testMeta.Title)
	}
	if a.Updated != "2026-03-02T09:00:00Z" {
		t.Errorf("feed updated = %q, want the newest story's update 2026-03-02T09:00:00Z", a.Updated)
	}
	rels := map[string]string{}
	for _, l := range a.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != testMeta.SelfURL || rels["alternate"] != testMeta.SiteURL {
		t.Errorf("feed links = %v, want self %s and alternate %s", rels, testMeta.SelfURL, testMeta.SiteURL)
	}
	if len(a.Entries) != 3 {
		t.Fatalf("%d entries, want 3 (the duplicate id dropped)", len(a.Entries))
	}
	e := a.Entries[0]
	var related []string
	for _, l := range e.Links {
		if l.Rel == "related" {
			related = append(related, l.Title+"="+l.Href)
		}
	}
	if got, want := strings.Join(related, " "), "Guangxi News=https://gx.example.cn/1.html Xinhua=https://xinhua.example/2.html"; got != want {
		t.Errorf("related links = %q, want %q", got, want)
	}
	if e.Lang != "zh-CN" || e.Author != "Li Wei" || e.Source != "https://chinadaily.example/rss.xml" || len(e.Category) != 2 {
		t.Errorf("entry 0: lang %q author %q source %q categories %v", e.Lang, e.Author, e.Source, e.Category)
	}
	if e.Summary != "<p>Nanning &amp; ASEAN</p>" {
		t.Errorf("summary = %q, want the HTML as text", e.Summary)
	}
	if got := a.Entries[1].Author; got != "Ctl Outlet" {
		t.Errorf("entry without author: author %q, want the scrubbed source title", got)
	}
	if got := a.Entries[1].Title; got != "Bad  bytes \uFFFD\uFFFD and " {
		t.Errorf("scrubbed title = %q", got)
	}
	if got := a.Entries[2]; len(got.Links) != 0 || got.Content == nil || got.Content.Text != "No URL, no dates, no source" {
		t.Errorf("entry without URL: links %+v content %+v, want no link and its title as content", got.Links, got.Content)
	}
	if got := []string{a.Entries[0].ID, a.Entries[1].ID, a.Entries[2].ID}; got[0] > got[1] || got[1] > got[2] {
		t.Errorf("entries reordered: %q", got)
	}
	validateAtom(t, buf.Bytes())
}

func TestRenderAtomEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, Meta{ID: "urn:x:empty"}, nil, FormatAtom); err != nil {
		t.Fatal(err)
	}
	checkAtom(t, buf.Bytes())
	validateAtom(t, buf.Bytes())
}

func TestRenderAtomRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	stories := testStories()
	if err := Render(&buf, testMeta, stories, FormatAtom); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(buf.Bytes(), "application/atom+xml", testMeta.SelfURL, testNow)
	if err != nil {
		t.Fatalf("Parse(Render(...)): %v", err)
	}
	if len(f.Items) != 3 {
		t.Fatalf("%d items back, want 3", len(f.Items))
	}
	it := f.Items[0]
	if it.GUID != stories[0].ID || it.URL != stories[0].URL || it.Title != stories[0].Title || !it.Published.Equal(stories[0].Published) {
		t.Errorf("round trip: got %+v, want the fields of %+v", it, stories[0])
	}
}

func TestRenderRSSAndJSON(t *testing.T) {
	stories := testStories()
	t.Run("rss", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Render(&buf, testMeta, stories, FormatRSS); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Version string `xml:"version,attr"`
			Items   []struct {
				GUID string `xml:"guid"`
				Link string `xml:"link"`
			} `xml:"channel>item"`
		}
		d := xml.NewDecoder(&buf)
		d.Strict = true
		if err := d.Decode(&doc); err != nil {
			t.Fatalf("RSS not well-formed: %v", err)
		}
		if doc.Version != "2.0" || len(doc.Items) != len(stories) || doc.Items[0].GUID != stories[0].ID {
			t.Errorf("RSS: version %q, %d items, first guid %q", doc.Version, len(doc.Items), doc.Items[0].GUID)
		}
		f, err := Parse(bytes.Clone(buf.Bytes()), "", "https://merge.example/feed.rss", testNow)
		if err == nil && len(f.Items) != len(stories) {
			t.Errorf("RSS parsed back: %d items, want %d", len(f.Items), len(stories))
		}
	})
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Render(&buf, testMeta, stories, FormatJSON); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Version string `json:"version"`
			Items   []struct {
				ID          string `json:"id"`
				ContentHTML string `json:"content_html"`
				ContentText string `json:"content_text"`
			} `json:"items"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("JSON Feed not valid JSON: %v", err)
		}
		if doc.Version != "https://jsonfeed.org/version/1.1" || len(doc.Items) != len(stories) {
			t.Errorf("JSON Feed: version %q, %d items", doc.Version, len(doc.Items))
		}
		for i, it := range doc.Items {
			if it.ID == "" || it.ContentHTML == "" && it.ContentText == "" {
				t.Errorf("item %d: id %q lacks content", i, it.ID)
			}
		}
	})
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"atom", FormatAtom, false},
		{"RSS", FormatRSS, false},
		{" json ", FormatJSON, false},
		{"xml", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if err := Render(&bytes.Buffer{}, testMeta, nil, Format("xml")); err == nil {
		t.Error("Render with an unknown format succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderWriteError(t *testing.T) {
	for _, f := range []Format{FormatAtom, FormatRSS, FormatJSON} {
		if err := Render(failWriter{}, testMeta, testStories(), f); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("Render(%s) to a failing writer: %v, want the write error", f, err)
		}
	}
}

// storiesOf turns a parsed feed into stories, as the aggregator would.
func storiesOf(f *Feed, feedURL string) []Story {
	stories := make([]Story, 0, len(f.Items))
	for i, it := range f.Items {
		stories = append(stories, Story{
			ID: fmt.Sprintf("urn:test:%d:%s", i, it.GUID), Title: it.Title, URL: it.URL,
			Summary: it.Summary, Content: it.Content, Author: it.Author, Lang: it.Lang,
			Categories: it.Categories, Published: it.Published, Updated: it.Updated,
			Source:  Source{Title: f.Title, FeedURL: feedURL, SiteURL: f.SiteURL},
			Related: []Link{{URL: it.URL + "#copy", Title: f.Title}},
		})
	}
	return stories
}

// TestGofeedCorpus runs every document in gofeed's own test data through
// Parse and Render: nothing may panic, and every feed Parse accepts must
// render as well-formed Atom.
func TestGofeedCorpus(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/mmcdole/gofeed").Output()
	dir := filepath.Join(strings.TrimSpace(string(out)), "testdata")
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Skip("gofeed module directory not found")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("gofeed test data not found: %v", err)
	}
	parsed, files := 0, 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".xml", ".json", ".rss", ".atom", ".rdf":
		default:
			return nil
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(dir, path)
		f, err := Parse(body, "", "https://corpus.example/"+filepath.ToSlash(rel), testNow)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("%s: multi-line error %q", rel, err)
			}
			return nil
		}
		parsed++
		var buf bytes.Buffer
		if err := Render(&buf, testMeta, storiesOf(f, "https://corpus.example/"+rel), FormatAtom); err != nil {
			t.Errorf("%s: Render: %v", rel, err)
			return nil
		}
		d2 := xml.NewDecoder(&buf)
		d2.Strict = true
		for {
			if _, err := d2.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%s: rendered Atom not well-formed: %v", rel, err)
				}
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Skip("no gofeed test documents found")
	}
	t.Logf("%d documents, %d parsed as feeds", files, parsed)
}

// TestRenderRSSItemWithoutLink checks that a story with no usable link
// becomes an RSS item without a <link>, not an empty one.
func TestRenderRSSItemWithoutLink(t *testing.T) {
	stories := []Story{
		{ID: "urn:uuid:1", Title: "No link", Summary: "Text.", Published: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "urn:uuid:2", Title: "A link", URL: "https://a.test/1", Summary: "Text.", Published: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)},
	}
	var buf bytes.Buffer
	if err := Render(&buf, testMeta, stories, FormatRSS); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<link></link>") || !strings.Contains(out, "<link>https://a.test/1</link>") {
		t.Errorf("RSS:\n%s", out)
	}
	var doc struct {
		Items []struct {
			Link  *string `xml:"link"`
			Title string  `xml:"title"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Items) != 2 {
		t.Fatalf("RSS does not parse: %v (%d items)", err, len(doc.Items))
	}
	for _, it := range doc.Items {
		if (it.Title == "No link") != (it.Link == nil) {
			t.Errorf("item %q: link %v", it.Title, it.Link)
		}
	}
}
