package aggregator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage"
	"go.yaml.in/yaml/v3"
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

// problemsOf returns ParseConfig's problems for a file named config.yaml,
// failing the test if the error is not a *ConfigError.
func problemsOf(t *testing.T, data string) []string {
	t.Helper()
	_, err := ParseConfig("config.yaml", []byte(data))
	if err == nil {
		return nil
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("ParseConfig error = %v (%T), want *ConfigError", err, err)
	}
	return ce.Problems
}

func TestParseConfigReportsEveryBadValue(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "bad durations in several keys",
			in: `fetch:
  timeout: 10 minutes
  max_delay: 1y
  host_delay: -1s
  adaptive:
    min: fast
dedupe:
  window: [72h]
`,
			want: []string{
				`config.yaml:2: fetch.timeout: invalid duration "10 minutes" (want e.g. 90s, 15m, 24h, 30d)`,
				`config.yaml:3: fetch.max_delay: invalid duration "1y" (want e.g. 90s, 15m, 24h, 30d)`,
				`config.yaml:4: fetch.host_delay: invalid duration "-1s" (want e.g. 90s, 15m, 24h, 30d)`,
				`config.yaml:6: fetch.adaptive.min: invalid duration "fast" (want e.g. 90s, 15m, 24h, 30d)`,
				`config.yaml:8: dedupe.window: invalid duration a list (want e.g. 90s, 15m, 24h, 30d)`,
			},
		},
		{
			name: "bad duration beside other problems",
			in: `fetch:
  timeout: 10 minutes
  colour: blue
concurrency: lots
feeds:
  - url: ftp://a.example/rss.xml
`,
			want: []string{
				`config.yaml:2: fetch.timeout: invalid duration "10 minutes" (want e.g. 90s, 15m, 24h, 30d)`,
				`config.yaml:3: unknown key "colour" in fetch`,
				`config.yaml:4: concurrency: want a whole number, got "lots"`,
				`config.yaml:6: bad feed url "ftp://a.example/rss.xml": scheme must be http or https`,
			},
		},
		{
			name: "wrong kinds of value",
			in: `listen: [a, b]
fetch:
  deny_private: maybe
  max_body: 1.5
dedupe:
  threshold: high
output: /feed.atom
feeds:
  url: https://a.example/rss.xml
`,
			want: []string{
				`config.yaml:1: listen: want a single value, got a list`,
				`config.yaml:3: fetch.deny_private: want true or false, got "maybe"`,
				`config.yaml:4: fetch.max_body: want a whole number, got "1.5"`,
				`config.yaml:6: dedupe.threshold: want a number, got "high"`,
				`config.yaml:7: output: want a mapping of keys, got "/feed.atom"`,
				`config.yaml:9: feeds: want a list, got a mapping`,
			},
		},
		{
			name: "repeated keys",
			in: `listen: 127.0.0.1:8080
listen: 127.0.0.1:8081
feeds:
  - url: https://a.example/rss.xml
    title: A
    title: B
`,
			want: []string{
				`config.yaml:2: duplicate key "listen" (first at line 1)`,
				`config.yaml:6: duplicate key "feeds.0.title" (first at line 5)`,
			},
		},
		{
			name: "one bad anchored value, reported where it is written",
			in: `fetch:
  timeout: &t 10 minutes
  max_delay: *t
`,
			want: []string{
				`config.yaml:2: fetch.timeout: invalid duration "10 minutes" (want e.g. 90s, 15m, 24h, 30d)`,
				`config.yaml:2: fetch.max_delay: invalid duration "10 minutes" (want e.g. 90s, 15m, 24h, 30d)`,
			},
		},
		{
			name: "merge keys",
			in: `x-defaults: &d
  schedule: "@every 30m"
feeds:
  - <<: {schedule: "@hourly", tags: [a]}
    url: https://a.example/rss.xml
`,
			want: []string{
				`config.yaml:1: unknown key "x-defaults"`,
			},
		},
		{
			name: "null values keep the defaults",
			in:   "listen:\nfetch:\n  timeout: ~\nfeeds:\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.in)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseConfigMergeKeys(t *testing.T) {
	cfg, err := ParseConfig("config.yaml", []byte(`feeds:
  - &a
    url: https://a.example/rss.xml
    schedule: "@every 30m"
    tags: [x]
  - <<: *a
    url: https://b.example/rss.xml
`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Feeds[1], (Feed{URL: "https://b.example/rss.xml", Schedule: "@every 30m", Tags: []string{"x"}}); got.URL != want.URL || got.Schedule != want.Schedule || strings.Join(got.Tags, ",") != "x" {
		t.Errorf("merged feed = %+v, want %+v", got, want)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true},
		{"15m", 15 * time.Minute, true},
		{"24h", 24 * time.Hour, true},
		{"0", 0, true},
		{"0s", 0, true},
		{"30d", 30 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"1d30m15s", 24*time.Hour + 30*time.Minute + 15*time.Second, true},
		{"d", 0, false},
		{"1dd", 0, false},
		{"1d-1h", 0, false},
		{"1d+1h", 0, false},
		{"-1d", 0, false},
		{"+1d", 0, false},
		{"1.d", 0, false},
		{".5d", 0, false},
		{"1e3d", 0, false},
		{"infd", 0, false},
		{"1h1d", 0, false},
		{"200000d", 0, false},
		{"106751d", 106751 * 24 * time.Hour, true},
		{"106751d24h", 0, false},
		{"-5m", 0, false},
		{"10 minutes", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestDurationUnmarshalYAMLGoesOn(t *testing.T) {
	// Decoded by yaml.v3 directly, a bad Duration does not stop the
	// decoder: every one is reported.
	var v struct{ A, B, C Duration }
	err := yaml.Unmarshal([]byte("a: nope\nb: 2d\nc: never\n"), &v)
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) != 2 {
		t.Fatalf("error = %v, want a *yaml.TypeError with two problems", err)
	}
	if time.Duration(v.B) != 48*time.Hour {
		t.Errorf("b = %v, want 48h", time.Duration(v.B))
	}
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"*/15 * * * *", true},
		{"0 */6 * * *", true},
		{"*/60 * * * *", true},
		{"0-59/60 * * * *", true},
		{"0 0 */31 * *", true},
		{"0 0 1 */12 *", true},
		{"0 0 * * */7", true},
		{"0 9 * JAN-DEC/3 MON-FRI", true},
		{"0 9 ? * ?", true},
		{"CRON_TZ=UTC 30 6 * * *", true},
		{"@hourly", true},
		{"@every 10m", true},
		{"@every 1s", true},
		{"@every 1d", true},
		{"@every 1d12h", true},
		{"TZ=UTC @every 30m", true},

		{"*/61 * * * *", false},
		{"5/61 * * * *", false},
		{"0-30/61 * * * *", false},
		{"0 */25 * * *", false},
		{"0 0 */32 * *", false},
		{"0 0 1 */13 *", false},
		{"0 0 * * */8", false},
		{"1,*/99 * * * *", false},
		{"*/0 * * * *", false},
		{"60 * * * *", false},
		{"0 24 * * *", false},
		{"0 0 0 * *", false},
		{"0 0 32 * *", false},
		{"0 0 * 0 *", false},
		{"0 0 * 13 *", false},
		{"0 0 * * 7", false},
		{"-1 * * * *", false},
		{"* * * *", false},
		{"@every 0s", false},
		{"@every -5m", false},
		{"@every 500ms", false},
		{"@every", false},
		{"@every ten minutes", false},
		{"@fortnightly", false},
		{"TZ=UTC", false},
		{"CRON_TZ=Nowhere/Land * * * * *", false},
		{"every ten minutes", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseSchedule(tt.spec)
			if got := err == nil; got != tt.ok {
				t.Errorf("ParseSchedule(%q) error = %v, want ok %v", tt.spec, err, tt.ok)
			}
			if err != nil && !strings.HasPrefix(err.Error(), fmt.Sprintf("bad schedule %q: ", tt.spec)) {
				t.Errorf("error %q does not name the spec", err)
			}
		})
	}
}

func TestParseScheduleEveryDays(t *testing.T) {
	s, err := ParseSchedule("@every 1d12h")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	if got, want := s.Next(now), now.Add(36*time.Hour); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got, want)
	}
}

func TestParseConfigChecksEverySchedule(t *testing.T) {
	got := problemsOf(t, `schedule: "*/61 * * * *"
feeds:
  - url: https://a.example/rss.xml
    schedule: "@every 100ms"
  - url: https://b.example/rss.xml
    schedule: "0 */30 * * *"
`)
	want := []string{
		`config.yaml:1: bad schedule "*/61 * * * *": minute step 61 is larger than the minute range 0-59`,
		`config.yaml:4: bad schedule "@every 100ms": @every 100ms is shorter than a second`,
		`config.yaml:6: bad schedule "0 */30 * * *": hour step 30 is larger than the hour range 0-23`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseConfigProblemsFile(t *testing.T) {
	data, err := os.ReadFile("testdata/problems.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := problemsOf(t, string(data))
	want := []string{
		`config.yaml:3: listen "127.0.0.1:99999": port 99999 is out of range 0-65535`,
		`config.yaml:5: bad schedule "*/61 * * * *": minute step 61 is larger than the minute range 0-59`,
		`config.yaml:6: concurrency must be at least 1, got -4`,
		`config.yaml:7: unknown key "colour"`,
		`config.yaml:10: fetch.per_host must be at least 1, got 0`,
		`config.yaml:11: fetch.host_delay: invalid duration "2 seconds" (want e.g. 90s, 15m, 24h, 30d)`,
		`config.yaml:12: fetch.timeout: invalid duration "10 minutes" (want e.g. 90s, 15m, 24h, 30d)`,
		`config.yaml:13: fetch.max_body must not be negative`,
		`config.yaml:14: fetch.max_delay: invalid duration "1y" (want e.g. 90s, 15m, 24h, 30d)`,
		`config.yaml:15: fetch.deny_private: want true or false, got "sometimes"`,
		`config.yaml:17: fetch.adaptive.min (6h0m0s) is longer than fetch.adaptive.max (1h0m0s)`,
		`config.yaml:23: output.path must start with /, got "feed.atom"`,
		`config.yaml:24: output.items: want a whole number, got "many"`,
		`config.yaml:27: dedupe.window: invalid duration "3 days" (want e.g. 90s, 15m, 24h, 30d)`,
		`config.yaml:28: dedupe.threshold must be between 0 and 1, got 1.5`,
		`config.yaml:32: bad schedule "@every 0s": @every 0s is shorter than a second`,
		`config.yaml:33: duplicate feed https://a.example/rss.xml (first at line 31)`,
		`config.yaml:34: bad feed url "ftp://b.example/rss.xml": scheme must be http or https`,
		`config.yaml:36: bad schedule "0 */25 * * *": hour step 25 is larger than the hour range 0-23`,
		`config.yaml:37: unknown key "tgs" in feeds.3`,
		`config.yaml:38: feed has no url`,
		`config.yaml:39: bad feed url "https://": no host`,
		`config.yaml:42: duplicate key "feeds.6.title" (first at line 41)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseConfigListen(t *testing.T) {
	tests := []struct {
		listen string
		want   string // "" for none
	}{
		{"127.0.0.1:8080", ""},
		{":8080", ""},
		{"[::1]:8080", ""},
		{"localhost:0", ""},
		{"0.0.0.0:65535", ""},
		{"127.0.0.1:http", ""},
		{"127.0.0.1:99999", `listen "127.0.0.1:99999": port 99999 is out of range 0-65535`},
		{"127.0.0.1:65536", `listen "127.0.0.1:65536": port 65536 is out of range 0-65535`},
		{"127.0.0.1:-1", `listen "127.0.0.1:-1": unknown port "-1"`},
		{"127.0.0.1:", `listen "127.0.0.1:": no port`},
		{"127.0.0.1", `listen "127.0.0.1": want host:port, such as 127.0.0.1:8080`},
		{"::1:8080", `listen "::1:8080": want host:port, such as 127.0.0.1:8080`},
		{"127.0.0.1:no-such-service", `listen "127.0.0.1:no-such-service": unknown port "no-such-service"`},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			got := strings.Join(problemsOf(t, fmt.Sprintf("listen: %q\n", tt.listen)), "\n")
			want := ""
			if tt.want != "" {
				want = "config.yaml:1: " + tt.want
			}
			if got != want {
				t.Errorf("problems = %q, want %q", got, want)
			}
		})
	}
}

func TestParseConfigEmpty(t *testing.T) {
	for _, in := range []string{"", "\n\n", "   \n\t\n", "# only a comment\n# and another\n", "---\n", "~\n", "null\n"} {
		t.Run(strings.TrimSpace(in), func(t *testing.T) {
			_, err := ParseConfig("config.yaml", []byte(in))
			if !errors.Is(err, ErrEmptyConfig) {
				t.Fatalf("ParseConfig(%q) error = %v, want ErrEmptyConfig", in, err)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0] != "config.yaml:1: config is empty" {
				t.Errorf("error = %q, want one config.yaml:1 problem", err)
			}
		})
	}
	// One key is not empty.
	if _, err := ParseConfig("config.yaml", []byte("# comment\nlisten: 127.0.0.1:8080\n")); err != nil {
		t.Errorf("a config with one key: %v", err)
	}
}

func TestParseConfigNotAMapping(t *testing.T) {
	got := strings.Join(problemsOf(t, "- url: https://a.example/rss.xml\n"), "\n")
	if want := `config.yaml:1: config: want a mapping of keys, got a list`; got != want {
		t.Errorf("problems = %q, want %q", got, want)
	}
}
