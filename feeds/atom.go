package feeds

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"time"

	gorilla "github.com/gorilla/feeds"
)

const atomNS = "http://www.w3.org/2005/Atom"

// gorilla's AtomFeed and AtomEntry cannot express what the merged feed
// needs (several links with titles, category terms, xml:lang, a structured
// atom:source) and its convenience Feed drops the feed id and invents
// entry ids, so the document is built from these types, which reuse
// gorilla's person, summary and content elements.

type atomFeed struct {
	XMLName xml.Name            `xml:"feed"`
	Xmlns   string              `xml:"xmlns,attr"`
	ID      string              `xml:"id"`
	Title   string              `xml:"title"`
	Updated string              `xml:"updated"`
	Links   []atomLink          `xml:"link"`
	Author  *gorilla.AtomAuthor `xml:"author"`
}

type atomEntry struct {
	XMLName    xml.Name             `xml:"entry"`
	Lang       string               `xml:"xml:lang,attr,omitempty"`
	ID         string               `xml:"id"`
	Title      string               `xml:"title"`
	Updated    string               `xml:"updated"`
	Published  string               `xml:"published,omitempty"`
	Links      []atomLink           `xml:"link"`
	Author     *gorilla.AtomAuthor  `xml:"author"`
	Categories []atomCategory       `xml:"category"`
	Source     *atomSource          `xml:"source"`
	Summary    *gorilla.AtomSummary `xml:"summary"`
	Content    *gorilla.AtomContent `xml:"content"`
}

type atomLink struct {
	Href  string `xml:"href,attr"`
	Rel   string `xml:"rel,attr,omitempty"`
	Type  string `xml:"type,attr,omitempty"`
	Title string `xml:"title,attr,omitempty"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomSource struct {
	ID      string     `xml:"id,omitempty"`
	Title   string     `xml:"title,omitempty"`
	Updated string     `xml:"updated,omitempty"`
	Links   []atomLink `xml:"link"`
}

// atomTime formats t as an RFC 3339 date in UTC.
func atomTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// renderAtom writes stories as an RFC 4287 Atom feed, taking the entries
// of unchanged stories from cache when it is not nil.
func renderAtom(w io.Writer, m Meta, stories []Story, cache *EntryCache) error {
	f := &atomFeed{
		Xmlns:   atomNS,
		ID:      scrub(m.ID),
		Title:   feedTitle(m),
		Updated: atomTime(feedUpdated(m, stories)),
		Author:  person(m.Title),
	}
	if f.Author.Name == "" {
		f.Author.Name = "feedmerge"
	}
	if self := linkHref(m.SelfURL); self != "" {
		f.Links = append(f.Links, atomLink{Href: self, Rel: "self", Type: "application/atom+xml"})
	}
	if site := linkHref(m.SiteURL); site != "" {
		f.Links = append(f.Links, atomLink{Href: site, Rel: "alternate", Type: "text/html"})
	}
	// The feed's own elements, then each entry spliced in before
	// </feed>, byte for byte what encoding the whole document gives.
	var head bytes.Buffer
	enc := xml.NewEncoder(&head)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return err
	}
	end := bytes.LastIndex(head.Bytes(), []byte("\n</feed>"))
	if end < 0 {
		return errors.New("render atom: unexpected feed encoding")
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	bw.Write(head.Bytes()[:end])
	seen := make(map[string]bool, len(stories))
	for i := range stories {
		s := &stories[i]
		if seen[s.ID] {
			continue // an Atom id names one entry
		}
		seen[s.ID] = true
		bw.WriteByte('\n')
		bw.Write(atomEntryXML(s, cache))
	}
	bw.WriteString("\n</feed>\n")
	return bw.Flush()
}

// atomStory builds the entry of one story.
func atomStory(s *Story) *atomEntry {
	published, updated := storyTimes(s)
	e := &atomEntry{
		Lang:    scrub(s.Lang),
		ID:      scrub(s.ID),
		Title:   storyTitle(s),
		Updated: atomTime(updated),
		Links:   make([]atomLink, 0, 1+len(s.Related)),
	}
	if !published.IsZero() {
		e.Published = atomTime(published)
	}
	// An entry without a usable link gets no alternate link at all (not
	// one to its urn: id, which a reader would open as a page); its text
	// is then carried as content, below, as RFC 4287 section 4.1.1.1
	// requires.
	alt := linkHref(s.URL)
	if alt != "" {
		e.Links = append(e.Links, atomLink{Href: alt, Rel: "alternate", Type: "text/html"})
	}
	for _, r := range s.Related {
		href := linkHref(r.URL)
		if href == "" || href == alt || hasHref(e.Links, href) {
			continue
		}
		e.Links = append(e.Links, atomLink{Href: href, Rel: "related", Type: "text/html", Title: scrub(r.Title)})
	}
	name := s.Author
	if name == "" {
		name = s.Source.Title
	}
	if name != "" {
		e.Author = person(name)
	}
	for _, c := range s.Categories {
		if c = scrub(c); c != "" {
			e.Categories = append(e.Categories, atomCategory{Term: c})
		}
	}
	e.Source = atomSourceOf(&s.Source, updated)
	if s.Summary != "" {
		e.Summary = &gorilla.AtomSummary{Content: scrub(s.Summary), Type: "html"}
	}
	if s.Content != "" && s.Content != s.Summary {
		e.Content = &gorilla.AtomContent{Content: scrub(s.Content), Type: "html"}
	}
	if alt == "" && e.Content == nil {
		if e.Summary != nil {
			e.Content = &gorilla.AtomContent{Content: e.Summary.Content, Type: "html"}
			e.Summary = nil
		} else {
			e.Content = &gorilla.AtomContent{Content: e.Title, Type: "text"}
		}
	}
	return e
}

// atomSourceOf returns the atom:source of a story updated at
// storyUpdated, or nil when the source is unknown. The source always
// carries an updated time (feed validators warn without one): its own,
// else the story's.
func atomSourceOf(src *Source, storyUpdated time.Time) *atomSource {
	if src.FeedURL == "" && src.Title == "" && src.SiteURL == "" {
		return nil
	}
	as := &atomSource{ID: linkHref(src.FeedURL), Title: scrub(src.Title), Updated: atomTime(storyUpdated)}
	if !src.Updated.IsZero() {
		as.Updated = atomTime(src.Updated)
	}
	if as.ID != "" {
		as.Links = append(as.Links, atomLink{Href: as.ID, Rel: "self"})
	}
	if site := linkHref(src.SiteURL); site != "" {
		as.Links = append(as.Links, atomLink{Href: site, Rel: "alternate", Type: "text/html"})
	}
	return as
}

func person(name string) *gorilla.AtomAuthor {
	return &gorilla.AtomAuthor{AtomPerson: gorilla.AtomPerson{Name: scrub(name)}}
}

func hasHref(links []atomLink, href string) bool {
	for _, l := range links {
		if l.Href == href {
			return true
		}
	}
	return false
}
