package aggregator

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

func TestParseConfigReportsEveryProblem(t *testing.T) {
	const bad = `listen: 127.0.0.1:8080
shedule: "@every 10m"
schedule: "every ten minutes"
concurrency: 0
output:
  path: feed.atom
  colour: blue
feeds:
  - url: https://a.example/rss.xml
  - url: ftp://b.example/rss.xml
  - url: https://a.example/rss.xml
  - url: https://c.example/rss.xml
    schedule: "61 * * * *"
    tgs: [x]
  - title: no url here
`
	_, err := ParseConfig("config.yaml", []byte(bad))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("ParseConfig error = %v, want *ConfigError", err)
	}
	want := []string{
		`config.yaml:2: unknown key "shedule"`,
		`config.yaml:3: bad schedule "every ten minutes"`,
		`config.yaml:4: concurrency must be at least 1`,
		`config.yaml:6: output.path must start with /`,
		`config.yaml:7: unknown key "colour"`,
		`config.yaml:10: bad feed url "ftp://b.example/rss.xml": scheme must be http or https`,
		`config.yaml:11: duplicate feed https://a.example/rss.xml (first at line 9)`,
		`config.yaml:13: bad schedule "61 * * * *"`,
		`config.yaml:14: unknown key "tgs"`,
		`config.yaml:15: feed has no url`,
	}
	got := strings.Join(ce.Problems, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("problems do not include %q; got:\n%s", w, got)
		}
	}
	if len(ce.Problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(ce.Problems), len(want), got)
	}
}

func TestParseConfigSyntaxErrorHasLine(t *testing.T) {
	_, err := ParseConfig("c.yaml", []byte("listen: a\nfeeds:\n  - url: [unclosed\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "c.yaml:") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error = %q, want one FILE:LINE line", err)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig("/etc/feedmerge/config.yaml", []byte("feeds:\n  - url: https://a.example/rss.xml\n    schedule: '@every 30m'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != DefaultListen || cfg.Schedule != DefaultSchedule || cfg.Output.Path != DefaultPath ||
		cfg.Output.Items != DefaultItems || cfg.Concurrency != DefaultConcurrency || !cfg.NearDedupe() ||
		time.Duration(cfg.Dedupe.Window) != 72*time.Hour {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	if got, want := cfg.DatabasePath(), filepath.Join("/etc/feedmerge", DefaultDatabase); got != want {
		t.Errorf("DatabasePath = %q, want %q (relative to the config file)", got, want)
	}
	if got := cfg.FeedSchedule(cfg.Feeds[0]); got != "@every 30m" {
		t.Errorf("per-feed schedule = %q", got)
	}
}

func TestParseConfigPostgresURL(t *testing.T) {
	cfg, err := ParseConfig("config.yaml", []byte("database: postgres://u@db.example/feeds\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.DatabasePath(); got != "postgres://u@db.example/feeds" || !IsPostgres(got) {
		t.Errorf("DatabasePath = %q, want the URL unchanged", got)
	}
}

func TestRepositoryConfigIsValid(t *testing.T) {
	cfg, err := LoadConfig("../config.yaml")
	if err != nil {
		t.Fatalf("the repository's config.yaml: %v", err)
	}
	if len(cfg.Feeds) < 5 {
		t.Errorf("config.yaml lists %d feeds, want the regional news feeds", len(cfg.Feeds))
	}
}

func TestDueSpreadsFeeds(t *testing.T) {
	sched, err := ParseSchedule("*/15 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2026, 11, 25, 10, 1, 0, 0, time.UTC)
	a := feedConfig{Feed: Feed{URL: "https://a.example/rss"}, sched: sched}
	b := feedConfig{Feed: Feed{URL: "https://b.example/rss"}, sched: sched}
	da, db := a.due(stateAt(last)), b.due(stateAt(last))
	slot := time.Date(2026, 11, 25, 10, 15, 0, 0, time.UTC)
	for _, d := range []time.Time{da, db} {
		if d.Before(slot) || d.After(slot.Add(90*time.Second)) {
			t.Errorf("due %v, want within 90s after the 10:15 slot", d)
		}
	}
	if da.Equal(db) {
		t.Errorf("two feeds on one spec are due at the same instant %v", da)
	}
	if again := a.due(stateAt(last)); !again.Equal(da) {
		t.Errorf("due is not stable: %v then %v", da, again)
	}
	// A server limit later than the schedule wins.
	st := stateAt(last)
	st.NextPoll = slot.Add(time.Hour)
	if got := a.due(st); !got.Equal(st.NextPoll) {
		t.Errorf("due with NextPoll = %v, want %v", got, st.NextPoll)
	}
}

func stateAt(last time.Time) storage.Feed {
	return storage.Feed{State: storage.StateOK, LastFetch: last}
}
