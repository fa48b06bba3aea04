package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/feedmerge/feedmerge/aggregator"
)

// addedLines checks that every line of before is in after, in order, and
// returns the lines after has besides them.
func addedLines(t *testing.T, before, after string) []string {
	t.Helper()
	old := strings.Split(before, "\n")
	var added []string
	i := 0
	for _, l := range strings.Split(after, "\n") {
		if i < len(old) && l == old[i] {
			i++
			continue
		}
		added = append(added, l)
	}
	if i != len(old) {
		t.Fatalf("line %d of the old file, %q, is gone:\n%s", i+1, old[i], after)
	}
	return added
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const subscriptions = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Reader export</title></head>
  <body>
    <outline text="China">
      <outline type="rss" text="China Daily" xmlUrl="  https://www.chinadaily.com.cn/rss/china_rss.xml "/>
      <outline type="rss" text="Global Times" title="Global Times — China" xmlUrl="https://www.globaltimes.cn/rss/outbrain.xml"/>
      <outline text="South-east Asia">
        <outline type="rss" text="The Star: ASEAN+" xmlUrl="https://www.thestar.com.my/rss/aseanplus"/>
      </outline>
    </outline>
    <outline type="rss" text="Bangkok Post" xmlUrl="https://www.bangkokpost.com/rss/data/topstories.xml" category="asean,Thailand"/>
    <outline type="rss" text="Sneaky" xmlUrl="javascript:alert(1)"/>
    <outline type="rss" text="Old scheme" xmlUrl="feed://example.org/rss"/>
  </body>
</opml>
`

func TestImport(t *testing.T) {
	repo := readFile(t, "../../config.yaml")
	cfg := writeFile(t, "config.yaml", repo)
	if err := os.Chmod(cfg, 0o640); err != nil {
		t.Fatal(err)
	}
	opml := writeFile(t, "subs.opml", subscriptions)

	code, out, errs := run(t, "import", opml, "-config", cfg)
	if code != exitOK || errs != "" {
		t.Fatalf("import: code %d, stderr %q", code, errs)
	}
	wantOut := []string{
		"skipped https://www.chinadaily.com.cn/rss/china_rss.xml: already in " + cfg,
		"added https://www.globaltimes.cn/rss/outbrain.xml \"Global Times — China\" [China]",
		"added https://www.thestar.com.my/rss/aseanplus \"The Star: ASEAN+\" [China, South-east Asia]",
		"added https://www.bangkokpost.com/rss/data/topstories.xml \"Bangkok Post\" [asean, Thailand]",
		`skipped javascript:alert(1): bad feed url "javascript:alert(1)": scheme must be http or https`,
		`skipped feed://example.org/rss: bad feed url "feed://example.org/rss": scheme must be http or https`,
		"added 3 feeds to " + cfg + ", skipped 1 already present, 2 not http(s)",
	}
	if got := strings.Split(strings.TrimSpace(out), "\n"); !reflect.DeepEqual(got, wantOut) {
		t.Errorf("stdout\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantOut, "\n"))
	}
	after := readFile(t, cfg)
	wantAdded := []string{
		"  - url: https://www.globaltimes.cn/rss/outbrain.xml",
		"    title: Global Times — China",
		"    tags: [China]",
		"  - url: https://www.thestar.com.my/rss/aseanplus",
		"    title: 'The Star: ASEAN+'",
		"    tags: [China, South-east Asia]",
		"  - url: https://www.bangkokpost.com/rss/data/topstories.xml",
		"    title: Bangkok Post",
		"    tags: [asean, Thailand]",
	}
	if got := addedLines(t, repo, after); !reflect.DeepEqual(got, wantAdded) {
		t.Errorf("added lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantAdded, "\n"))
	}
	if fi, err := os.Stat(cfg); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("config mode after import: %v %v, want 0640", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(cfg)); len(entries) != 1 {
		t.Errorf("files beside the config: %v, want the config only", entries)
	}
	if code, out, errs := run(t, "check", "-config", cfg); code != exitOK || !strings.Contains(out, "ok, 10 feeds") {
		t.Errorf("check after import: code %d, %q %q", code, out, errs)
	}

	// Again: everything is there now.
	code, out, _ = run(t, "import", "-config", cfg, opml)
	if code != exitOK || !strings.HasSuffix(out, "added 0 feeds to "+cfg+", skipped 4 already present, 2 not http(s); it is unchanged\n") {
		t.Errorf("second import: code %d, stdout %q", code, out)
	}
	if readFile(t, cfg) != after {
		t.Error("second import changed the config")
	}
}

func TestImportURL(t *testing.T) {
	var agent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent = r.UserAgent()
		w.Header().Set("Content-Type", "text/x-opml")
		w.Write([]byte(subscriptions))
	}))
	defer srv.Close()
	cfg := writeConfig(t, "")
	code, out, errs := run(t, "import", "-config", cfg, srv.URL+"/subs.opml")
	if code != exitOK || !strings.Contains(out, "added 4 feeds to "+cfg+", skipped 2 not http(s)") {
		t.Fatalf("import: code %d, stdout %q, stderr %q", code, out, errs)
	}
	if agent != aggregator.UserAgent {
		t.Errorf("User-Agent %q, want %q", agent, aggregator.UserAgent)
	}
	if !strings.HasPrefix(readFile(t, cfg), "feeds:\n  - url: https://www.chinadaily.com.cn/rss/china_rss.xml\n    title: China Daily\n    tags: [China]\n") {
		t.Errorf("config:\n%s", readFile(t, cfg))
	}
}

func TestImportRefuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Write([]byte("<!doctype html><html><head><title>x</title></head><body>hi</body></html>"))
		case "/big":
			w.Write([]byte("<opml><body>" + strings.Repeat(" ", 17<<20) + "</body></opml>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, src, want string
	}{
		{"not XML", file("notes.txt", "just some notes\n"), "notes.txt: not an OPML document: no <opml> element"},
		{"no body", file("nobody.opml", `<opml version="2.0"><head/></opml>`), "nobody.opml: not an OPML document: no <body>"},
		{"no feeds", file("empty.opml", `<opml version="2.0"><body><outline text="Folder"/></body></opml>`), "empty.opml: not an OPML document: no feeds in it"},
		{"truncated", file("cut.opml", subscriptions[:300]), "cut.opml: not an OPML document: it ends early"},
		{"a feed", file("feed.xml", `<rss version="2.0"><channel><title>x</title></channel></rss>`), "feed.xml: not an OPML document: it is a feed (<rss>)"},
		{"missing file", filepath.Join(dir, "nope.opml"), "open " + filepath.Join(dir, "nope.opml") + ": no such file or directory"},
		{"HTTP error", srv.URL + "/subs.opml", "fetch " + srv.URL + "/subs.opml: 404 Not Found"},
		{"web page", srv.URL + "/page", srv.URL + "/page: not an OPML document: the root element is <html>"},
		{"too big", srv.URL + "/big", "larger than 16777216 bytes"},
	}
	const before = "# my feeds\nfeeds:\n  - url: https://old.example/rss.xml # keep\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, before)
			code, out, errs := run(t, "import", "-config", cfg, tt.src)
			if code != exitFailure || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 || out != "" {
				t.Errorf("code %d, stdout %q, stderr %q; want 1 and one line containing %q", code, out, errs, tt.want)
			}
			if got := readFile(t, cfg); got != before {
				t.Errorf("config changed:\n%s", got)
			}
		})
	}

	cfg := writeConfig(t, before)
	for _, args := range [][]string{{"import"}, {"import", "a.opml", "b.opml"}, {"import", "-nosuch", "a.opml"}} {
		if code, _, _ := run(t, append(args, "-config", cfg)...); code != exitUsage {
			t.Errorf("%q: code %d, want %d", args, code, exitUsage)
		}
	}
	bad := writeConfig(t, "feeds:\n  - url: nope\n")
	if code, _, errs := run(t, "import", "-config", bad, file("ok.opml", subscriptions)); code != exitUsage || !strings.Contains(errs, bad+":2: bad feed url") {
		t.Errorf("invalid config: code %d, stderr %q", code, errs)
	}
	if code, _, errs := run(t, "import", "-config", filepath.Join(dir, "missing.yaml"), file("ok.opml", subscriptions)); code != exitUsage || !strings.Contains(errs, "does not exist") {
		t.Errorf("missing config: code %d, stderr %q", code, errs)
	}
}

// TestOPMLRoundTrip imports a reading list, exports it, and imports the
// export into a fresh config and into the same one.
func TestOPMLRoundTrip(t *testing.T) {
	first := writeConfig(t, "output:\n  title: Round trip\n")
	if code, _, errs := run(t, "import", "-config", first, writeFile(t, "a.opml", subscriptions)); code != exitOK {
		t.Fatalf("import: code %d, stderr %q", code, errs)
	}
	code, exported, errs := run(t, "export", "-format", "OPML", "-config", first)
	if code != exitOK || !strings.Contains(exported, "<title>Round trip</title>") {
		t.Fatalf("export: code %d, stderr %q, stdout\n%s", code, errs, exported)
	}
	opml := writeFile(t, "export.opml", exported)

	second := writeConfig(t, "")
	if code, _, errs := run(t, "import", "-config", second, opml); code != exitOK {
		t.Fatalf("import of the export: code %d, stderr %q", code, errs)
	}
	a, err := aggregator.LoadConfig(first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := aggregator.LoadConfig(second)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Feeds, b.Feeds) {
		t.Errorf("feeds after the round trip\n%+v\nwant\n%+v", b.Feeds, a.Feeds)
	}

	before := readFile(t, first)
	code, out, _ := run(t, "import", "-config", first, opml)
	if code != exitOK || !strings.Contains(out, "added 0 feeds") || readFile(t, first) != before {
		t.Errorf("import of the export into its own config: code %d, stdout %q; want nothing added", code, out)
	}

	code, out, _ = run(t, "export", "-format", "opml", "-tag", "asean", "-config", first)
	if code != exitOK || !strings.Contains(out, "bangkokpost") || strings.Contains(out, "globaltimes") {
		t.Errorf("export -tag asean: code %d, stdout\n%s", code, out)
	}
}
