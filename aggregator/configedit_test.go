package aggregator

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestAddFeeds(t *testing.T) {
	one := []Feed{{URL: "https://new.example/rss.xml", Title: "New outlet", Tags: []string{"asean", "zh"}}}
	tests := []struct {
		name, in, want string
		add            []Feed
	}{
		{
			name: "block list with comments after it",
			in: `# head comment
listen: 127.0.0.1:8080   # where
feeds:
  # the first
  - url: https://a.example/rss.xml   # a
    title: "A outlet"
    tags: [china]

  # - url: https://disabled.example/rss.xml

# dedupe next
dedupe: {}
`,
			add: one,
			want: `# head comment
listen: 127.0.0.1:8080   # where
feeds:
  # the first
  - url: https://a.example/rss.xml   # a
    title: "A outlet"
    tags: [china]
  - url: https://new.example/rss.xml
    title: "New outlet"
    tags: [asean, zh]

  # - url: https://disabled.example/rss.xml

# dedupe next
dedupe: {}
`,
		},
		{
			name: "indentless list, block tags, single quotes, CRLF",
			in:   "feeds:\r\n-   url: 'https://a.example/rss.xml'\r\n    tags:\r\n    - x\r\noutput:\r\n    title: T\r\n",
			add:  []Feed{{URL: " https://b.example/feed ", Tags: []string{"y", "z"}}},
			want: "feeds:\r\n-   url: 'https://a.example/rss.xml'\r\n    tags:\r\n    - x\r\n-   url: 'https://b.example/feed'\r\n    tags:\r\n        - y\r\n        - z\r\noutput:\r\n    title: T\r\n",
		},
		{
			name: "last key, no final newline",
			in:   "schedule: '@hourly'\nfeeds:\n    - url: https://a.example/rss.xml",
			add:  []Feed{{URL: "https://b.example/feed", Title: "null"}, {URL: "https://c.example/feed", Title: "Colon: yes # hash"}},
			want: "schedule: '@hourly'\nfeeds:\n    - url: https://a.example/rss.xml\n    - url: https://b.example/feed\n      title: \"null\"\n    - url: https://c.example/feed\n      title: 'Colon: yes # hash'\n",
		},
		{
			name: "no feeds key",
			in:   "# settings\noutput:\n    title: T # the title\n",
			add:  one,
			want: "# settings\noutput:\n    title: T # the title\n\nfeeds:\n    - url: https://new.example/rss.xml\n      title: New outlet\n      tags: [asean, zh]\n",
		},
		{
			name: "empty feeds key",
			in:   "feeds:   # none yet\noutput:\n  title: T\n",
			add:  one,
			want: "feeds:   # none yet\n  - url: https://new.example/rss.xml\n    title: New outlet\n    tags: [asean, zh]\noutput:\n  title: T\n",
		},
		{
			name: "empty flow list",
			in:   "feeds: []\n",
			add:  []Feed{{URL: "https://b.example/feed"}},
			want: "feeds:\n  - url: https://b.example/feed\n",
		},
		{
			name: "tilde",
			in:   "feeds: ~ # later\n",
			add:  []Feed{{URL: "https://b.example/feed"}},
			want: "feeds:  # later\n  - url: https://b.example/feed\n",
		},
		{
			name: "empty file",
			in:   "",
			add:  []Feed{{URL: "https://b.example/feed", Title: "中国新闻网"}},
			want: "feeds:\n  - url: https://b.example/feed\n    title: 中国新闻网\n",
		},
		{
			name: "comments only",
			in:   "# nothing yet\n",
			add:  []Feed{{URL: "https://b.example/feed"}},
			want: "# nothing yet\n\nfeeds:\n  - url: https://b.example/feed\n",
		},
		{
			name: "anchored list, dash on its own line",
			in:   "feeds: &all\n  -\n    url: https://a.example/rss.xml\n",
			add:  []Feed{{URL: "https://b.example/feed"}},
			want: "feeds: &all\n  -\n    url: https://a.example/rss.xml\n  - url: https://b.example/feed\n",
		},
		{
			name: "document markers",
			in:   "---\nfeeds:\n- url: https://a.example/rss.xml\n  # a comment\n...\n",
			add:  []Feed{{URL: "https://b.example/feed"}},
			want: "---\nfeeds:\n- url: https://a.example/rss.xml\n- url: https://b.example/feed\n  # a comment\n...\n",
		},
		{
			name: "nothing to add",
			in:   "feeds: []\n",
			want: "feeds: []\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AddFeeds("config.yaml", []byte(tt.in), tt.add)
			if err != nil {
				t.Fatalf("AddFeeds: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestAddFeedsOnlyAddsLines edits the repository's config.yaml, full of
// comments, and checks that every old line is still there in order, and
// that the lines between them are exactly the new items.
func TestAddFeedsOnlyAddsLines(t *testing.T) {
	in, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	add := []Feed{
		{URL: "https://new.example/a.xml", Title: "Outlet A"},
		{URL: "https://new.example/b.xml", Tags: []string{"asean", "economy"}},
	}
	out, err := AddFeeds("config.yaml", in, add)
	if err != nil {
		t.Fatal(err)
	}
	oldLines := strings.Split(string(in), "\n")
	var added []string
	i := 0
	for _, l := range strings.Split(string(out), "\n") {
		if i < len(oldLines) && l == oldLines[i] {
			i++
			continue
		}
		added = append(added, l)
	}
	if i != len(oldLines) {
		t.Fatalf("old line %d %q is missing from the result:\n%s", i+1, oldLines[i], out)
	}
	want := []string{
		"  - url: https://new.example/a.xml",
		"    title: Outlet A",
		"  - url: https://new.example/b.xml",
		"    tags: [asean, economy]",
	}
	if !reflect.DeepEqual(added, want) {
		t.Errorf("added lines %q, want %q", added, want)
	}
	cfg, err := ParseConfig("config.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cfg.Feeds); n != 9 || cfg.Feeds[8].URL != add[1].URL || !reflect.DeepEqual(cfg.Feeds[8].Tags, add[1].Tags) {
		t.Errorf("feeds after the edit: %+v", cfg.Feeds)
	}
}

func TestAddFeedsRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		add      []Feed
		want     string
	}{
		{"duplicate", "feeds:\n  - url: https://a.example/x\n", []Feed{{URL: "https://a.example/x"}}, "duplicate feed"},
		{"not http", "feeds:\n  - url: https://a.example/x\n", []Feed{{URL: "ftp://a.example/x"}}, "scheme must be http or https"},
		{"flow list", "feeds: [{url: https://a.example/x}]\n", []Feed{{URL: "https://b.example/x"}}, "flow, list"},
		{"flow mapping", "{feeds: []}\n", []Feed{{URL: "https://b.example/x"}}, "not a block mapping"},
		{"invalid config", "feeds:\n  - url: nope\n", []Feed{{URL: "https://b.example/x"}}, "config.yaml:2: bad feed url"},
		{"literal block at the end", "feeds:\n  - url: https://a.example/x\n    title: |\n      # a title\n", []Feed{{URL: "https://b.example/x"}}, "by hand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := AddFeeds("config.yaml", []byte(tt.in), tt.add)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AddFeeds = %q, %v; want an error containing %q", out, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
	var ce *ConfigError
	if _, err := AddFeeds("config.yaml", []byte("feeds:\n  - url: nope\n"), nil); !errors.As(err, &ce) {
		t.Errorf("invalid config: %v, want a *ConfigError", err)
	}
}

func TestCheckFeed(t *testing.T) {
	for _, tt := range []struct {
		f  Feed
		ok bool
	}{
		{Feed{URL: " https://a.example/x "}, true},
		{Feed{URL: "http://a.example/x", Schedule: "@every 1h"}, true},
		{Feed{URL: "feed://a.example/x"}, false},
		{Feed{URL: "https:///x"}, false},
		{Feed{URL: "https://a.example/x", Schedule: "*/61 * * * *"}, false},
	} {
		if err := CheckFeed(tt.f); (err == nil) != tt.ok {
			t.Errorf("CheckFeed(%+v) = %v, want ok %v", tt.f, err, tt.ok)
		}
	}
}

// FuzzAddFeeds checks that AddFeeds never panics and, when it succeeds,
// only adds lines: every line of the old text is still there, in order.
func FuzzAddFeeds(f *testing.F) {
	f.Add("feeds:\n  - url: https://a.example/x # c\n\n# end\n")
	f.Add("feeds:\r\n-   url: 'https://a.example/x'\r\n    tags:\r\n    - x\r\n")
	f.Add("feeds: &f\n  -\n    url: https://a.example/x\noutput:\n  title: T\n")
	f.Add("# only a comment")
	f.Add("feeds: []\n")
	f.Fuzz(func(t *testing.T, in string) {
		add := []Feed{{URL: "https://new.example/feed", Title: "New: one", Tags: []string{"a", "b c"}}}
		out, err := AddFeeds("c.yaml", []byte(in), add)
		if err != nil || strings.Contains(strings.ReplaceAll(in, "\r\n", ""), "\r") {
			return // old Mac line ends: YAML's lines are not ours, and the result check refuses
		}
		old := strings.Split(strings.ReplaceAll(in, "\r\n", "\n"), "\n")
		i := 0
		for _, l := range strings.Split(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n") {
			// A value cut from the feeds key (feeds: [] or feeds: ~)
			// changes that one line.
			if i < len(old) && (l == old[i] || strings.HasPrefix(old[i], "feeds:") && strings.HasPrefix(l, "feeds:")) {
				i++
			}
		}
		if i < len(old) && !(i == len(old)-1 && old[i] == "") {
			t.Fatalf("old line %d %q is missing:\n%s", i+1, old[i], out)
		}
	})
}
