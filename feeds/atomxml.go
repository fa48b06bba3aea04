package feeds

import (
	"unicode/utf8"

	gorilla "github.com/gorilla/feeds"
)

// appendEntry appends the XML of e to b exactly as encoding/xml encodes
// it with the prefix and indent of an entry inside the feed document ("  "
// and "  "): the same elements, attributes, escaping and line breaks, in
// a fraction of the time, since rendering the entries is most of
// rendering the feed. TestAppendEntryMatchesEncodingXML holds the two
// together.
func appendEntry(b []byte, e *atomEntry) []byte {
	b = append(b, "  <entry"...)
	if e.Lang != "" {
		b = appendAttr(b, "xml:lang", e.Lang)
	}
	b = append(b, '>')
	b = appendText(b, 2, "id", e.ID)
	b = appendText(b, 2, "title", e.Title)
	b = appendText(b, 2, "updated", e.Updated)
	if e.Published != "" {
		b = appendText(b, 2, "published", e.Published)
	}
	b = appendLinks(b, 2, e.Links)
	if e.Author != nil {
		b = appendAuthor(b, 2, e.Author)
	}
	for _, c := range e.Categories {
		b = appendIndent(b, 2)
		b = append(b, "<category"...)
		b = appendAttr(b, "term", c.Term)
		b = append(b, "></category>"...)
	}
	if s := e.Source; s != nil {
		b = appendIndent(b, 2)
		b = append(b, "<source>"...)
		inner := false
		for _, f := range [...]struct{ name, v string }{{"id", s.ID}, {"title", s.Title}, {"updated", s.Updated}} {
			if f.v != "" {
				b = appendText(b, 3, f.name, f.v)
				inner = true
			}
		}
		if len(s.Links) > 0 {
			b = appendLinks(b, 3, s.Links)
			inner = true
		}
		if inner {
			b = appendIndent(b, 2)
		}
		b = append(b, "</source>"...)
	}
	if s := e.Summary; s != nil {
		b = appendTyped(b, "summary", s.Type, s.Content)
	}
	if c := e.Content; c != nil {
		b = appendTyped(b, "content", c.Type, c.Content)
	}
	b = appendIndent(b, 1)
	return append(b, "</entry>"...)
}

// appendIndent starts a new line at depth levels of indent inside the
// entry's prefix.
func appendIndent(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, "  "...)
	}
	return b
}

// appendText appends <name>v</name> on a line of its own.
func appendText(b []byte, depth int, name, v string) []byte {
	b = appendIndent(b, depth)
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, v)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendTyped appends a summary or content element with its type.
func appendTyped(b []byte, name, typ, v string) []byte {
	b = appendIndent(b, 2)
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttr(b, "type", typ)
	b = append(b, '>')
	b = appendEscaped(b, v)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendLinks(b []byte, depth int, links []atomLink) []byte {
	for _, l := range links {
		b = appendIndent(b, depth)
		b = append(b, "<link"...)
		b = appendAttr(b, "href", l.Href)
		for _, a := range [...]struct{ name, v string }{{"rel", l.Rel}, {"type", l.Type}, {"title", l.Title}} {
			if a.v != "" {
				b = appendAttr(b, a.name, a.v)
			}
		}
		b = append(b, "></link>"...)
	}
	return b
}

func appendAuthor(b []byte, depth int, a *gorilla.AtomAuthor) []byte {
	b = appendIndent(b, depth)
	b = append(b, "<author>"...)
	inner := false
	for _, f := range [...]struct{ name, v string }{{"name", a.Name}, {"uri", a.Uri}, {"email", a.Email}} {
		if f.v != "" {
			b = appendText(b, depth+1, f.name, f.v)
			inner = true
		}
	}
	if inner {
		b = appendIndent(b, depth)
	}
	return append(b, "</author>"...)
}

func appendAttr(b []byte, name, v string) []byte {
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, `="`...)
	b = appendEscaped(b, v)
	return append(b, '"')
}

// appendEscaped appends s escaped as encoding/xml escapes text and
// attribute values: the five markup characters and tab, newline and
// carriage return as references, and what XML cannot hold (invalid
// UTF-8, characters outside its range) as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, w := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && w == 1) || !inXMLRange(r) {
				b = append(b, s[last:i]...)
				b = append(b, "\uFFFD"...)
				last = i + w
			}
			i += w
			continue
		}
		var esc string
		switch c {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if c < 0x20 {
				esc = "\uFFFD"
				break
			}
			i++
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		i++
		last = i
	}
	return append(b, s[last:]...)
}

// inXMLRange reports whether r, at or above utf8.RuneSelf, is a character
// XML 1.0 allows.
func inXMLRange(r rune) bool {
	return r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
