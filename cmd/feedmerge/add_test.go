package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/feedmerge/feedmerge/aggregator"
)

const rssFeed = `<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title>
<item><guid>1</guid><title>First</title><link>https://site.example/1</link></item>
<item><guid>2</guid><title>Second</title><link>https://site.example/2</link></item>
</channel></rss>`

// site is a web site for add to discover feeds on. It records the paths
// it was asked for and the User-Agent.
type site struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	agents map[string]bool
}

func newSite(t *testing.T, pages map[string]string) *site {
	t.Helper()
	s := &site{agents: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.agents[r.UserAgent()] = true
		s.mu.Unlock()
		body, ok := pages[r.URL.Path]
		switch {
		case !ok:
			http.NotFound(w, r)
		case strings.HasPrefix(body, "redirect "):
			code, to, _ := strings.Cut(strings.TrimPrefix(body, "redirect "), " ")
			var n int
			fmt.Sscan(code, &n)
			http.Redirect(w, r, to, n)
		case strings.HasPrefix(body, "<!doctype html>"):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		default:
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprint(w, body)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) requested() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

func TestAdd(t *testing.T) {
	pages := map[string]string{
		"/feed.xml":   fmt.Sprintf(rssFeed, "Site news"),
		"/other.xml":  fmt.Sprintf(rssFeed, "Site comments"),
		"/one":        `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" title="News" href="/feed.xml"></head><body></body></html>`,
		"/moved":      "redirect 301 /feed.xml",
		"/temporary":  "redirect 302 /feed.xml",
		"/blog/index": `<!doctype html><html><head><title>No links</title></head><body><a href="/feed.xml">feed</a></body></html>`,
		"/old":        `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="https://old.example/rss.xml"></head></html>`,
	}
	srv := newSite(t, pages)
	const before = "# my feeds\nfeeds:\n  - url: https://old.example/rss.xml # keep\n\n# the end\n"
	tests := []struct {
		name  string
		args  []string
		out   string   // stdout contains
		added []string // config lines
		paths []string // requested, when set
	}{
		{
			name:  "a feed",
			args:  []string{srv.URL + "/feed.xml"},
			out:   `added ` + srv.URL + `/feed.xml to CONFIG: "Site news" as it calls itself, 2 items`,
			added: []string{"  - url: " + srv.URL + "/feed.xml"},
			paths: []string{"/feed.xml"},
		},
		{
			name:  "title and tags, flags on both sides",
			args:  []string{"-title", "My: title", srv.URL + "/feed.xml", "-tags", "asean, economy,,asean"},
			out:   `added ` + srv.URL + `/feed.xml to CONFIG: as "My: title", 2 items, tags asean, economy`,
			added: []string{"  - url: " + srv.URL + "/feed.xml", "    title: 'My: title'", "    tags: [asean, economy]"},
		},
		{
			name:  "a page linking one feed",
			args:  []string{srv.URL + "/one"},
			out:   srv.URL + "/one links the feed " + srv.URL + "/feed.xml\n",
			added: []string{"  - url: " + srv.URL + "/feed.xml"},
			paths: []string{"/one", "/feed.xml"},
		},
		{
			name:  "moved for good",
			args:  []string{srv.URL + "/moved"},
			added: []string{"  - url: " + srv.URL + "/feed.xml"},
		},
		{
			name:  "moved for now",
			args:  []string{srv.URL + "/temporary"},
			added: []string{"  - url: " + srv.URL + "/temporary"},
		},
		{
			name:  "a page without links, a feed at a common path",
			args:  []string{srv.URL + "/blog/index"},
			out:   srv.URL + "/blog/index links no feed; found one at " + srv.URL + "/feed.xml\n",
			added: []string{"  - url: " + srv.URL + "/feed.xml"},
			paths: []string{"/blog/index", "/blog/feed", "/blog/rss", "/blog/rss.xml", "/blog/atom.xml", "/blog/feed.xml", "/blog/index.xml", "/blog/feeds/posts/default",
				"/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml"},
		},
		{
			name:  "already present",
			args:  []string{"https://old.example/rss.xml "},
			out:   "https://old.example/rss.xml is already in CONFIG; nothing changed\n",
			paths: []string{},
		},
		{
			name: "a page linking a feed already present",
			args: []string{srv.URL + "/old"},
			out:  "https://old.example/rss.xml is already in CONFIG; nothing changed\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, before)
			start := len(srv.requested())
			code, out, errs := run(t, append([]string{"add", "-config", cfg}, tt.args...)...)
			if code != exitOK || errs != "" {
				t.Fatalf("code %d, stderr %q", code, errs)
			}
			if want := strings.ReplaceAll(tt.out, "CONFIG", cfg); !strings.Contains(out, want) {
				t.Errorf("stdout %q, want it to contain %q", out, want)
			}
			if got := addedLines(t, before, readFile(t, cfg)); !reflect.DeepEqual(got, tt.added) {
				t.Errorf("added lines %q, want %q", got, tt.added)
			}
			if got := srv.requested()[start:]; tt.paths != nil && !reflect.DeepEqual(got, tt.paths) {
				t.Errorf("requested %q, want %q", got, tt.paths)
			}
			if _, err := aggregator.LoadConfig(cfg); err != nil {
				t.Errorf("config after add: %v", err)
			}
		})
	}
	if !reflect.DeepEqual(srv.agents, map[string]bool{aggregator.UserAgent: true}) {
		t.Errorf("User-Agents %v, want %q only", srv.agents, aggregator.UserAgent)
	}
}

func TestAddRefuses(t *testing.T) {
	srv := newSite(t, map[string]string{
		"/feed.xml": fmt.Sprintf(rssFeed, "Site news"),
		"/several": `<!doctype html><html><head>
<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.atom">
<link rel="alternate" type="application/rss+xml" title="Old" href="https://old.example/rss.xml">
</head></html>`,
		"/broken":     `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="/missing.xml"></head></html>`,
		"/text":       "just text",
		"/malformed":  `<rss version="2.0"><channel><title>x</title><item><title>a</item>`,
		"/linksapage": `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="/several"></head></html>`,
	})
	bare := newSite(t, map[string]string{"/nothing": `<!doctype html><html><head><title>Nothing here</title></head></html>`})
	const before = "# my feeds\nfeeds:\n  - url: https://old.example/rss.xml # keep\n"
	tests := []struct {
		name, url string
		code      int
		err, out  string
	}{
		{"several feeds", srv.URL + "/several", exitFailure, "links 3 feeds (listed above); run 'feedmerge add URL' with the one you want",
			srv.URL + "/feed.xml Posts\n" + srv.URL + "/comments.atom Comments\nhttps://old.example/rss.xml Old (already in CONFIG)\n"},
		{"no feed anywhere", bare.URL + "/nothing", exitFailure, "/nothing is a web page that links no feed, and its site has none at /feed, /rss,", ""},
		{"linked feed missing", srv.URL + "/broken", exitFailure, "links the feed " + srv.URL + "/missing.xml, which cannot be fetched: fetch " + srv.URL + "/missing.xml: 404 Not Found", ""},
		{"linked feed is a page", srv.URL + "/linksapage", exitFailure, "which does not parse: not a feed (HTML page)", ""},
		{"not a feed", srv.URL + "/text", exitFailure, srv.URL + "/text: not a feed", ""},
		{"malformed feed", srv.URL + "/malformed", exitFailure, srv.URL + "/malformed: parse feed", ""},
		{"HTTP error", srv.URL + "/gone", exitFailure, "fetch " + srv.URL + "/gone: 404 Not Found", ""},
		{"no server", "http://127.0.0.1:1/feed", exitFailure, "fetch http://127.0.0.1:1/feed: dial tcp", ""},
		{"not http", "ftp://example.org/feed", exitUsage, `scheme must be http or https`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, before)
			code, out, errs := run(t, "add", "-config", cfg, tt.url)
			if code != tt.code || !strings.Contains(errs, tt.err) || strings.Count(errs, "\n") != 1 {
				t.Errorf("code %d, stderr %q; want %d and one line containing %q", code, errs, tt.code, tt.err)
			}
			if want := strings.ReplaceAll(tt.out, "CONFIG", cfg); squeezeLines(out) != want {
				t.Errorf("stdout %q, want %q", out, want)
			}
			if got := readFile(t, cfg); got != before {
				t.Errorf("config changed:\n%s", got)
			}
		})
	}
	cfg := writeConfig(t, before)
	for _, args := range [][]string{{"add"}, {"add", "a", "b"}, {"add", "-title"}} {
		if code, _, _ := run(t, append(args, "-config", cfg)...); code != exitUsage {
			t.Errorf("%q: code %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, _ := run(t, "add", "-h"); code != exitOK {
		t.Errorf("add -h: code %d, want 0", code)
	}
}

// TestAddKeepsLinkAndMode adds through a symbolic link to a config file
// only its owner may read: the link stays a link, the file keeps its
// mode.
func TestAddKeepsLinkAndMode(t *testing.T) {
	srv := newSite(t, map[string]string{"/feed.xml": fmt.Sprintf(rssFeed, "Site news")})
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(real, []byte("feeds: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.yaml")
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "add", "-config", link, srv.URL+"/feed.xml"); code != exitOK {
		t.Fatalf("add: code %d, stderr %q", code, errs)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("config.yaml is no longer a symbolic link: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(real); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v %v, want 0600", fi.Mode(), err)
	}
	if got, want := readFile(t, real), "feeds:\n  - url: "+srv.URL+"/feed.xml\n"; got != want {
		t.Errorf("config %q, want %q", got, want)
	}
}

// squeezeLines makes each run of spaces in s's lines one space.
func squeezeLines(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString(strings.Join(strings.Fields(l), " ") + "\n")
	}
	return b.String()
}
