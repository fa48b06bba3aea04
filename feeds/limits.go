package feeds

import (
	"bytes"
	"fmt"

	"github.com/mmcdole/gofeed"
)

// Limits on the shape of a document Parse hands to gofeed. gofeed builds
// a tree of every element it does not know, so a document's cost grows
// with its depth and its number of nodes, not only with its size: a
// 16 MiB Atom document of nested elements took 1.5 GB of heap to parse,
// and 16 MiB of <item/> or of attributes 500 MB, where a real 16 MiB feed
// takes 200 MB. Real feeds are far inside these limits.
const (
	// maxDepth bounds element and JSON nesting. An RSS item sits at depth
	// 3, an Atom entry's XHTML content starts at depth 4, and article
	// markup seldom nests 30 deep; 100 leaves room for the deepest real
	// pages and for unclosed <br> and <p> in feeds that embed raw HTML,
	// while keeping gofeed's tree shallow. JSON Feed nests 4 deep, plus
	// whatever extension objects hold.
	maxDepth = 100
	// maxNodes bounds elements plus attributes in an XML document, and
	// objects, arrays and strings in a JSON one. A 16 MiB RSS feed (the
	// fetcher's default body cap) of 26,000 news items holds about
	// 300,000; one of Atom entries carrying dense XHTML articles about
	// 1,300,000.
	maxNodes = 2_000_000
	// maxItems bounds the items or entries of a feed. Feeds that carry
	// their whole archive have a few thousand; items are what costs most
	// to parse, normalise and store.
	maxItems = 100_000
)

// checkShape returns a one-line error when body, a document of type t
// (feedType), exceeds maxDepth, maxNodes or maxItems, and nil otherwise
// or when gofeed will not take it as a feed at all.
func checkShape(body []byte, t gofeed.FeedType) error {
	switch t {
	case gofeed.FeedTypeAtom, gofeed.FeedTypeRSS:
		return checkXMLShape(body)
	case gofeed.FeedTypeJSON:
		return checkJSONShape(body)
	}
	return nil
}

var (
	errTooDeep  = fmt.Errorf("parse feed: elements nested deeper than %d", maxDepth)
	errTooMany  = fmt.Errorf("parse feed: more than %d elements and attributes", maxNodes)
	errTooLong  = fmt.Errorf("parse feed: more than %d items", maxItems)
	errJSONDeep = fmt.Errorf("parse feed: JSON nested deeper than %d", maxDepth)
	errJSONMany = fmt.Errorf("parse feed: more than %d JSON objects, arrays and strings", maxNodes)
)

// checkXMLShape scans body's markup without building anything. It keeps
// the names of the open elements and closes them as a forgiving parser
// does: an end tag closes its own element and any left open inside it,
// and an end tag that matches nothing open is ignored. Comments, CDATA
// sections, processing instructions and the doctype are skipped.
func checkXMLShape(b []byte) error {
	var open [][]byte // names of the open elements, innermost last
	nodes, items := 0, 0
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := b[i:]
		var skip int // bytes to the end of the construct at i
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			skip = endOf(rest, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			skip = endOf(rest, "]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			skip = endOf(rest, "?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			skip = doctypeEnd(rest)
		case bytes.HasPrefix(rest, []byte("</")):
			name := xmlName(rest[2:])
			for k := len(open) - 1; k >= 0; k-- {
				if bytes.Equal(open[k], name) {
					open = open[:k]
					break
				}
			}
			skip = endOf(rest, ">")
		default:
			name := xmlName(rest[1:])
			if len(name) == 0 {
				skip = 1 // a stray '<' in text
				break
			}
			n, attrs, selfClosing := tagEnd(rest)
			skip = n
			if nodes += 1 + attrs; nodes > maxNodes {
				return errTooMany
			}
			if local := localName(name); bytes.Equal(local, []byte("item")) || bytes.Equal(local, []byte("entry")) {
				if items++; items > maxItems {
					return errTooLong
				}
			}
			if !selfClosing {
				if open = append(open, name); len(open) > maxDepth {
					return errTooDeep
				}
			}
		}
		if skip <= 0 {
			return nil // unterminated: nothing more for gofeed to nest
		}
		i += skip
	}
}

// endOf returns the length of b up to and including the first end after
// its start, or 0 when end does not occur.
func endOf(b []byte, end string) int {
	k := bytes.Index(b[1:], []byte(end))
	if k < 0 {
		return 0
	}
	return 1 + k + len(end)
}

// doctypeEnd returns the length of the <!DOCTYPE ...> (or other <!...>
// declaration) at the start of b, internal subset included, or 0.
func doctypeEnd(b []byte) int {
	depth := 0
	for i := 2; i < len(b); i++ {
		switch b[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '>':
			if depth <= 0 {
				return i + 1
			}
		}
	}
	return 0
}

// tagEnd returns the length of the start tag at the start of b, the
// number of attributes it has, and whether it closes itself ("/>").
// Quoted attribute values may hold '>'. It returns 0 when the tag does
// not end.
func tagEnd(b []byte) (n, attrs int, selfClosing bool) {
	var quote byte
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '=':
			attrs++
		case c == '>':
			return i + 1, attrs, b[i-1] == '/'
		}
	}
	return 0, attrs, false
}

// xmlName returns the element name at the start of b.
func xmlName(b []byte) []byte {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', '/', '>', '<', '=', '"', '\'':
			return b[:i]
		}
	}
	return b
}

// localName returns name without its namespace prefix.
func localName(name []byte) []byte {
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		return name[k+1:]
	}
	return name
}

// checkJSONShape returns an error when arrays and objects in b nest
// deeper than maxDepth, when b holds more than maxNodes objects, arrays
// and strings, or when the arrays of its top-level object hold more than
// maxItems objects (a JSON Feed's items are such objects). Brackets
// inside strings do not count.
func checkJSONShape(b []byte) error {
	var open []byte // '{' or '[' of the open containers, innermost last
	nodes, items := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if c == '{' && len(open) == 2 && open[0] == '{' && open[1] == '[' {
				if items++; items > maxItems {
					return errTooLong
				}
			}
			if open = append(open, c); len(open) > maxDepth {
				return errJSONDeep
			}
		case c == '}' || c == ']':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
			continue
		default:
			continue
		}
		if nodes++; nodes > maxNodes {
			return errJSONMany
		}
	}
	return nil
}
