package feeds

import (
	"bytes"
	"net/url"
	"slices"
	"strings"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// FeedLink is a feed an HTML page announces.
type FeedLink struct {
	URL   string // absolute, http or https
	Title string // the link's title attribute, if any
	Type  string // application/rss+xml, application/atom+xml or application/feed+json
}

// FeedLinks returns every feed the HTML page announces in its head with
// <link rel="alternate" type="application/rss+xml" href="..."> (or
// atom+xml, feed+json), in page order and each URL once. Links are
// resolved against <base href> and pageURL; links that do not resolve to
// an http or https URL are left out. contentType is the page's
// Content-Type header, for its charset.
func FeedLinks(page []byte, contentType, pageURL string) []FeedLink {
	base, err := url.Parse(pageURL)
	if err != nil || !base.IsAbs() {
		base = nil
	}
	return feedLinks(toUTF8(page, contentType), base)
}

// feedLinks returns the feeds a UTF-8 page links in its head, resolved
// against base (which may be nil) and the page's <base href>.
func feedLinks(page []byte, base *url.URL) []FeedLink {
	var links []FeedLink
	z := xhtml.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return links
		case xhtml.EndTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) == atom.Head {
				return links
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			switch tok.DataAtom {
			case atom.Body:
				return links
			case atom.Base:
				if href := attr(tok, "href"); href != "" {
					if u, err := url.Parse(resolve(base, href)); err == nil && u.IsAbs() {
						base = u
					}
				}
			case atom.Link:
				rels := strings.Fields(strings.ToLower(attr(tok, "rel")))
				typ := strings.ToLower(strings.TrimSpace(attr(tok, "type")))
				if typ, _, _ = strings.Cut(typ, ";"); !feedTypes[strings.TrimSpace(typ)] || !slices.Contains(rels, "alternate") {
					continue
				}
				link := safeURL(base, attr(tok, "href"))
				if link == "" || slices.ContainsFunc(links, func(l FeedLink) bool { return l.URL == link }) {
					continue
				}
				links = append(links, FeedLink{URL: link, Title: squeeze(attr(tok, "title")), Type: strings.TrimSpace(typ)})
			}
		}
	}
}

// CommonFeedPaths returns the paths where sites that announce no feed
// often serve one anyway (WordPress, Blogger, Hugo, Jekyll and others),
// most common first.
func CommonFeedPaths() []string {
	return []string{"/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feeds/posts/default"}
}
