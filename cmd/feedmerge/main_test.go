package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageAndUnknownCommand(t *testing.T) {
	if code, _, errs := run(t); code != exitUsage || !strings.Contains(errs, "usage") {
		t.Errorf("no args: code %d stderr %q", code, errs)
	}
	if code, _, errs := run(t, "frobnicate"); code != exitUsage || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: code %d stderr %q", code, errs)
	}
	if code, _, _ := run(t, "once", "-nosuchflag"); code != exitUsage {
		t.Errorf("bad flag: code %d, want %d", code, exitUsage)
	}
}

func TestCheck(t *testing.T) {
	good := writeConfig(t, "feeds:\n  - url: https://a.example/rss.xml\n")
	if code, out, errs := run(t, "check", "-config", good); code != exitOK || !strings.Contains(out, "ok, 1 feeds") {
		t.Errorf("check good: code %d out %q err %q", code, out, errs)
	}
	bad := writeConfig(t, "feeds:\n  - url: https://a.example/rss.xml\n    shedule: '@hourly'\n  - url: nope\n")
	code, _, errs := run(t, "check", "-config", bad)
	if code != exitUsage {
		t.Errorf("check bad: code %d, want 2", code)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], bad+":3: ") || !strings.HasPrefix(lines[1], bad+":4: ") {
		t.Errorf("check bad: stderr %q, want two FILE:LINE lines", errs)
	}
	if code, _, errs := run(t, "check", "-config", filepath.Join(t.TempDir(), "missing.yaml")); code != exitUsage || strings.Count(errs, "\n") != 1 {
		t.Errorf("missing config: code %d stderr %q", code, errs)
	}
	if code, _, errs := run(t, "check", "-config", "../../config.yaml"); code != exitOK {
		t.Errorf("repository config.yaml: code %d stderr %q", code, errs)
	}
}

func TestOnceExportStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Header().Set("Cache-Control", "max-age=3600")
			fmt.Fprintf(w, `<rss version="2.0"><channel><title>Good</title><item><guid>1</guid><link>https://example.test/1</link><title>Hello world</title><pubDate>%s</pubDate></item></channel></rss>`,
				time.Now().Add(-time.Hour).UTC().Format(time.RFC1123Z))
		default:
			http.Error(w, "nope", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	cfg := writeConfig(t, fmt.Sprintf("database: t.db\nfetch:\n  host_delay: 0s\noutput:\n  title: Test merged\nfeeds:\n  - url: %s/good.xml\n    tags: [t1]\n  - url: %s/bad.xml\n", srv.URL, srv.URL))

	code, out, errs := run(t, "once", "-config", cfg)
	if code != exitFailure {
		t.Errorf("once with a failing feed: code %d, want 1", code)
	}
	if !strings.Contains(out, "1 new items") || !strings.Contains(out, "/bad.xml") || !strings.Contains(out, "500") {
		t.Errorf("once summary:\n%s\nstderr: %s", out, errs)
	}

	// The good feed asked for an hour (max-age): a second once skips it
	// and says so; -force polls it anyway.
	_, out, _ = run(t, "once", "-config", cfg)
	if !strings.Contains(out, "skipped") || !strings.Contains(out, "-force") {
		t.Errorf("second once did not list the skipped feed:\n%s", out)
	}
	_, out, _ = run(t, "once", "-config", cfg, "-force")
	if strings.Contains(out, "1 skipped") {
		t.Errorf("once -force skipped a feed:\n%s", out)
	}

	code, out, errs = run(t, "export", "-config", cfg)
	if code != exitOK {
		t.Fatalf("export: code %d stderr %s", code, errs)
	}
	var feed struct {
		Title   string `xml:"title"`
		Entries []struct {
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(out), &feed); err != nil || feed.Title != "Test merged" || len(feed.Entries) != 1 || feed.Entries[0].Title != "Hello world" {
		t.Errorf("export: %+v (%v)\n%s", feed, err, out)
	}
	for _, format := range []string{"rss", "json"} {
		if code, out, errs := run(t, "export", "-config", cfg, "-format", format); code != exitOK || !strings.Contains(out, "Hello world") {
			t.Errorf("export -format %s: code %d err %s out %s", format, code, errs, out)
		}
	}
	if _, out, _ := run(t, "export", "-config", cfg, "-tag", "nosuchtag"); strings.Contains(out, "Hello world") {
		t.Errorf("export -tag nosuchtag included an untagged story")
	}
	if code, _, errs := run(t, "export", "-config", cfg, "-format", "pdf"); code != exitUsage || errs == "" {
		t.Errorf("export -format pdf: code %d stderr %q", code, errs)
	}

	code, out, errs = run(t, "explain", "-config", cfg, "https://example.test/1?utm_source=x")
	if code != exitOK || !strings.Contains(out, `"Hello world"`) || !strings.Contains(out, "story:") || !strings.Contains(out, "verdict") {
		t.Errorf("explain: code %d err %s\n%s", code, errs, out)
	}
	code, _, errs = run(t, "explain", "-config", cfg, "https://example.test/never-stored")
	if code != exitFailure || !strings.Contains(errs, "no stored item") || strings.Count(errs, "\n") != 1 {
		t.Errorf("explain unknown URL: code %d stderr %q", code, errs)
	}

	code, out, errs = run(t, "status", "-config", cfg)
	if code != exitOK {
		t.Fatalf("status: code %d stderr %s", code, errs)
	}
	if !strings.Contains(out, "STATE") || !strings.Contains(out, "ok") || !strings.Contains(out, "error") {
		t.Errorf("status table:\n%s", out)
	}
}

func TestDemo(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"demo"}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	var out strings.Builder
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if u, ok := strings.CutPrefix(line, "Merged feed: "); ok {
			url = u
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatalf("demo printed no feed URL:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Merged:") || !strings.Contains(out.String(), "Harbour Times") {
		t.Errorf("demo summary does not show the syndicated story with its outlets:\n%s", out.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "广西") || !strings.Contains(string(body), `rel="related"`) {
		t.Errorf("demo feed: status %d\n%s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("demo exit code %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("demo did not stop")
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDaemonReloadsAndStops runs `feedmerge run` on a feed that cannot be
// reached: the daemon keeps serving a valid empty feed, follows config
// edits, keeps its config when an edit is invalid, and stops cleanly.
func TestDaemonReloadsAndStops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Added</title><item><guid>a</guid><link>https://example.test/added</link><title>Added story</title></item></channel></rss>`)
	}))
	defer srv.Close()
	addr := freeAddr(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	base := fmt.Sprintf("listen: %s\ndatabase: d.db\nfetch:\n  host_delay: 0s\n  timeout: 2s\nfeeds:\n  - url: http://127.0.0.1:1/unreachable.xml\n", addr)
	if err := os.WriteFile(path, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"run", "-config", path}, io.Discard, &stderr) }()

	get := func() (int, string) {
		resp, err := http.Get("http://" + addr + "/feed.atom")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, "the unreachable feed's error in the log", func() bool { return strings.Contains(stderr.String(), "poll failed") })
	if code, body := get(); code != 200 || !strings.Contains(body, "<feed") || strings.Contains(body, "<entry") {
		t.Fatalf("feed with an unreachable source: %d %s", code, body)
	}

	// An invalid edit is refused with its line; the daemon goes on.
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	if err := os.WriteFile(path, []byte(base+"  - url: ftp://nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused reload", func() bool { return strings.Contains(stderr.String(), "config.yaml:8: bad feed url") })

	// A valid edit adds a feed, which is polled without a restart.
	if err := os.WriteFile(path, []byte(base+"  - url: "+srv.URL+"/added.xml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the added feed's story", func() bool {
		_, body := get()
		return strings.Contains(body, "Added story")
	})

	start := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("run exit code %d; stderr:\n%s", code, stderr.String())
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("shutdown took %v, want under 10s", took)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestUnusableDatabase(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(notDB, []byte("this is not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{filepath.Join(dir, "missing", "dir", "x.db"), notDB} {
		cfg := writeConfig(t, fmt.Sprintf("database: %s\nfeeds:\n  - url: https://a.example/rss.xml\n", db))
		for _, cmd := range []string{"once", "status", "export"} {
			code, _, errs := run(t, cmd, "-config", cfg)
			if code != exitFailure || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, db) {
				t.Errorf("%s with database %s: code %d, stderr %q; want 1 and one line naming it", cmd, db, code, errs)
			}
		}
	}
	if data, _ := os.ReadFile(notDB); string(data) != "this is not a database" {
		t.Errorf("the file that is not a database was changed: %q", data)
	}
}
