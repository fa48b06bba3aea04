package feeds

import (
	"crypto/sha1"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/language"
)

// normalise turns gofeed's universal feed into a Feed whose items keep
// the promises documented on Item.
func normalise(gf *gofeed.Feed, ttl time.Duration, base *url.URL, now time.Time) *Feed {
	f := &Feed{
		Title:   plainText(scrub(gf.Title)),
		SiteURL: safeURL(base, gf.Link),
		Lang:    langTag(gf.Language),
		TTL:     ttl,
		Items:   make([]Item, 0, len(gf.Items)),
	}
	if f.Lang == "" && gf.DublinCoreExt != nil && len(gf.DublinCoreExt.Language) > 0 {
		f.Lang = langTag(gf.DublinCoreExt.Language[0])
	}
	for _, gi := range gf.Items {
		if gi == nil {
			continue
		}
		f.Items = append(f.Items, normaliseItem(gi, base, f.Lang, now))
	}
	return f
}

// normaliseItem builds one Item from a gofeed item.
func normaliseItem(gi *gofeed.Item, base *url.URL, lang string, now time.Time) Item {
	it := Item{
		URL:        itemLink(gi, base),
		Title:      plainText(scrub(gi.Title)),
		Summary:    sanitise(scrub(gi.Description), base),
		Author:     author(gi),
		Lang:       lang,
		Categories: categories(gi.Categories),
	}
	if gi.Content == gi.Description {
		it.Content = it.Summary
	} else {
		it.Content = sanitise(scrub(gi.Content), base)
	}
	it.GUID = guid(gi, &it) // before a derived title, so the GUID stays as it was
	if it.Title == "" {
		text := it.Summary
		if plainText(text) == "" {
			text = it.Content
		}
		it.Title, it.TitleDerived = deriveTitle(text, it.URL), true
	}
	it.Published, it.Updated = dates(gi, now)
	return it
}

// itemLink returns the item's link, else its first other link, that
// safeURL accepts, or "" when it has none: an item whose only link is
// javascript: or mailto: is kept without a link.
func itemLink(gi *gofeed.Item, base *url.URL) string {
	if l := safeURL(base, gi.Link); l != "" {
		return l
	}
	for _, l := range gi.Links {
		if l = safeURL(base, l); l != "" {
			return l
		}
	}
	return ""
}

// guid returns the item's guid or id, else its link, else a hash of its
// title and content.
func guid(gi *gofeed.Item, it *Item) string {
	if g := strings.TrimSpace(scrub(gi.GUID)); g != "" {
		return g
	}
	if it.URL != "" {
		return it.URL
	}
	h := sha1.New()
	h.Write([]byte(it.Title))
	h.Write([]byte{0})
	h.Write([]byte(it.Summary))
	h.Write([]byte{0})
	h.Write([]byte(it.Content))
	return "sha1:" + hex.EncodeToString(h.Sum(nil))
}

// dates returns the item's publication and update times: the published
// date, else the updated date, else now; never later than now, and the
// update never before the publication.
func dates(gi *gofeed.Item, now time.Time) (published, updated time.Time) {
	switch {
	case gi.PublishedParsed != nil && !gi.PublishedParsed.IsZero():
		published = *gi.PublishedParsed
	case gi.UpdatedParsed != nil && !gi.UpdatedParsed.IsZero():
		published = *gi.UpdatedParsed
	default:
		published = now
	}
	updated = published
	if gi.UpdatedParsed != nil && gi.UpdatedParsed.After(published) {
		updated = *gi.UpdatedParsed
	}
	if published.After(now) {
		published = now
	}
	if updated.After(now) {
		updated = now
	}
	return published, updated
}

// author returns the name (else the e-mail address) of the item's first
// author.
func author(gi *gofeed.Item) string {
	for _, p := range gi.Authors {
		if p == nil {
			continue
		}
		if s := plainText(scrub(p.Name)); s != "" {
			return s
		}
		if s := plainText(scrub(p.Email)); s != "" {
			return s
		}
	}
	if gi.Author != nil {
		if s := plainText(scrub(gi.Author.Name)); s != "" {
			return s
		}
	}
	return ""
}

// maxCategories bounds an item's categories: news items carry a handful
// and blog posts a few dozen tags, while a hostile feed could carry a
// million.
const maxCategories = 100

// categories returns the plain-text category names, without empty ones
// or repeats (compared without case), at most maxCategories of them.
func categories(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(in), maxCategories))
	seen := make(map[string]bool, min(len(in), maxCategories))
	for _, c := range in {
		c = plainText(scrub(c))
		if c == "" {
			continue
		}
		if k := strings.ToLower(c); !seen[k] {
			seen[k] = true
			out = append(out, c)
			if len(out) == maxCategories {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// langTag returns s as a canonical BCP 47 tag ("zh-cn" becomes "zh-CN"),
// or "" when s is not one.
func langTag(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	t, err := language.Parse(s)
	if err != nil {
		return ""
	}
	return t.String()
}
