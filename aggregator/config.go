package aggregator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Config is feedmerge's configuration, read from config.yaml.
type Config struct {
	Listen      string   `yaml:"listen"`
	Database    string   `yaml:"database"`
	Schedule    string   `yaml:"schedule"`
	Concurrency int      `yaml:"concurrency"`
	Fetch       Fetching `yaml:"fetch"`
	Output      Output   `yaml:"output"`
	Dedupe      Dedupe   `yaml:"dedupe"`
	Feeds       []Feed   `yaml:"feeds"`

	// Path is the file the configuration was read from; relative
	// database paths are resolved against its folder.
	Path string `yaml:"-"`
}

// Fetching tunes how feeds are fetched.
type Fetching struct {
	PerHost     int       `yaml:"per_host"`     // fetches at once to one host
	HostDelay   *Duration `yaml:"host_delay"`   // minimum spacing between requests to one host; default 1s
	Timeout     Duration  `yaml:"timeout"`      // whole request
	MaxBody     int64     `yaml:"max_body"`     // bytes, after decompression
	MaxDelay    Duration  `yaml:"max_delay"`    // cap on server-requested delays and backoff
	UserAgent   string    `yaml:"user_agent"`   // replaces the default User-Agent
	DenyPrivate bool      `yaml:"deny_private"` // refuse feeds resolving to private or loopback addresses
	Adaptive    Adaptive  `yaml:"adaptive"`
}

// Adaptive spaces a feed's polls by how often it really publishes: a
// feed that posts once a day is not polled every 15 minutes. It only ever
// lengthens the interval the schedule gives.
type Adaptive struct {
	Enabled bool     `yaml:"enabled"`
	Min     Duration `yaml:"min"` // shortest interval it sets (default 15m)
	Max     Duration `yaml:"max"` // longest interval it sets (default 6h)
}

// Output describes the merged feed.
type Output struct {
	Title string `yaml:"title"`
	Path  string `yaml:"path"`  // HTTP path of the merged Atom feed
	Items int    `yaml:"items"` // stories in the served feed
	ID    string `yaml:"id"`    // Atom feed id; default derived from the title
	URL   string `yaml:"url"`   // public URL of the merged feed, for rel="self"
}

// Dedupe tunes story clustering.
type Dedupe struct {
	Near      *bool    `yaml:"near"`      // merge near-duplicate stories (default true)
	Window    Duration `yaml:"window"`    // how far apart copies of one story may be published
	Threshold float64  `yaml:"threshold"` // confirm score in (0, 1]; 0 means the default
}

// Feed is one polled feed.
type Feed struct {
	URL      string   `yaml:"url"`
	Title    string   `yaml:"title"`
	Schedule string   `yaml:"schedule"`
	Tags     []string `yaml:"tags"`
}

// Duration is a time.Duration written as "90s", "15m" or "24h" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: invalid duration %q (want e.g. 90s, 15m, 24h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Defaults.
const (
	DefaultListen      = "127.0.0.1:8080"
	DefaultDatabase    = "feedmerge.db"
	DefaultSchedule    = "*/15 * * * *"
	DefaultConcurrency = 16
	DefaultPath        = "/feed.atom"
	DefaultItems       = 100
	DefaultTitle       = "feedmerge"
)

// ConfigError lists every problem found in a configuration file, one
// "FILE:LINE: message" per line.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a robfig/cron spec: five fields or a descriptor
// such as "@hourly" or "@every 10m".
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("bad schedule %q: %v", spec, err)
	}
	return s, nil
}

// LoadConfig reads and validates the configuration at path. A file with
// problems returns a *ConfigError listing all of them.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// ParseConfig parses and validates a configuration file's contents; name
// is used in messages and to resolve a relative database path.
func ParseConfig(name string, data []byte) (*Config, error) {
	type problem struct {
		line int
		msg  string
	}
	var problems []problem
	add := func(line int, format string, args ...any) {
		problems = append(problems, problem{line, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))})
	}
	report := func() error {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].line < problems[j].line })
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.msg
		}
		return &ConfigError{msgs}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			add(n, "%s", m[2])
		} else {
			add(1, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil, report()
	}
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				if m := yamlLine.FindStringSubmatch(e); m != nil {
					n, _ := strconv.Atoi(m[1])
					add(n, "%s", friendlyYAML(m[2]))
				} else {
					add(1, "%s", e)
				}
			}
		} else {
			add(1, "%s", err)
		}
	}
	cfg.Path = name
	lines := lineIndex(&root)
	cfg.checkExplicit(lines, add)
	cfg.applyDefaults()
	cfg.validate(lines, add)
	if len(problems) > 0 {
		return nil, report()
	}
	return cfg, nil
}

var notFound = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)

func friendlyYAML(msg string) string {
	if m := notFound.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown key %q", m[1])
	}
	return msg
}

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.Schedule == "" {
		c.Schedule = DefaultSchedule
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Output.Path == "" {
		c.Output.Path = DefaultPath
	}
	if c.Output.Items == 0 {
		c.Output.Items = DefaultItems
	}
	if c.Output.Title == "" {
		c.Output.Title = DefaultTitle
	}
	if c.Fetch.PerHost == 0 {
		c.Fetch.PerHost = 2
	}
	if c.Fetch.MaxDelay == 0 {
		c.Fetch.MaxDelay = Duration(24 * time.Hour)
	}
	if c.Fetch.Adaptive.Min == 0 {
		c.Fetch.Adaptive.Min = Duration(15 * time.Minute)
	}
	if c.Fetch.Adaptive.Max == 0 {
		c.Fetch.Adaptive.Max = Duration(6 * time.Hour)
	}
	if c.Dedupe.Window == 0 {
		c.Dedupe.Window = Duration(72 * time.Hour)
	}
}

// lineIndex maps dotted key paths ("feeds.3.url", "schedule") to the line
// of their value, for messages about values that decoded fine but are
// invalid.
func lineIndex(root *yaml.Node) map[string]int {
	idx := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			idx[path] = n.Line
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], join(path, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			idx[path] = n.Line
			for i, c := range n.Content {
				walk(c, join(path, strconv.Itoa(i)))
			}
		default:
			idx[path] = n.Line
		}
	}
	walk(root, "")
	return idx
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkExplicit reports numbers set to zero or less where zero would
// otherwise select a default.
func (c *Config) checkExplicit(lines map[string]int, add func(int, string, ...any)) {
	for _, n := range []struct {
		key string
		v   int
	}{{"concurrency", c.Concurrency}, {"fetch.per_host", c.Fetch.PerHost}, {"output.items", c.Output.Items}} {
		if line, set := lines[n.key]; set && n.v < 1 {
			add(line, "%s must be at least 1, got %d", n.key, n.v)
		}
	}
}

func (c *Config) validate(lines map[string]int, add func(int, string, ...any)) {
	line := func(path string) int {
		for path != "" {
			if n, ok := lines[path]; ok {
				return n
			}
			i := strings.LastIndexByte(path, '.')
			if i < 0 {
				break
			}
			path = path[:i]
		}
		return 1
	}
	if _, err := ParseSchedule(c.Schedule); err != nil {
		add(line("schedule"), "%v", err)
	}
	if c.Fetch.Adaptive.Min > c.Fetch.Adaptive.Max {
		add(line("fetch.adaptive"), "fetch.adaptive.min (%s) is longer than fetch.adaptive.max (%s)",
			time.Duration(c.Fetch.Adaptive.Min), time.Duration(c.Fetch.Adaptive.Max))
	}
	if c.Fetch.MaxBody < 0 {
		add(line("fetch.max_body"), "fetch.max_body must not be negative")
	}
	if !strings.HasPrefix(c.Output.Path, "/") {
		add(line("output.path"), "output.path must start with /, got %q", c.Output.Path)
	}
	if c.Output.Path == "/healthz" {
		add(line("output.path"), "output.path /healthz is reserved")
	}
	if c.Dedupe.Threshold < 0 || c.Dedupe.Threshold > 1 {
		add(line("dedupe.threshold"), "dedupe.threshold must be between 0 and 1, got %g", c.Dedupe.Threshold)
	}
	seen := map[string]int{}
	for i := range c.Feeds {
		f := &c.Feeds[i]
		p := fmt.Sprintf("feeds.%d", i)
		f.URL = strings.TrimSpace(f.URL)
		if f.URL == "" {
			add(line(p), "feed has no url")
			continue
		}
		if err := checkFeedURL(f.URL); err != nil {
			add(line(p+".url"), "%v", err)
			continue
		}
		if first, dup := seen[f.URL]; dup {
			add(line(p+".url"), "duplicate feed %s (first at line %d)", f.URL, first)
			continue
		}
		seen[f.URL] = line(p + ".url")
		if f.Schedule != "" {
			if _, err := ParseSchedule(f.Schedule); err != nil {
				add(line(p+".schedule"), "%v", err)
			}
		}
	}
}

func checkFeedURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad feed url %q", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("bad feed url %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("bad feed url %q: no host", raw)
	}
	return nil
}

// DatabasePath returns the database setting with a relative SQLite path
// resolved against the config file's folder; PostgreSQL URLs are returned
// unchanged.
func (c *Config) DatabasePath() string {
	db := c.Database
	if IsPostgres(db) || db == ":memory:" || filepath.IsAbs(db) {
		return db
	}
	return filepath.Join(filepath.Dir(c.Path), db)
}

// IsPostgres reports whether a database setting selects PostgreSQL.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// FeedSchedule returns the schedule spec that applies to f.
func (c *Config) FeedSchedule(f Feed) string {
	if f.Schedule != "" {
		return f.Schedule
	}
	return c.Schedule
}

// NearDedupe reports whether near-duplicate merging is on.
func (c *Config) NearDedupe() bool { return c.Dedupe.Near == nil || *c.Dedupe.Near }
