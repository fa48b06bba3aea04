package feeds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	jsonfeed "github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"
	xhtml "golang.org/x/net/html"
)

// ErrNotFeed is the error Parse returns, wrapped, when the body is not an
// RSS, Atom or JSON Feed document: empty, garbage, or a web page.
var ErrNotFeed = errors.New("feeds: not a feed")

// notFeedError is a one-line "not a feed" message that matches ErrNotFeed.
type notFeedError struct {
	what string // what the body is instead
	link string // the feed an HTML page links, if any
}

func (e *notFeedError) Error() string {
	if e.link != "" {
		return "not a feed (" + e.what + "); it links a feed at " + e.link
	}
	return "not a feed (" + e.what + ")"
}

// Is makes errors.Is(err, ErrNotFeed) hold.
func (e *notFeedError) Is(target error) bool { return target == ErrNotFeed }

// Parse parses body, an RSS 0.9x/1.0/2.0, Atom or JSON Feed document
// fetched from feedURL with the given Content-Type header, and normalises
// it: text decoded to UTF-8, links made absolute against feedURL, titles made plain text, summaries
// and content sanitised, and every item given a GUID and a publication
// time no later than now (now itself when the item has no date).
//
// The charset is chosen as a browser would: a byte order mark (UTF-8,
// UTF-16 or UTF-32) first, then the charset parameter of contentType,
// then the document's own declaration (the XML prolog's encoding, or
// <meta charset> in an HTML page), and with nothing declared, UTF-8 when
// the bytes are valid UTF-8 and windows-1252 when they are not. Decoding
// never garbles text that is clean in its real charset: a blanket
// "utf-8" or "ISO-8859-1" Content-Type gives way to a prolog naming a
// charset the body decodes cleanly in (a GBK feed with a GBK prolog
// served as ISO-8859-1 reads as GBK), valid UTF-8 is not read as latin1,
// and bytes a UTF-8 label does not fit are windows-1252, not U+FFFD.
// Characters XML forbids and what is still invalid UTF-8 (replaced by
// U+FFFD) never reach the parser.
//
// Parse fails with an error matching ErrNotFeed when body is not a feed;
// when it is an HTML page that links a feed, the error names the linked
// feed's absolute URL. A malformed feed gives a one-line parse error.
// Errors do not name feedURL: the caller adds it.
func Parse(body []byte, contentType, feedURL string, now time.Time) (*Feed, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &notFeedError{what: "empty body"}
	}
	base, err := url.Parse(feedURL)
	if err != nil || !base.IsAbs() {
		base = nil
	}
	body = toUTF8(body, contentType)

	gf, ttl, err := parseGofeed(body)
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, notFeed(body, contentType, base)
		}
		return nil, err
	}
	if gf.FeedType == "json" && gf.FeedVersion == "" {
		// Any JSON object passes gofeed; a JSON Feed names its version.
		return nil, &notFeedError{what: "JSON without a JSON Feed version"}
	}
	return normalise(gf, ttl, base, now), nil
}

// parseGofeed runs gofeed on body, turning a panic inside it into an
// error; ttl is an RSS feed's <ttl>. It calls the parser and translator
// of the body's type itself, as gofeed.Parser.Parse would, so that the
// type is detected once and the body is not copied on the way.
func parseGofeed(body []byte) (f *gofeed.Feed, ttl time.Duration, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("parse feed: malformed document (%v)", oneLine(fmt.Sprint(r)))
		}
	}()
	t := feedType(body)
	if err := checkShape(body, t); err != nil {
		return nil, 0, err
	}
	switch t {
	case gofeed.FeedTypeRSS:
		var rf *rss.Feed
		if rf, err = new(rss.Parser).Parse(bytes.NewReader(body)); err == nil {
			// Finding an item image parses every description as HTML;
			// the image is unused.
			f, err = (&gofeed.DefaultRSSTranslator{DisableContentImageScan: true}).Translate(rf)
			ttl = rssTTL(rf)
		}
	case gofeed.FeedTypeAtom:
		var af *atom.Feed
		if af, err = new(atom.Parser).Parse(bytes.NewReader(body)); err == nil {
			f, err = new(gofeed.DefaultAtomTranslator).Translate(af)
		}
	case gofeed.FeedTypeJSON:
		jf := new(jsonfeed.Feed)
		if err = json.Unmarshal(body, jf); err == nil {
			f, err = new(gofeed.DefaultJSONTranslator).Translate(jf)
		}
	default:
		return nil, 0, gofeed.ErrFeedTypeNotDetected
	}
	if err != nil {
		return nil, 0, fmt.Errorf("parse feed: %s", oneLine(err.Error()))
	}
	return f, ttl, nil
}

// feedType detects the type of body on its first 4 KiB, as
// gofeed.Parser.Parse does.
func feedType(body []byte) gofeed.FeedType {
	return gofeed.DetectFeedType(bytes.NewReader(body[:min(len(body), 4096)]))
}

// oneLine collapses s to a single line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// rssTTL returns the <ttl> of an RSS feed, or zero.
func rssTTL(rf *rss.Feed) time.Duration {
	if rf.TTL == "" {
		return 0
	}
	var min int
	if _, err := fmt.Sscan(strings.TrimSpace(rf.TTL), &min); err != nil || min <= 0 {
		return 0
	}
	return time.Duration(min) * time.Minute
}

// notFeed explains why body, which gofeed did not recognise, is not a
// feed: it is a web page (naming the feed it links, if any), or neither
// XML nor JSON that gofeed knows.
func notFeed(body []byte, contentType string, base *url.URL) error {
	if !looksHTML(body, contentType) {
		return &notFeedError{what: "no RSS, Atom or JSON Feed document"}
	}
	if links := feedLinks(body, base); len(links) > 0 {
		return &notFeedError{what: "HTML page", link: links[0].URL}
	}
	return &notFeedError{what: "HTML page"}
}

// looksHTML reports whether body is an HTML page.
func looksHTML(body []byte, contentType string) bool {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "text/html") {
		return true
	}
	head := body[:min(len(body), 1024)]
	for _, tag := range [...]string{"<!doctype html", "<html", "<head"} {
		if bytesContainsFold(head, tag) {
			return true
		}
	}
	return false
}

func bytesContainsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if strings.EqualFold(string(b[i:i+len(s)]), s) {
			return true
		}
	}
	return false
}

// feedTypes are the link types that announce a feed.
var feedTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
}

func attr(t xhtml.Token, key string) string {
	for _, a := range t.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
