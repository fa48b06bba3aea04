package aggregator

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

// problemLine is how every problem line starts: the file name and a line.
var problemLine = regexp.MustCompile(`^config\.yaml:[1-9][0-9]*: \S`)

// FuzzParseConfig checks that ParseConfig never panics and returns either
// a valid *Config or a *ConfigError of FILE:LINE: lines.
func FuzzParseConfig(f *testing.F) {
	for _, path := range []string{"../config.yaml", "testdata/problems.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"# only a comment\n",
		"listen: 127.0.0.1:8080\n",
		"listen: [a, b]\nfetch:\n  timeout: 10 minutes\n  max_body: 1.5\n",
		"schedule: \"*/61 * * * *\"\nfeeds:\n  - url: https://a.example/rss.xml\n    schedule: \"@every 100ms\"\n",
		"schedule: CRON_TZ=UTC\n",
		"fetch:\n  timeout: &t 10 minutes\n  max_delay: *t\n",
		"feeds:\n  - &a\n    url: https://a.example/rss.xml\n    tags: [x]\n  - <<: *a\n    url: https://b.example/rss.xml\n",
		"a: &a [*a]\n",
		"listen: 127.0.0.1:8080\nlisten: 127.0.0.1:8081\n",
		"feeds:\n  - url: [https://a.exa",
		"dedupe:\n  window: 1d12h\n  threshold: 0.5\nretention: {}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("config.yaml", data)
		if err == nil {
			if cfg == nil {
				t.Fatal("ParseConfig returned neither a config nor an error")
			}
			if _, err := ParseSchedule(cfg.Schedule); err != nil {
				t.Errorf("a valid config's schedule does not parse: %v", err)
			}
			for _, fd := range cfg.Feeds {
				if _, err := ParseSchedule(cfg.FeedSchedule(fd)); err != nil {
					t.Errorf("a valid config's feed %s schedule does not parse: %v", fd.URL, err)
				}
			}
			return
		}
		if cfg != nil {
			t.Errorf("ParseConfig returned a config and an error %v", err)
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
		}
		if len(ce.Problems) == 0 {
			t.Fatal("a *ConfigError without problems")
		}
		for _, p := range ce.Problems {
			if !problemLine.MatchString(p) || strings.ContainsAny(p, "\r\n") {
				t.Errorf("problem %q is not one NAME:LINE: line", p)
			}
		}
	})
}
