package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
)

// storyServer serves one RSS feed of n items.
func storyServer(t *testing.T, n int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Outlet</title>`)
		for i := range n {
			fmt.Fprintf(w, `<item><guid>%d</guid><link>https://example.test/%d</link><title>Story number %d about w%d</title><description>Body %d of w%d and w%d.</description><pubDate>%s</pubDate></item>`,
				i, i, i, i*7919%10007, i, i*31%997, i*17%1013, time.Now().Add(-time.Duration(i)*time.Minute).UTC().Format(time.RFC1123Z))
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestOneDaemonPerDatabase checks that a second poller on the same
// SQLite file refuses to start with a clear line, while the commands
// that only read work beside the running daemon.
func TestOneDaemonPerDatabase(t *testing.T) {
	srv := storyServer(t, 3)
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("listen: %s\ndatabase: d.db\nfetch:\n  host_delay: 0s\nfeeds:\n  - url: %s/rss\n", addr, srv.URL))
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"run", "-config", cfg}, io.Discard, &stderr) }()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, "the first poll", func() bool { return strings.Contains(stderr.String(), "polled") })

	for _, cmd := range []string{"run", "once"} {
		code, _, errs := run(t, cmd, "-config", cfg)
		if code != exitFailure || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "already used by another feedmerge") ||
			!strings.Contains(errs, fmt.Sprintf("pid %d", os.Getpid())) {
			t.Errorf("second %s: code %d, stderr %q; want 1 and one line naming the other process", cmd, code, errs)
		}
	}
	for _, cmd := range []string{"status", "export", "check"} {
		if code, out, errs := run(t, cmd, "-config", cfg); code != exitOK || out == "" {
			t.Errorf("%s beside the daemon: code %d, stdout %q, stderr %q", cmd, code, out, errs)
		}
	}
	if code, out, _ := run(t, "status", "-config", cfg); code != exitOK || !strings.Contains(out, "database d.db: 3 stories, 3 items, ") ||
		!strings.Contains(out, "free on its disk") {
		t.Errorf("status: code %d, output lacks the database line:\n%s", code, out)
	}
	if code, out, _ := run(t, "export", "-config", cfg); code != exitOK || strings.Count(out, "<entry") != 3 {
		t.Errorf("export beside the daemon: code %d, %d entries, want 3", code, strings.Count(out, "<entry"))
	}
}

// TestReadersCreateNothing checks that status, export and explain on a
// database that does not exist yet say so and create no file.
func TestReadersCreateNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "never.db")
	cfg := writeConfig(t, fmt.Sprintf("database: %s\nfeeds:\n  - url: https://a.example/rss.xml\n", db))
	for _, args := range [][]string{{"status"}, {"export"}, {"explain", "https://a.example/1"}} {
		code, _, errs := run(t, append([]string{args[0], "-config", cfg}, args[1:]...)...)
		if code != exitFailure || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, db) || !strings.Contains(errs, "no database") {
			t.Errorf("%s: code %d, stderr %q; want 1 and one line saying there is no database yet", args[0], code, errs)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files created beside the missing database: %v", entries)
	}
}

// TestDamagedDatabase checks that a database file damaged in the middle
// is reported at open, in one line naming it, and left as it is.
func TestDamagedDatabase(t *testing.T) {
	srv := storyServer(t, 200)
	dir := t.TempDir()
	db := filepath.Join(dir, "d.db")
	cfg := writeConfig(t, fmt.Sprintf("database: %s\nfetch:\n  host_delay: 0s\nfeeds:\n  - url: %s/rss\n", db, srv.URL))
	if code, out, errs := run(t, "once", "-config", cfg); code != exitOK {
		t.Fatalf("once: code %d\n%s%s", code, out, errs)
	}
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(db, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	garbage := []byte(strings.Repeat("\xde\xad\xbe\xef", 1024))
	if _, err := f.WriteAt(garbage, fi.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	damaged, _ := os.ReadFile(db)

	for _, cmd := range []string{"once", "run"} {
		code, _, errs := run(t, cmd, "-config", cfg)
		if code != exitFailure || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, db) || !strings.Contains(errs, "damaged") {
			t.Errorf("%s on a damaged file: code %d, stderr %q; want 1 and one line naming the file as damaged", cmd, code, errs)
		}
	}
	if now, _ := os.ReadFile(db); string(now) != string(damaged) {
		t.Error("the damaged file was changed")
	}
}

// TestHealth checks `feedmerge health` against a running daemon and
// against an address where nothing listens.
func TestHealth(t *testing.T) {
	srv := storyServer(t, 1)
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("listen: %s\ndatabase: d.db\nfetch:\n  host_delay: 0s\nfeeds:\n  - url: %s/rss\n", addr, srv.URL))
	if code, _, errs := run(t, "health", "-config", cfg); code != exitFailure || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, addr) {
		t.Errorf("health with no daemon: code %d, stderr %q; want 1 and one line naming the address", code, errs)
	}
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"run", "-config", cfg}, io.Discard, &stderr) }()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, "the daemon to answer", func() bool {
		code, _, _ := run(t, "health", "-config", cfg)
		return code == exitOK
	})
	if code, out, _ := run(t, "health", "-config", cfg); code != exitOK || !strings.Contains(out, `"status":"ok"`) {
		t.Errorf("health: code %d, stdout %q", code, out)
	}
}

// TestOnceProgress checks the progress line `once` draws on a terminal,
// and that it draws none elsewhere.
func TestOnceProgress(t *testing.T) {
	var b strings.Builder
	p := progressLine(&b, 3, true)
	p(aggregator.Result{Outcome: aggregator.OutcomeFetched, New: 2})
	p(aggregator.Result{Outcome: aggregator.OutcomeFailed})
	p(aggregator.Result{Outcome: aggregator.OutcomeFetched, New: 3})
	if !strings.HasSuffix(b.String(), "\r\033[Kpolled 3 of 3 feeds: 5 new items, 1 failed") {
		t.Errorf("progress = %q", b.String())
	}
	if isTerminal(&b) {
		t.Error("a strings.Builder is a terminal")
	}
	srv := storyServer(t, 2)
	cfg := writeConfig(t, fmt.Sprintf("database: d.db\nfetch:\n  host_delay: 0s\nfeeds:\n  - url: %s/rss\n", srv.URL))
	if code, _, errs := run(t, "once", "-config", cfg); code != exitOK || strings.Contains(errs, "polled") {
		t.Errorf("once off a terminal: code %d, stderr %q; want no progress line", code, errs)
	}
}
