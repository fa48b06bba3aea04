package feedfarm

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// rendition is one feed's pre-rendered response at one publication round.
type rendition struct {
	body         []byte
	gz           []byte
	etag         string // "" when the feed sends none
	lastModified string // "" when the feed sends none
	modified     time.Time
	contentType  string
}

func xmlText(b *bytes.Buffer, s string) {
	xml.EscapeText(b, []byte(s)) //nolint:errcheck // writes to a bytes.Buffer do not fail
}

func elem(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	xmlText(b, text)
	b.WriteString("</" + name + ">")
}

// render renders f's current items (newest first) in its format.
func render(f *feedInfo, items []*item, modified time.Time, round int) *rendition {
	var b bytes.Buffer
	b.Grow(1024 + len(items)*1200)
	rd := &rendition{modified: modified}
	switch f.format {
	case RSS2:
		enc := "UTF-8"
		if f.gbk {
			enc = "GBK"
		}
		b.WriteString(`<?xml version="1.0" encoding="` + enc + `"?>` + "\n")
		b.WriteString(`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>`)
		elem(&b, "title", f.title)
		elem(&b, "link", f.home())
		elem(&b, "description", "News from "+f.title)
		if f.gbk {
			elem(&b, "language", "zh-cn")
		} else {
			elem(&b, "language", "en")
		}
		elem(&b, "lastBuildDate", modified.Format(time.RFC1123Z))
		for _, it := range items {
			b.WriteString("<item>")
			elem(&b, "title", it.title)
			elem(&b, "link", it.link)
			if it.guid == it.link {
				b.WriteString(`<guid isPermaLink="true">`)
			} else {
				b.WriteString(`<guid isPermaLink="false">`)
			}
			xmlText(&b, it.guid)
			b.WriteString("</guid>")
			elem(&b, "pubDate", it.published.Format(time.RFC1123Z))
			elem(&b, "description", it.summary)
			elem(&b, "content:encoded", it.content)
			b.WriteString("</item>")
		}
		b.WriteString("</channel></rss>\n")
		rd.contentType = "application/rss+xml; charset=" + enc
	case Atom:
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
		b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">`)
		elem(&b, "title", f.title)
		elem(&b, "id", "tag:"+f.site+",2026:feed")
		b.WriteString(`<link rel="alternate" href="` + f.home() + `"/>`)
		elem(&b, "updated", modified.Format(time.RFC3339))
		for _, it := range items {
			b.WriteString("<entry>")
			elem(&b, "title", it.title)
			elem(&b, "id", it.guid)
			b.WriteString(`<link rel="alternate" href="`)
			xmlText(&b, it.link)
			b.WriteString(`"/>`)
			elem(&b, "published", it.published.Format(time.RFC3339))
			elem(&b, "updated", it.published.Format(time.RFC3339))
			b.WriteString("<author><name>")
			xmlText(&b, f.title+" staff")
			b.WriteString("</name></author>")
			b.WriteString(`<summary type="text">`)
			xmlText(&b, it.summary)
			b.WriteString(`</summary><content type="html">`)
			xmlText(&b, it.content)
			b.WriteString("</content></entry>")
		}
		b.WriteString("</feed>\n")
		rd.contentType = "application/atom+xml; charset=utf-8"
	case RSS1:
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
		b.WriteString(`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">`)
		b.WriteString(`<channel rdf:about="` + f.home() + `">`)
		elem(&b, "title", f.title)
		elem(&b, "link", f.home())
		elem(&b, "description", "News from "+f.title)
		b.WriteString("<items><rdf:Seq>")
		for _, it := range items {
			b.WriteString(`<rdf:li rdf:resource="`)
			xmlText(&b, it.link)
			b.WriteString(`"/>`)
		}
		b.WriteString("</rdf:Seq></items></channel>")
		for _, it := range items {
			b.WriteString(`<item rdf:about="`)
			xmlText(&b, it.link)
			b.WriteString(`">`)
			elem(&b, "title", it.title)
			elem(&b, "link", it.link)
			elem(&b, "description", it.summary)
			elem(&b, "dc:date", it.published.Format(time.RFC3339))
			b.WriteString("</item>")
		}
		b.WriteString("</rdf:RDF>\n")
		rd.contentType = "application/rdf+xml; charset=utf-8"
	case JSON:
		type jsonItem struct {
			ID            string `json:"id"`
			URL           string `json:"url"`
			Title         string `json:"title"`
			Summary       string `json:"summary"`
			ContentHTML   string `json:"content_html"`
			DatePublished string `json:"date_published"`
		}
		doc := struct {
			Version string     `json:"version"`
			Title   string     `json:"title"`
			Home    string     `json:"home_page_url"`
			FeedURL string     `json:"feed_url"`
			Items   []jsonItem `json:"items"`
		}{Version: "https://jsonfeed.org/version/1.1", Title: f.title, Home: f.home(), FeedURL: f.url}
		for _, it := range items {
			doc.Items = append(doc.Items, jsonItem{ID: it.guid, URL: it.link, Title: it.title, Summary: it.summary,
				ContentHTML: it.content, DatePublished: it.published.Format(time.RFC3339)})
		}
		json.NewEncoder(&b).Encode(doc) //nolint:errcheck // plain strings always encode
		rd.contentType = "application/feed+json"
	}
	rd.body = b.Bytes()
	if f.gbk {
		gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(rd.body)
		if err != nil {
			panic(fmt.Sprintf("feedfarm: GBK-encode feed %d: %v", f.idx, err)) // the word lists are all GBK
		}
		rd.body = gbk
	}
	if f.fault == Truncated {
		rd.body = rd.body[:len(rd.body)/2]
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	zw.Write(rd.body) //nolint:errcheck // writes to a bytes.Buffer do not fail
	zw.Close()
	rd.gz = z.Bytes()
	if f.validators&sendETag != 0 {
		rd.etag = `"` + strconv.Itoa(f.idx) + "-" + strconv.Itoa(round) + `"`
	}
	if f.validators&sendLastModified != 0 {
		rd.lastModified = modified.UTC().Format(http.TimeFormat)
	}
	return rd
}
