package main

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestSmoke runs the whole benchmark on a few dozen feeds, in process and
// with small stores, so the command keeps working.
func TestSmoke(t *testing.T) {
	var out bytes.Buffer
	o := options{feeds: 24, items: 5, seed: 1, inProcess: true, dir: t.TempDir(), dedupe: true, dedupeMax: 20_000, batchFeeds: 25}
	if raceEnabled {
		o.dedupe = false
	}
	if err := run(t.Context(), o, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if !regexp.MustCompile(`3 full downloads of unchanged feeds with validators +0 `).MatchString(out.String()) {
		t.Error("output lacks zero full downloads of unchanged feeds")
	}
	for _, want := range []string{
		"1 floor", "2 first full poll", "items stored 120 of 120 served, lost 0", "2 CPU of the first poll",
		"3 re-poll", "4 peak RSS", "5 GET /feed.atom", "uncached cold", "uncached after a change",
		"6 store + dedupe at 20000 stories, serially", "6 store + dedupe at 20000 stories, as a poll",
	} {
		if raceEnabled && strings.HasPrefix(want, "6 ") {
			continue
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
