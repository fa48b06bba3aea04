package feeds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	gorilla "github.com/gorilla/feeds"
)

// Format is an output feed format.
type Format string

// The formats Render writes.
const (
	FormatAtom Format = "atom" // Atom 1.0 (RFC 4287)
	FormatRSS  Format = "rss"  // RSS 2.0
	FormatJSON Format = "json" // JSON Feed 1.1
)

// ParseFormat returns the Format named s ("atom", "rss" or "json", in any
// case), or an error naming the accepted values.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatAtom, FormatRSS, FormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown feed format %q (want atom, rss or json)", s)
}

// ContentType returns the media type of documents in format f.
func (f Format) ContentType() string {
	switch f {
	case FormatRSS:
		return "application/rss+xml; charset=utf-8"
	case FormatJSON:
		return "application/feed+json; charset=utf-8"
	}
	return "application/atom+xml; charset=utf-8"
}

// Render writes the merged feed described by m with stories, in the order
// given (callers pass newest first), to w in format f. Every string is
// scrubbed of characters XML forbids and of invalid UTF-8, so the output
// is well-formed whatever the input. Render fails only when writing to w
// fails or f is unknown.
func Render(w io.Writer, m Meta, stories []Story, f Format) error {
	var err error
	switch f {
	case FormatAtom:
		err = renderAtom(w, m, stories, nil)
	case FormatRSS:
		err = renderRSS(w, m, stories)
	case FormatJSON:
		err = renderJSON(w, m, stories)
	default:
		return fmt.Errorf("render feed: unknown format %q", f)
	}
	if err != nil {
		return fmt.Errorf("render %s feed: %w", f, err)
	}
	return nil
}

// feedUpdated returns the time the merged feed was last updated: m.Updated
// when set, else the latest update of any story, else m.Fallback, else
// EmptyFeedUpdated. It is never zero.
func feedUpdated(m Meta, stories []Story) time.Time {
	if !m.Updated.IsZero() {
		return m.Updated
	}
	var newest time.Time
	for i := range stories {
		if _, u := storyTimes(&stories[i]); u.After(newest) {
			newest = u
		}
	}
	switch {
	case !newest.IsZero():
		return newest
	case !m.Fallback.IsZero():
		return m.Fallback
	}
	return EmptyFeedUpdated
}

// storyTimes returns a story's publication time (possibly zero) and its
// update time, which falls back to the publication time, then to its
// source's update time and then to EmptyFeedUpdated, so that it is never
// empty.
func storyTimes(s *Story) (published, updated time.Time) {
	published, updated = s.Published, s.Updated
	if updated.IsZero() || updated.Before(published) {
		updated = published
	}
	if updated.IsZero() {
		updated = s.Source.Updated
	}
	if updated.IsZero() {
		updated = EmptyFeedUpdated
	}
	return published, updated
}

// feedTitle returns the merged feed's title, never blank.
func feedTitle(m Meta) string {
	if t := strings.TrimSpace(scrub(m.Title)); t != "" {
		return t
	}
	return "feedmerge"
}

// storyTitle returns a story's title, scrubbed and never blank: a story
// stored without one gets the title Parse would derive for it.
func storyTitle(s *Story) string {
	if t := scrub(s.Title); strings.TrimSpace(t) != "" {
		return t
	}
	text := s.Summary
	if plainText(scrub(text)) == "" {
		text = s.Content
	}
	return deriveTitle(scrub(text), linkHref(s.URL))
}

// renderRSS writes stories as RSS 2.0.
func renderRSS(w io.Writer, m Meta, stories []Story) error {
	updated := feedUpdated(m, stories)
	ch := &gorilla.RssFeed{
		Title:         feedTitle(m),
		Link:          linkHref(m.SiteURL),
		Description:   feedTitle(m),
		LastBuildDate: updated.UTC().Format(time.RFC1123Z),
		Generator:     "feedmerge",
		Items:         make([]*gorilla.RssItem, 0, len(stories)),
	}
	if ch.Link == "" {
		ch.Link = linkHref(m.SelfURL)
	}
	for i := range stories {
		s := &stories[i]
		published, updated := storyTimes(s)
		if published.IsZero() {
			published = updated
		}
		it := &gorilla.RssItem{
			Title:       storyTitle(s),
			Link:        linkHref(s.URL),
			Description: scrub(s.Summary),
			Guid:        &gorilla.RssGuid{Id: scrub(s.ID), IsPermaLink: "false"},
			PubDate:     published.UTC().Format(time.RFC1123Z),
			Category:    firstCategory(s.Categories),
		}
		if it.Description == "" {
			it.Description = scrub(s.Content)
		} else if s.Content != "" && s.Content != s.Summary {
			it.Content = &gorilla.RssContent{Content: scrub(s.Content)}
		}
		ch.Items = append(ch.Items, it)
	}
	// gorilla writes an item without a link as <link></link>, which
	// validators flag; RSS lets an item have no link at all. Text never
	// holds a raw element, so the empty element is only ever that.
	var buf bytes.Buffer
	if err := writeXML(&buf, ch.FeedXml()); err != nil {
		return err
	}
	_, err := w.Write(emptyRSSLink.ReplaceAll(buf.Bytes(), nil))
	return err
}

// emptyRSSLink matches an empty <link></link> line of an RSS item.
var emptyRSSLink = regexp.MustCompile(`\n\s*<link></link>`)

// writeXML writes v as an indented XML document with a declaration and a
// final newline.
func writeXML(w io.Writer, v any) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

func firstCategory(cs []string) string {
	for _, c := range cs {
		if c = scrub(c); c != "" {
			return c
		}
	}
	return ""
}

// renderJSON writes stories as JSON Feed 1.1.
func renderJSON(w io.Writer, m Meta, stories []Story) error {
	jf := &gorilla.JSONFeed{
		Version:     "https://jsonfeed.org/version/1.1",
		Title:       feedTitle(m),
		HomePageUrl: linkHref(m.SiteURL),
		FeedUrl:     linkHref(m.SelfURL),
		Items:       make([]*gorilla.JSONItem, 0, len(stories)),
	}
	for i := range stories {
		s := &stories[i]
		published, updated := storyTimes(s)
		it := &gorilla.JSONItem{
			Id:          scrub(s.ID),
			Url:         linkHref(s.URL),
			Title:       storyTitle(s),
			Summary:     scrub(s.Summary),
			ContentHTML: scrub(s.Content),
			Tags:        scrubAll(s.Categories),
		}
		if it.ContentHTML == "" {
			it.ContentHTML = it.Summary
		}
		if it.ContentHTML == "" {
			it.ContentText = it.Title // JSON Feed requires one of the two
		}
		if !published.IsZero() {
			p := published.UTC()
			it.PublishedDate = &p
		}
		u := updated.UTC()
		it.ModifiedDate = &u
		if name := scrub(s.Author); name != "" {
			it.Authors = []*gorilla.JSONAuthor{{Name: name}}
		}
		jf.Items = append(jf.Items, it)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jf)
}

func scrubAll(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = scrub(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
