package feeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// OPMLFeed is one feed of a reading list, as OPML carries it: its URL,
// the title to show (empty when the feed's own title is to be used) and
// its tags.
type OPMLFeed struct {
	URL   string
	Title string
	Tags  []string
}

// ErrNotOPML is the error ParseOPML returns, wrapped, when a document is
// not an OPML reading list: not XML, another kind of XML, truncated, or
// without a single feed.
var ErrNotOPML = errors.New("feeds: not an OPML document")

type opmlError struct{ why string }

func (e *opmlError) Error() string        { return "not an OPML document: " + e.why }
func (e *opmlError) Is(target error) bool { return target == ErrNotOPML }

// Limits on an OPML document. Reading lists of thousands of feeds exist;
// nothing real nests folders more than a few deep.
const (
	maxOPMLDepth    = 50
	maxOPMLOutlines = 200_000
)

// ParseOPML returns the feeds of an OPML 1.0 or 2.0 document, in document
// order. A feed is an outline with an xmlUrl. Its title is the outline's
// title, else its text, with runs of white space made one space; a title
// that only repeats the URL is dropped. Its tags are the titles of the
// folders (outlines without an xmlUrl) it sits in, outermost first,
// followed by the entries of its category attribute (comma-separated,
// a leading slash dropped), each once. A feed listed more than once (in
// two folders, say) is returned once, with the tags of every listing and
// its first title.
//
// The charset is found as Parse finds a feed's, from contentType (the
// HTTP header, or "" for a file) and the document. Unescaped ampersands and
// HTML entities are accepted, as feed readers accept them. ParseOPML
// fails with an error matching ErrNotOPML when data is not XML, its root
// is not <opml>, it ends before </body>, or it holds no feed.
func ParseOPML(data []byte, contentType string) ([]OPMLFeed, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &opmlError{"empty"}
	}
	d := xml.NewDecoder(bytes.NewReader(toUTF8(data, contentType)))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) {
		return r, nil // toUTF8 has decoded it, whatever the prolog says
	}
	p := &opmlParser{index: map[string]int{}}
	if err := p.parse(d); err != nil {
		return nil, err
	}
	if len(p.feeds) == 0 {
		return nil, &opmlError{"no feeds in it (no outline has an xmlUrl)"}
	}
	return p.feeds, nil
}

type opmlParser struct {
	feeds    []OPMLFeed
	index    map[string]int // feeds by URL
	folders  []string       // open folder outlines' tags; "" for an untitled folder or a feed
	outlines int
}

func (p *opmlParser) parse(d *xml.Decoder) error {
	var root, body, bodyDone bool
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) && se.Msg == "unexpected EOF" {
				return &opmlError{"it ends early (truncated?)"}
			}
			if errors.As(err, &se) {
				return &opmlError{fmt.Sprintf("line %d: %s", se.Line, se.Msg)}
			}
			return &opmlError{oneLine(err.Error())}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			name := strings.ToLower(t.Name.Local)
			switch {
			case depth == 1:
				if name != "opml" {
					if name == "rss" || name == "feed" || name == "rdf" {
						return &opmlError{"it is a feed (<" + t.Name.Local + ">), not a list of feeds"}
					}
					return &opmlError{"the root element is <" + t.Name.Local + ">, not <opml>"}
				}
				root = true
			case depth == 2 && name == "body":
				body = true
			case body && !bodyDone && name == "outline":
				if depth > maxOPMLDepth {
					return &opmlError{fmt.Sprintf("outlines nested deeper than %d", maxOPMLDepth-2)}
				}
				if p.outlines++; p.outlines > maxOPMLOutlines {
					return &opmlError{fmt.Sprintf("more than %d outlines", maxOPMLOutlines)}
				}
				p.outline(t.Attr)
			}
		case xml.EndElement:
			name := strings.ToLower(t.Name.Local)
			switch {
			case depth == 2 && name == "body" && body:
				bodyDone = true
			case body && !bodyDone && name == "outline" && len(p.folders) > 0:
				p.folders = p.folders[:len(p.folders)-1]
			}
			depth--
		}
		if depth > maxOPMLDepth {
			return &opmlError{fmt.Sprintf("elements nested deeper than %d", maxOPMLDepth)}
		}
	}
	switch {
	case !root:
		return &opmlError{"no <opml> element"}
	case !body:
		return &opmlError{"no <body>"}
	case !bodyDone || depth > 0:
		return &opmlError{"it ends early (truncated?)"}
	}
	return nil
}

// outline takes in one <outline>: a feed, or a folder whose tag applies
// to the outlines inside it until its end tag.
func (p *opmlParser) outline(attrs []xml.Attr) {
	a := func(key string) string {
		for _, at := range attrs {
			if strings.EqualFold(at.Name.Local, key) {
				return at.Value
			}
		}
		return ""
	}
	title := squeeze(a("title"))
	if title == "" {
		title = squeeze(a("text"))
	}
	u := strings.TrimSpace(a("xmlUrl"))
	if u == "" {
		p.folders = append(p.folders, title)
		return
	}
	p.folders = append(p.folders, "") // a feed's children add no tag
	if title == squeeze(u) {
		title = ""
	}
	var tags []string
	for _, t := range p.folders {
		tags = addTag(tags, t)
	}
	for c := range strings.SplitSeq(a("category"), ",") {
		tags = addTag(tags, strings.TrimPrefix(strings.TrimSpace(c), "/"))
	}
	i, seen := p.index[u]
	if !seen {
		p.index[u] = len(p.feeds)
		p.feeds = append(p.feeds, OPMLFeed{URL: u, Title: title, Tags: tags})
		return
	}
	f := &p.feeds[i]
	if f.Title == "" {
		f.Title = title
	}
	for _, t := range tags {
		f.Tags = addTag(f.Tags, t)
	}
}

// addTag appends tag, with runs of white space made one space, unless it
// is empty or there already.
func addTag(tags []string, tag string) []string {
	tag = squeeze(tag)
	if tag == "" || slices.Contains(tags, tag) {
		return tags
	}
	return append(tags, tag)
}

// squeeze trims s and makes each run of white space in it one space.
func squeeze(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// The OPML 2.0 document WriteOPML writes.
type (
	opmlDoc struct {
		XMLName xml.Name      `xml:"opml"`
		Version string        `xml:"version,attr"`
		Title   string        `xml:"head>title"`
		Docs    string        `xml:"head>docs"`
		Body    []opmlOutline `xml:"body>outline"`
	}
	opmlOutline struct {
		Type     string        `xml:"type,attr,omitempty"`
		Text     string        `xml:"text,attr"`
		Title    string        `xml:"title,attr,omitempty"`
		XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
		Category string        `xml:"category,attr,omitempty"`
		Outlines []opmlOutline `xml:"outline"`
	}
)

// WriteOPML writes list to w as an OPML 2.0 document titled title. A feed
// with tags is written inside a folder outline named by its first tag
// (one folder per tag, in the order the tags first appear) and carries
// all its tags in its category attribute; a feed without tags is written
// at the top level where it comes in list. Each feed is an outline of
// type rss with text and title (its URL when it has no title) and xmlUrl.
// ParseOPML reads the document back as list, but for the order of the
// feeds (grouped by folder) and for tags holding a comma or starting with
// a slash, which a category cannot carry.
func WriteOPML(w io.Writer, title string, list []OPMLFeed) error {
	doc := opmlDoc{Version: "2.0", Title: title, Docs: "https://opml.org/spec2.opml"}
	folders := map[string]int{} // index in doc.Body
	for _, f := range list {
		o := opmlOutline{Type: "rss", Text: f.Title, Title: f.Title, XMLURL: f.URL, Category: strings.Join(f.Tags, ",")}
		if o.Text == "" {
			o.Text = f.URL
		}
		if len(f.Tags) == 0 {
			doc.Body = append(doc.Body, o)
			continue
		}
		i, ok := folders[f.Tags[0]]
		if !ok {
			i = len(doc.Body)
			folders[f.Tags[0]] = i
			doc.Body = append(doc.Body, opmlOutline{Text: f.Tags[0], Title: f.Tags[0]})
		}
		doc.Body[i].Outlines = append(doc.Body[i].Outlines, o)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	e := xml.NewEncoder(w)
	e.Indent("", "  ")
	if err := e.Encode(doc); err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// OPMLContentType is the media type ServeOPML answers with.
const OPMLContentType = "text/x-opml; charset=utf-8"

// ServeOPML answers r with list as the OPML document WriteOPML writes,
// titled title: GET and HEAD, with a strong ETag of the document and 304
// Not Modified to a request that has it; 405 to other methods.
func ServeOPML(w http.ResponseWriter, r *http.Request, title string, list []OPMLFeed) {
	if !ReadOnly(w, r) {
		return
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, title, list); err != nil {
		http.Error(w, "cannot write the OPML document", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(buf.Bytes())
	h := w.Header()
	h.Set("Content-Type", OPMLContentType)
	h.Set("ETag", `"`+base64.RawURLEncoding.EncodeToString(sum[:12])+`"`)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(buf.Bytes()))
}
