package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// nested returns a document of about size bytes: pre, open repeated,
// close as often, post.
func nested(size int, pre, open, close, post string) []byte {
	n := max(0, (size-len(pre)-len(post))/(len(open)+len(close)))
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(pre)
	b.WriteString(strings.Repeat(open, n))
	b.WriteString(strings.Repeat(close, n))
	b.WriteString(post)
	return b.Bytes()
}

// repeated returns pre, el repeated to fill about size bytes, and post.
func repeated(size int, pre, el, post string) []byte {
	n := max(0, (size-len(pre)-len(post))/len(el))
	return []byte(pre + strings.Repeat(el, n) + post)
}

const (
	rssHead  = `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>t</title><guid>g</guid>`
	rssTail  = `</item></channel></rss>`
	atomHead = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><id>urn:x</id><entry><id>urn:x:1</id><title>t</title>`
	atomTail = `</entry></feed>`
	jsonHead = `{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1","_ext":`
	jsonTail = `}]}`
)

// hostileDocs are documents whose parse cost grows with their shape: each
// is 16 MiB, the fetcher's default body cap.
func hostileDocs() []struct {
	name string
	body []byte
	want error
} {
	const size = 16 << 20
	return []struct {
		name string
		body []byte
		want error
	}{
		{"atom nested elements", nested(size, atomHead, "<a>", "</a>", atomTail), errTooDeep},
		{"rss nested extension", nested(size, rssHead, "<x:a>", "</x:a>", rssTail), errTooDeep},
		{"rss nested, never closed", repeated(size, rssHead, "<b>", rssTail), errTooDeep},
		{"json nested arrays", nested(size, jsonHead, "[", "]", jsonTail), errJSONDeep},
		{"json nested objects", nested(size, jsonHead, `{"a":`, "}", jsonTail), errJSONDeep},
		{"rss many categories", repeated(size, rssHead, "<category/>", rssTail), nil}, // 1.5 million, within maxNodes
		{"rss many elements with attributes", repeated(size, rssHead, `<c a="" b=""/>`, rssTail), errTooMany},
		{"rss many attributes", []byte(rssHead + "<x " + strings.Repeat(`a="" `, size/5) + "/>" + rssTail), errTooMany},
		{"rss many items", repeated(size, `<rss version="2.0"><channel><title>x</title>`, "<item><title>t</title></item>", `</channel></rss>`), errTooLong},
		{"atom many entries", repeated(size, `<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>`, "<entry/>", `</feed>`), errTooLong},
		{"json many items", repeated(size, `{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[`, `{"id":"1"},`, `{"id":"2"}]}`), errTooLong},
		{"json many strings", repeated(size, `{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1","tags":[`, `"a",`, `"b"]}]}`), errJSONMany},
	}
}

func TestParseRejectsHostileShapes(t *testing.T) {
	for _, tt := range hostileDocs() {
		if tt.want == nil {
			continue // accepted; BenchmarkParseHostile measures it
		}
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.body, "", "https://x.example/feed", testNow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v items, error %v; want %v", itemCount(f), err, tt.want)
			}
			if errors.Is(err, ErrNotFeed) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error %q: want a one-line parse error, not ErrNotFeed", err)
			}
		})
	}
}

func itemCount(f *Feed) int {
	if f == nil {
		return 0
	}
	return len(f.Items)
}

// TestParseAcceptsRealisticShapes checks that the limits leave real
// feeds alone: deep XHTML content, raw HTML with unclosed tags, markup
// inside comments and CDATA, a doctype, and nesting just at the limit.
func TestParseAcceptsRealisticShapes(t *testing.T) {
	xhtml30 := `<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">` +
		strings.Repeat("<div><span>", 15) + "deep text" + strings.Repeat("</span></div>", 15) + `</div></content>`
	tests := []struct {
		name, body, want string // want: the first item's title
	}{
		{"atom xhtml 30 deep", atomHead + xhtml30 + atomTail, "t"},
		{"many atom entries with xhtml", `<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><id>urn:x</id>` +
			strings.Repeat(`<entry><id>urn:x:1</id><title>t</title>`+xhtml30+`</entry>`, 500) + `</feed>`, "t"},
		{"raw html with unclosed tags", `<rss version="2.0"><channel><title>x</title>` +
			strings.Repeat(`<item><title>t</title><description><p>a<br>b<br>c<img src="x"><p>d</description></item>`, 300) + `</channel></rss>`, "t"},
		{"markup in cdata and comments", rssHead + "<description><![CDATA[" + strings.Repeat("<div>", 1000) + "]]></description><!-- " +
			strings.Repeat("<a>", 1000) + " -->" + rssTail, "t"},
		{"doctype with internal subset", `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "x"> <!ELEMENT rss ANY>]>` + rssHead + rssTail, "t"},
		{"attribute values with brackets", rssHead + `<x:a xmlns:x="urn:x" b="a>b" c='/>'>v</x:a>` + rssTail, "t"},
		{"nesting at the limit", rssHead + strings.Repeat("<a>", maxDepth-3) + strings.Repeat("</a>", maxDepth-3) + rssTail, "t"},
		{"json feed with extensions", `{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1","title":"t","_ext":{"a":[{"b":[1,2,"[[[{{{"]}]}}]}`, "t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), "", "https://x.example/feed", testNow)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(f.Items) == 0 || f.Items[0].Title != tt.want {
				t.Errorf("items %d, first %+v; want a first item titled %q", len(f.Items), f.Items, tt.want)
			}
		})
	}
}

// BenchmarkParseHostile reports the bytes allocated per byte of body
// while parsing each hostile document, beside a real feed of the same
// size and, for the deepest one, gofeed without the limits (before
// checkShape): go test ./feeds -run=^$ -bench=ParseHostile -benchtime=1x
func BenchmarkParseHostile(b *testing.B) {
	const size = 16 << 20
	type doc struct {
		name  string
		body  []byte
		parse func([]byte) error
	}
	ours := func(body []byte) error {
		_, err := Parse(body, "", "https://x.example/feed", testNow)
		return err
	}
	docs := []doc{{"real rss", benchRSS(size / 620), ours}}
	for _, d := range hostileDocs() {
		docs = append(docs, doc{d.name, d.body, ours})
	}
	deep := hostileDocs()[0].body
	docs = append(docs, doc{"atom nested elements, gofeed unchecked", deep, func(body []byte) error {
		_, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		return err
	}})
	for _, d := range docs {
		b.Run(d.name, func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for b.Loop() {
				d.parse(d.body) //nolint:errcheck // rejection is the point
			}
			runtime.ReadMemStats(&after)
			perOp := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N)
			b.ReportMetric(perOp/(1<<20), "MiB-alloc/op")
			b.ReportMetric(perOp/float64(len(d.body)), "alloc/body-byte")
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	// rss, channel and item are three levels.
	body := rssHead + strings.Repeat("<a>", maxDepth-2) + strings.Repeat("</a>", maxDepth-2) + rssTail
	if _, err := Parse([]byte(body), "", "https://x.example/feed", testNow); !errors.Is(err, errTooDeep) {
		t.Errorf("Parse of %d levels: error %v, want %v", maxDepth+1, err, errTooDeep)
	}
	if got, want := errTooDeep.Error(), fmt.Sprintf("parse feed: elements nested deeper than %d", maxDepth); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}
