package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestMain lets the test binary run as the feedmerge command when
// FEEDMERGE_TEST_MAIN is set, so tests can start the daemon as a real
// process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("FEEDMERGE_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// growingFarm serves feeds whose items grow by three with every request,
// up to 30, so that every poll has something to write.
type growingFarm struct {
	mu   sync.Mutex
	hits map[string]int
}

func (g *growingFarm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.hits[r.URL.Path]++
	n := min(3*g.hits[r.URL.Path], 30)
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<rss version="2.0"><channel><title>Feed %s</title>`, r.URL.Path)
	for i := range n {
		fmt.Fprintf(w, `<item><guid>%s-%d</guid><link>https://example.test%s/%d</link><title>Report %d of %s on w%d</title><description>Body %d with w%d and w%d.</description><pubDate>%s</pubDate></item>`,
			r.URL.Path, i, r.URL.Path, i, i, r.URL.Path, len(r.URL.Path)*7919+i, i, i*31, i*17,
			time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	fmt.Fprint(w, `</channel></rss>`)
}

// stored returns the feed:guid keys of every stored item, after checking
// the file's integrity.
func stored(t *testing.T, db string) map[string]bool {
	t.Helper()
	conn := openChecked(t, db)
	defer conn.Close()
	rows, err := conn.Query(`SELECT n.name, i.guid FROM items i JOIN names n ON n.id = i.feed_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	keys := map[string]bool{}
	for rows.Next() {
		var f, g string
		if err := rows.Scan(&f, &g); err != nil {
			t.Fatal(err)
		}
		keys[f+" "+g] = true
	}
	return keys
}

// TestKillNineLoop starts the daemon on 300 feeds and kills it with
// SIGKILL at random moments of its polls, over and over: every time the
// file passes integrity_check, no committed item is lost, the restarted
// daemon carries on by itself, and a final clean poll stores everything.
func TestKillNineLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the daemon many times")
	}
	const feeds, rounds = 300, 6
	farm := httptest.NewServer(&growingFarm{hits: map[string]int{}})
	defer farm.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "kill.db")
	var y strings.Builder
	fmt.Fprintf(&y, "listen: 127.0.0.1:0\ndatabase: %s\nschedule: \"@every 1s\"\nconcurrency: 16\nfetch:\n  host_delay: 0s\n  per_host: 16\nfeeds:\n", db)
	for i := range feeds {
		fmt.Fprintf(&y, "  - url: %s/f%d\n", farm.URL, i)
	}
	cfg := writeConfig(t, y.String())

	r := rand.New(rand.NewPCG(1, 2))
	prev := map[string]bool{}
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "run", "-config", cfg)
		cmd.Env = append(os.Environ(), "FEEDMERGE_TEST_MAIN=1")
		var logs strings.Builder
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it get into its polls, then kill it where it stands.
		time.Sleep(time.Duration(1000+r.IntN(3000)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if strings.Contains(logs.String(), "already used by another feedmerge") {
			t.Fatalf("round %d: the lock of a killed daemon outlived it:\n%s", round, logs.String())
		}
		now := stored(t, db)
		for k := range prev {
			if !now[k] {
				t.Fatalf("round %d: committed item %s lost", round, k)
			}
		}
		t.Logf("round %d: %d items stored", round, len(now))
		prev = now
	}
	if len(prev) == 0 {
		t.Fatal("nothing was stored in any round")
	}
	// Restarted without being killed, it finishes the work.
	code, out, errs := run(t, "once", "-config", cfg, "-force")
	if code != exitOK {
		t.Fatalf("once after the kills: code %d\n%s\n%s", code, out, errs)
	}
	final := stored(t, db)
	if len(final) < len(prev) || !strings.Contains(out, strconv.Itoa(feeds)+" feeds") {
		t.Errorf("after a clean poll: %d items (before %d); %s", len(final), len(prev), out)
	}
	for i := range feeds {
		if !final[fmt.Sprintf("%s/f%d /f%d-0", farm.URL, i, i)] {
			t.Fatalf("feed %d has no items after a clean poll", i)
		}
	}
}

// openChecked opens db read-only after checking that it passes
// integrity_check.
func openChecked(t *testing.T, db string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		conn.Close()
		t.Fatalf("integrity_check of %s: %q %v", db, check, err)
	}
	return conn
}
