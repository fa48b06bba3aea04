package aggregator

// The HTML pages people read: the river of merged stories (GET /) and the
// status of every feed (GET /status). Pages are server-rendered with
// html/template from one layout (templates/), need no JavaScript, follow
// the reader's light or dark colour scheme and fit a phone; everything
// shown is escaped, and story text is plain text.

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/feedmerge/feedmerge/feeds"
)

//go:embed templates/*.html
var pageFiles embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"human":   func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
	"mib":     func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) },
}).ParseFS(pageFiles, "templates/*.html"))

// page is what every page's layout needs.
type page struct {
	Title      string // the merged feed's title
	PageTitle  string // the document's <title>
	Lang       string // the page's language; "en" when unknown
	FeedPath   string // where the merged Atom feed is served
	Version    string
	Alternates []alternate // <link rel="alternate"> of the page
}

// alternate is a feed a browser or reader may discover on a page.
type alternate struct {
	Type, Title, URL string
}

// riverPage is the data of the river page.
type riverPage struct {
	page
	Tag     string   // the tag the page is filtered by, or ""
	Tags    []string // every configured tag, for the filter links
	Updated time.Time
	Stories []riverStory
}

// riverStory is one story of the river.
type riverStory struct {
	Title     string
	URL       string // the earliest copy; "" if it has no usable link
	Lang      string
	Published time.Time
	Source    string // the outlet of the earliest copy
	Summary   string // plain text, cut short
	Outlets   []feeds.Link
	Tags      []string
}

// summaryRunes is how long a story's summary on the river is at most.
const summaryRunes = 280

// newRiverStory returns the river's view of s, with the given tags.
func newRiverStory(s *feeds.Story, tags []string) riverStory {
	text := feeds.PlainText(s.Summary)
	if text == "" {
		text = feeds.PlainText(s.Content)
	}
	lang := s.Lang
	if lang == "" && mostlyHan(s.Title) {
		lang = "zh" // so that browsers pick Chinese fonts and line breaking
	}
	out := riverStory{
		Title: s.Title, URL: s.URL, Lang: lang, Published: s.Published,
		Source: s.Source.Title, Summary: cut(text, summaryRunes), Tags: tags,
	}
	out.Outlets = append(out.Outlets, feeds.Link{URL: s.URL, Title: s.Source.Title})
	out.Outlets = append(out.Outlets, s.Related...)
	return out
}

// mostlyHan reports whether most letters of s are Chinese characters.
func mostlyHan(s string) bool {
	han, letters := 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.Is(unicode.Han, r) {
				han++
			}
		}
	}
	return letters > 0 && han*2 > letters
}

// cut returns s cut to at most n runes, at a word boundary where there is
// one near, with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	for i := len(r) - 1; i > n*3/4; i-- {
		if r[i] == ' ' {
			r = r[:i]
			break
		}
	}
	return string(r) + "…"
}

// renderRiver writes the river page.
func renderRiver(w io.Writer, r *riverPage) error {
	if r.Lang == "" {
		r.Lang = "en"
	}
	return pageTemplates.ExecuteTemplate(w, "river", r)
}

// statusPage is the data of the status page.
type statusPage struct {
	page
	Report Report
	States []stateCount // feeds by state, the states that occur
}

// stateCount is how many feeds are in one state.
type stateCount struct {
	Name  string
	Count int
}

// renderStatus writes the status page.
func renderStatus(w io.Writer, s *statusPage) error {
	if s.Lang == "" {
		s.Lang = "en"
	}
	return pageTemplates.ExecuteTemplate(w, "status", s)
}
