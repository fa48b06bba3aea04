package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// TestLong runs -days on a few feeds and checks that the figures it
// prints are the store's: the last day's counts are what the database
// holds, the size after closing is the file's, retention keeps about a
// week of items, and memory is measured.
func TestLong(t *testing.T) {
	dir := t.TempDir()
	o := options{feeds: 10, items: 20, seed: 1, dir: dir, days: 16, maxAge: "7d", perDay: 2, pollEvery: 6 * time.Hour, reportEvery: 1}
	if raceEnabled {
		o.feeds = 4 // the race detector slows SQLite down several times
	}
	var out bytes.Buffer
	if err := run(t.Context(), o, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())

	rowRE := regexp.MustCompile(`(?m)^ *(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)$`)
	rows := rowRE.FindAllStringSubmatch(out.String(), -1)
	if len(rows) != o.days+1 {
		t.Fatalf("%d table rows, want one for each of days 0–%d", len(rows), o.days)
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i, r := range rows {
		if day := int(num(r[1])); day != i {
			t.Errorf("row %d is day %d", i, day)
		}
		if stories, items := num(r[3]), num(r[4]); stories <= 0 || items < stories {
			t.Errorf("day %d: %v stories and %v items, want some stories and at least as many items", i, stories, items)
		}
		if i > 0 && num(r[2]) != float64(o.feeds*o.perDay) {
			t.Errorf("day %d: %s new items, want the %d published", i, r[2], o.feeds*o.perDay)
		}
		if heap, rss := num(r[8]), num(r[9]); heap <= 0 || rss < heap {
			t.Errorf("day %d: heap %v MiB, RSS %v MiB: want a heap, and a resident set at least as large", i, heap, rss)
		}
	}

	// The last row is what the database holds.
	last := rows[len(rows)-1]
	db, err := sqlite.OpenReadOnly(t.Context(), filepath.Join(dir, "feedmerge.db"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Stats(t.Context())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := last[3] + " stories, " + last[4] + " items"; got != strconv.FormatInt(st.Stories, 10)+" stories, "+strconv.FormatInt(st.Items, 10)+" items" {
		t.Errorf("last day printed %s; the database holds %d stories, %d items", got, st.Stories, st.Items)
	}
	tomb := openTombstones(filepath.Join(dir, "feedmerge.db"))
	defer tomb.close()
	if n := tomb.count(t.Context()); strconv.FormatInt(n, 10) != last[5] || n <= 0 {
		t.Errorf("last day printed %s tombstones; the database holds %d, and some items its feeds still list have expired", last[5], n)
	}
	// Retention at 7 days keeps a week of items, give or take a round.
	if items, week := num(last[4]), float64(o.feeds*o.perDay*7); items < week || items > week+float64(o.feeds*o.perDay) {
		t.Errorf("%v items stored at the end, want a week's %v and at most a day more", items, week)
	}

	m := regexp.MustCompile(`closed: database file (\d+) bytes`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatal("output lacks the database size after closing")
	}
	fi, err := os.Stat(filepath.Join(dir, "feedmerge.db"))
	if err != nil {
		t.Fatal(err)
	}
	if m[1] != strconv.FormatInt(fi.Size(), 10) {
		t.Errorf("printed a database of %s bytes; the file has %d", m[1], fi.Size())
	}
	if mib := num(last[6]); mib <= 0 || mib > 2*float64(fi.Size())/(1<<20)+0.1 {
		t.Errorf("last day printed a %v MiB database; the closed file has %d bytes", mib, fi.Size())
	}
	if !strings.Contains(out.String(), "verdict: ") {
		t.Error("output lacks the verdict")
	}
}

func TestShortDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{6 * time.Hour, "6h"}, {90 * time.Minute, "1h30m"}, {30 * time.Second, "30s"},
		{10 * time.Minute, "10m"}, {time.Hour + 30*time.Second, "1h0m30s"},
	} {
		if got := shortDuration(c.d); got != c.want {
			t.Errorf("shortDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
