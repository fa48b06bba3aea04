package aggregator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// probePage loads a page of the service in a 375 px wide frame and
// writes into #result, as JSON, what a person would see of it: whether
// anything overflows the width, the story titles, the outlet links, the
// tag filter links and the feed links.
const probePage = `<!doctype html><html><body style="margin:0">
<iframe id="f" src="%s" style="width:375px;height:900px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument, e = d.documentElement;
  var wide = [];
  d.querySelectorAll("body *").forEach(function (n) {
    var r = n.getBoundingClientRect();
    if (r.right > e.clientWidth + 1) wide.push(n.tagName + "." + n.className);
  });
  document.getElementById("result").textContent = JSON.stringify({
    scrollWidth: e.scrollWidth, clientWidth: e.clientWidth, wide: wide.slice(0, 5),
    titles: Array.from(d.querySelectorAll("article h2")).map(function (n) { return n.textContent.trim(); }),
    outlets: d.querySelectorAll(".outlets a").length,
    tags: Array.from(d.querySelectorAll("nav.tags a")).map(function (n) { return n.getAttribute("href"); }),
    rows: d.querySelectorAll("tbody tr").length,
    alternate: (d.querySelector('link[rel=alternate]') || {}).href || "",
    dark: matchMedia("(prefers-color-scheme: dark)").matches
  });
});
</script></body></html>`

type probe struct {
	ScrollWidth, ClientWidth int
	Wide                     []string
	Titles                   []string
	Outlets                  int
	Tags                     []string
	Rows                     int
	Alternate                string
}

// chromium returns the path of a headless-capable Chromium, or skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium installed (.ci/run installs Debian's)")
	return ""
}

var resultRE = regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`)

// load opens the service's page at path in headless Chromium, 375 px
// wide, and returns what the probe saw and the console errors logged.
func load(t *testing.T, bin string, srv *httptest.Server, path string) (probe, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--window-size=375,1000", "--virtual-time-budget=3000",
		"--enable-logging=stderr", "--v=0", "--dump-dom", srv.URL+"/__probe?page="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := resultRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no probe result in the DOM:\n%s", out)
	}
	var p probe
	if err := json.Unmarshal([]byte(html(string(m[1]))), &p); err != nil {
		t.Fatalf("probe result %q: %v\nstderr: %s", m[1], err, stderr.String())
	}
	var console []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "CONSOLE") && (strings.Contains(line, "rror") || strings.Contains(line, "Uncaught")) {
			console = append(console, line)
		}
	}
	return p, console
}

// html undoes the escaping --dump-dom applies to text.
func html(s string) string {
	return strings.NewReplacer("&quot;", `"`, "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// TestPagesInChromium loads the river page, a tag's page and the status
// page in headless Chromium at a phone's width: the stories, outlets and
// tag filter are there, nothing is wider than the screen, and nothing is
// logged to the console.
func TestPagesInChromium(t *testing.T) {
	bin := chromium(t)
	svc := pagesService(t)
	mux := http.NewServeMux()
	mux.Handle("/", svc.Handler())
	mux.HandleFunc("/__probe", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, probePage, r.URL.Query().Get("page"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	check := func(path string, p probe, console []string) {
		t.Helper()
		if p.ScrollWidth > p.ClientWidth || len(p.Wide) > 0 {
			t.Errorf("%s overflows 375 px: scroll width %d, client width %d, too wide: %v", path, p.ScrollWidth, p.ClientWidth, p.Wide)
		}
		if len(console) > 0 {
			t.Errorf("%s logged to the console: %v", path, console)
		}
	}
	p, console := load(t, bin, srv, "/")
	check("/", p, console)
	if len(p.Titles) != 3 || !strings.Contains(strings.Join(p.Titles, "|"), "Guangxi and ASEAN ports sign rail deal") ||
		!strings.Contains(strings.Join(p.Titles, "|"), "广西与东盟合作新进展") {
		t.Errorf("river titles = %q", p.Titles)
	}
	if p.Outlets != 3 || strings.Join(p.Tags, " ") != "/ /?tag=asean /?tag=vn" || !strings.HasSuffix(p.Alternate, "/feed.atom") {
		t.Errorf("river: %d outlet links, tag links %q, alternate %q", p.Outlets, p.Tags, p.Alternate)
	}
	p, console = load(t, bin, srv, "/?tag=vn")
	check("/?tag=vn", p, console)
	if len(p.Titles) != 1 {
		t.Errorf("/?tag=vn titles = %q, want the one story", p.Titles)
	}
	p, console = load(t, bin, srv, "/status")
	check("/status", p, console)
	if p.Rows != 2 {
		t.Errorf("/status shows %d feeds, want 2", p.Rows)
	}
}
