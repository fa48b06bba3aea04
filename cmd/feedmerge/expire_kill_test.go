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
	"strings"
	"testing"
	"time"
)

// staticFarm serves feeds of 30 items each that never change.
func staticFarm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<rss version="2.0"><channel><title>Feed %s</title>`, r.URL.Path)
	for i := range 30 {
		fmt.Fprintf(w, `<item><guid>%s-%d</guid><link>https://example.test%s/%d</link><title>Notice %d of %s on w%d</title><description>Text %d with w%d and w%d.</description><pubDate>%s</pubDate></item>`,
			r.URL.Path, i, r.URL.Path, i, i, r.URL.Path, len(r.URL.Path)*7919+i, i, i*31, i*17,
			time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	fmt.Fprint(w, `</channel></rss>`)
}

// consistent checks that every story of db has an item and every item
// a story, and returns how many stories and items there are.
func consistent(t *testing.T, db string) (stories, items int) {
	t.Helper()
	conn := openChecked(t, db)
	defer conn.Close()
	var empty, orphans int
	err := conn.QueryRow(`SELECT
		(SELECT count(*) FROM stories),
		(SELECT count(*) FROM items),
		(SELECT count(*) FROM stories s WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.story_id = s.id)),
		(SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = i.story_id))`).
		Scan(&stories, &items, &empty, &orphans)
	if err != nil {
		t.Fatal(err)
	}
	if empty != 0 || orphans != 0 {
		t.Fatalf("%d stories without items, %d items without a story", empty, orphans)
	}
	return stories, items
}

// TestKillNineDuringExpiry kills the daemon with SIGKILL again and again
// while retention removes thousands of expired stories: every time the
// file is whole and consistent, what was removed stays removed although
// the feeds still list it, and the next start carries on where the last
// one stopped until nothing expired is left.
func TestKillNineDuringExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the daemon many times")
	}
	const feeds = 300
	farm := httptest.NewServer(http.HandlerFunc(staticFarm))
	defer farm.Close()
	db := filepath.Join(t.TempDir(), "expire.db")
	config := func(maxAge string) string {
		var y strings.Builder
		fmt.Fprintf(&y, "listen: 127.0.0.1:0\ndatabase: %s\nschedule: \"@every 1s\"\nconcurrency: 16\nretention:\n  max_age: %s\nfetch:\n  host_delay: 0s\n  per_host: 16\nfeeds:\n", db, maxAge)
		for i := range feeds {
			fmt.Fprintf(&y, "  - url: %s/f%d\n", farm.URL, i)
		}
		return writeConfig(t, y.String())
	}
	if code, out, errs := run(t, "once", "-config", config("0")); code != exitOK {
		t.Fatalf("once: code %d\n%s\n%s", code, out, errs)
	}
	stories, items := consistent(t, db)
	if items != feeds*30 {
		t.Fatalf("%d items stored, want %d", items, feeds*30)
	}
	// Age every story by a day, as if the daemon had been away.
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().Add(-24 * time.Hour).UnixNano()
	if _, err := conn.Exec(`UPDATE stories SET last_seen = ?`, day); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	cfg := config("10s")
	r := rand.New(rand.NewPCG(3, 4))
	prev := stories
	for round := 0; round < 8 && prev > 0; round++ {
		cmd := exec.Command(os.Args[0], "run", "-config", cfg)
		cmd.Env = append(os.Environ(), "FEEDMERGE_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Retention first runs a second after the start; kill it
		// somewhere in its batches.
		time.Sleep(time.Duration(1000+r.IntN(800)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		now, items := consistent(t, db)
		if now > prev {
			t.Fatalf("round %d: %d stories, %d before: removed stories came back", round, now, prev)
		}
		t.Logf("round %d: %d stories, %d items", round, now, items)
		prev = now
	}
	// Left to run, it removes the rest, and the feeds, which still list
	// every item, bring none of them back.
	cmd := exec.Command(os.Args[0], "run", "-config", cfg)
	cmd.Env = append(os.Environ(), "FEEDMERGE_TEST_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		time.Sleep(500 * time.Millisecond)
		if n, _ := consistent(t, db); n == 0 || time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(2 * time.Second) // more polls of feeds that still list everything
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if n, items := consistent(t, db); n != 0 || items != 0 {
		t.Fatalf("after a clean run: %d stories and %d items left", n, items)
	}
}
