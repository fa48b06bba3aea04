package feeds

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// benchRSS returns an RSS 2.0 document with n typical news items.
func benchRSS(n int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench News</title><link>https://bench.example/</link><language>en</language>`)
	for i := range n {
		fmt.Fprintf(&b, `<item><title>Guangxi and ASEAN sign agreement number %d on technology cooperation</title>`+
			`<link>https://bench.example/news/2026/03/%d.html?utm_source=rss</link><guid>bench-%d</guid>`+
			`<pubDate>Mon, 02 Mar 2026 08:%02d:00 +0800</pubDate><category>Economy</category>`+
			`<description><![CDATA[<p>NANNING, March 2 &mdash; Guangxi signed <b>%d</b> cooperation agreements with ASEAN countries `+
			`on Monday, covering digital economy, <a href="https://bench.example/tag/ai">artificial intelligence</a> and green energy. `+
			`<img src="https://bench.example/img/%d.jpg" alt="signing"></p>]]></description></item>`, i, i, i, i%60, i, i)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	body := benchRSS(20)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body, "application/rss+xml", "https://bench.example/rss.xml", now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(20*b.N)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkRender(b *testing.B) {
	f, err := Parse(benchRSS(100), "", "https://bench.example/rss.xml", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	stories := storiesOf(f, "https://bench.example/rss.xml")
	b.ReportAllocs()
	for b.Loop() {
		if err := Render(io.Discard, testMeta, stories, FormatAtom); err != nil {
			b.Fatal(err)
		}
	}
}
