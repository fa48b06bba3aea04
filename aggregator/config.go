package aggregator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Config is feedmerge's configuration, read from config.yaml.
type Config struct {
	Listen      string    `yaml:"listen"`
	Database    string    `yaml:"database"`
	Schedule    string    `yaml:"schedule"`
	Concurrency int       `yaml:"concurrency"`
	Fetch       Fetching  `yaml:"fetch"`
	Output      Output    `yaml:"output"`
	Dedupe      Dedupe    `yaml:"dedupe"`
	Retention   Retention `yaml:"retention"`
	Feeds       []Feed    `yaml:"feeds"`

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

// Retention bounds what the store keeps.
type Retention struct {
	// MaxAge removes a story whose newest copy was first seen longer
	// ago than this; 0 keeps every story. Default 90 days.
	MaxAge *Duration `yaml:"max_age"`
	// MaxStories keeps at most this many stories, removing the oldest
	// first; 0 means no cap.
	MaxStories int `yaml:"max_stories"`
}

// DefaultMaxAge is how long stories are kept unless retention.max_age
// says otherwise.
const DefaultMaxAge = 90 * 24 * time.Hour

// MaxAgeOrDefault returns retention.max_age, or DefaultMaxAge when it is
// not set; 0 keeps every story.
func (r Retention) MaxAgeOrDefault() time.Duration {
	if r.MaxAge == nil {
		return DefaultMaxAge
	}
	return time.Duration(*r.MaxAge)
}

// Feed is one polled feed.
type Feed struct {
	URL      string   `yaml:"url"`
	Title    string   `yaml:"title"`
	Schedule string   `yaml:"schedule"`
	Tags     []string `yaml:"tags"`
}

// Duration is a time.Duration written in YAML as a Go duration ("90s",
// "15m", "24h") or with a leading number of days ("30d", "1d12h").
type Duration time.Duration

// UnmarshalYAML parses a duration. A bad one is returned as a
// *yaml.TypeError, which yaml.v3 collects instead of stopping at it.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, badDuration(n))}}
	}
	*d = Duration(v)
	return nil
}

// badDuration describes n, which is not a duration.
func badDuration(n *yaml.Node) string {
	return fmt.Sprintf("invalid duration %s (want e.g. 90s, 15m, 24h, 30d)", describe(n))
}

var errDuration = errors.New("invalid duration")

// parseDuration parses a non-negative Go duration, optionally led by a
// decimal number of days: "30d", "1.5d", "1d12h".
func parseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, errDuration
		}
		return d, nil
	}
	if !isDecimal(days) {
		return 0, errDuration
	}
	n, err := strconv.ParseFloat(days, 64)
	if err != nil || n*float64(24*time.Hour) >= math.MaxInt64 {
		return 0, errDuration
	}
	d := time.Duration(n * float64(24*time.Hour))
	if rest != "" {
		if rest[0] == '+' || rest[0] == '-' {
			return 0, errDuration
		}
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 || d > math.MaxInt64-r {
			return 0, errDuration
		}
		d += r
	}
	return d, nil
}

// isDecimal reports whether s is digits with at most one decimal point
// between them: "30", "1.5".
func isDecimal(s string) bool {
	whole, frac, _ := strings.Cut(s, ".")
	digits := func(s string) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return whole != "" && digits(whole) && digits(frac) && !strings.HasSuffix(s, ".")
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

	err error // ErrEmptyConfig for an empty file
}

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

// Unwrap returns ErrEmptyConfig when the file was empty, else nil.
func (e *ConfigError) Unwrap() error { return e.err }

// ErrEmptyConfig is wrapped by the *ConfigError of a file that is empty or
// holds only comments. Such a file is refused rather than read as all
// defaults: it is more likely truncated, or caught half-written, than
// meant to poll nothing.
var ErrEmptyConfig = errors.New("aggregator: config is empty")

var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a robfig/cron spec: five fields or a descriptor
// such as "@hourly" or "@every 10m", optionally led by "CRON_TZ=Zone ".
// It is stricter than robfig/cron: a step larger than its field's range
// ("*/61" minutes) and an @every shorter than a second are errors, and
// @every accepts days ("@every 1d").
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := parseSchedule(spec)
	if err != nil {
		return nil, fmt.Errorf("bad schedule %q: %v", spec, err)
	}
	return s, nil
}

// cronFields are the five fields of a spec, with their ranges.
var cronFields = [5]struct {
	name     string
	min, max int
}{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 6}}

func parseSchedule(spec string) (cron.Schedule, error) {
	rest := spec
	if strings.HasPrefix(rest, "TZ=") || strings.HasPrefix(rest, "CRON_TZ=") {
		// robfig/cron slices out of range on a zone with nothing after it.
		_, after, ok := strings.Cut(rest, " ")
		if !ok {
			return nil, errors.New("a time zone without a schedule")
		}
		rest = after
	}
	rest = strings.TrimSpace(rest)
	if every, ok := strings.CutPrefix(rest, "@every"); ok && every != strings.TrimLeft(every, " \t") {
		d, err := parseDuration(strings.TrimSpace(every))
		if err != nil {
			return nil, fmt.Errorf("@every wants a duration such as 10m or 1d, got %q", strings.TrimSpace(every))
		}
		if d < time.Second {
			return nil, fmt.Errorf("@every %s is shorter than a second", strings.TrimSpace(every))
		}
		return cron.Every(d), nil
	}
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, err
	}
	if fields := strings.Fields(rest); len(fields) == len(cronFields) {
		for i, f := range fields {
			r := cronFields[i]
			for _, part := range strings.Split(f, ",") {
				_, step, ok := strings.Cut(part, "/")
				if !ok {
					continue
				}
				if n, err := strconv.Atoi(step); err == nil && n > r.max-r.min+1 {
					return nil, fmt.Errorf("%s step %d is larger than the %s range %d-%d", r.name, n, r.name, r.min, r.max)
				}
			}
		}
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
// is used in messages and to resolve a relative database path. It reports
// every problem it finds, not just the first, as a *ConfigError whose
// lines are sorted by line number.
func ParseConfig(name string, data []byte) (*Config, error) {
	var ps problems
	add := func(line int, format string, args ...any) {
		ps.add(name, line, fmt.Sprintf(format, args...))
	}
	var root yaml.Node
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errEmpty(name)
	}
	if err := yaml.Unmarshal(data, &root); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			add(n, "%s", m[2])
		} else {
			add(1, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil, ps.err()
	}
	if isEmpty(&root) {
		return nil, errEmpty(name)
	}
	cfg := &Config{Path: name}
	d := &decoder{add: add, bad: map[string]bool{}, active: map[*yaml.Node]bool{}}
	d.decode(&root, "", reflect.ValueOf(cfg).Elem())
	lines := lineIndex(&root)
	ck := &checker{lines: lines, bad: d.bad, add: add}
	cfg.checkExplicit(ck)
	cfg.applyDefaults()
	cfg.validate(ck)
	if len(ps.list) > 0 {
		return nil, ps.err()
	}
	return cfg, nil
}

func errEmpty(name string) error {
	return &ConfigError{Problems: []string{name + ":1: config is empty"}, err: ErrEmptyConfig}
}

// isEmpty reports whether root, a parsed file, holds no value: nothing
// but blanks and comments, or a lone null.
func isEmpty(root *yaml.Node) bool {
	if root.Kind == 0 || root.Kind == yaml.DocumentNode && len(root.Content) == 0 {
		return true
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		n := root.Content[0]
		return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	}
	return false
}

// problems collects a file's problems, each once.
type problems struct {
	list []problem
	seen map[string]bool
}

type problem struct {
	line int
	msg  string
}

// add records "NAME:LINE: msg", keeping the message on one line.
func (ps *problems) add(name string, line int, msg string) {
	line = max(line, 1)
	msg = fmt.Sprintf("%s:%d: %s", name, line, escapeBreaks(msg))
	if ps.seen[msg] {
		return
	}
	if ps.seen == nil {
		ps.seen = map[string]bool{}
	}
	ps.seen[msg] = true
	ps.list = append(ps.list, problem{line, msg})
}

// err returns the problems as a *ConfigError, sorted by line.
func (ps *problems) err() error {
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].line < ps.list[j].line })
	msgs := make([]string, len(ps.list))
	for i, p := range ps.list {
		msgs[i] = p.msg
	}
	return &ConfigError{Problems: msgs}
}

// escapeBreaks escapes line breaks so that a message stays one line.
func escapeBreaks(s string) string {
	return strings.NewReplacer("\r\n", `\r\n`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// describe names n as it was written, for messages: a scalar quoted, a
// list or mapping by its kind.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "*" + n.Value
	}
	return "nothing"
}

// maxNodes bounds the values decoded from one file, so that aliases of
// aliases cannot make a small file expand without end.
const maxNodes = 100_000

// decoder decodes a yaml.Node tree into a Config value by value, so that
// one bad value does not hide the others. It is as strict as yaml.v3's
// KnownFields(true): unknown and repeated keys are problems too. Each
// scalar is decoded by yaml.v3 itself.
type decoder struct {
	add    func(line int, format string, args ...any)
	bad    map[string]bool     // key paths whose value did not decode
	active map[*yaml.Node]bool // aliased nodes being decoded, to catch an alias inside itself
	nodes  int
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.add(n.Line, "%s: %s", where(path), fmt.Sprintf(format, args...))
}

// where names a key path in messages.
func where(path string) string {
	if path == "" {
		return "config"
	}
	return path
}

// decode decodes n into v, the value at key path path.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	if d.nodes++; d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.fail(n, path, "more than %d values (aliases of aliases?)", maxNodes)
		}
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.decode(n.Content[0], path, v)
		}
		return
	case yaml.AliasNode:
		if n.Alias == nil || d.active[n.Alias] {
			d.fail(n, path, "alias *%s refers to itself", n.Value)
			return
		}
		d.active[n.Alias] = true
		d.decode(n.Alias, path, v)
		delete(d.active, n.Alias)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // unset: the default applies
	}
	switch p := v.Addr().Interface().(type) {
	case *Duration:
		dur, err := parseDuration(n.Value)
		if err != nil || n.Kind != yaml.ScalarNode {
			d.fail(n, path, "%s", badDuration(n))
			return
		}
		*p = Duration(dur)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		before := len(d.bad)
		d.decode(n, path, e.Elem())
		if len(d.bad) == before {
			v.Set(e)
		}
	case reflect.Struct:
		d.mapping(n, path, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, join(path, strconv.Itoa(i)), s.Index(i))
		}
		v.Set(s)
	default:
		d.scalar(n, path, v)
	}
}

// scalar decodes n into v, a string, number or bool.
func (d *decoder) scalar(n *yaml.Node, path string, v reflect.Value) {
	var want string
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a whole number"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	case reflect.Bool:
		want = "true or false"
	case reflect.String:
		want = "a single value"
	default:
		want = "a " + v.Type().String()
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want %s, got %s", want, describe(n))
		return
	}
	// yaml.v3 truncates 1.5 to 1 for an int; a whole number must be one.
	isInt := want == "a whole number"
	e := reflect.New(v.Type())
	if err := n.Decode(e.Interface()); err != nil || isInt && n.ShortTag() != "!!int" {
		d.fail(n, path, "want %s, got %s", want, describe(n))
		return
	}
	v.Set(e.Elem())
}

// mapping decodes the mapping n into the struct v, reporting unknown and
// repeated keys. Merge keys ("<<: *defaults") are honoured; the
// mapping's own keys win over merged ones.
func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of keys, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	first := map[string]int{}
	var own [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		for k.Kind == yaml.AliasNode && k.Alias != nil && k.Alias != k {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "a key must be a name, got %s", describe(k))
			continue
		}
		if k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge") {
			d.merge(val, path, v)
			continue
		}
		if line, dup := first[k.Value]; dup {
			d.bad[join(path, k.Value)] = true
			d.add(k.Line, "duplicate key %q (first at line %d)", join(path, k.Value), line)
			continue
		}
		first[k.Value] = k.Line
		own = append(own, [2]*yaml.Node{k, val})
	}
	for _, kv := range own {
		k, val := kv[0], kv[1]
		i, ok := fields[k.Value]
		if !ok {
			if path == "" {
				d.add(k.Line, "unknown key %q", k.Value)
			} else {
				d.add(k.Line, "unknown key %q in %s", k.Value, path)
			}
			continue
		}
		d.decode(val, join(path, k.Value), v.Field(i))
	}
}

// merge decodes the value of a merge key into v: a mapping, an alias of
// one, or a list of those.
func (d *decoder) merge(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			d.merge(c, path, v)
		}
		return
	}
	m := n
	if m.Kind == yaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	if m.Kind != yaml.MappingNode {
		d.fail(n, path, "a merge key (<<) wants a mapping, got %s", describe(n))
		return
	}
	d.decode(n, path, v)
}

// yamlFields maps the YAML keys of struct type t to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		m[name] = i
	}
	return m
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

// checker reports problems of decoded values at the line of their key
// path, skipping values that did not decode (already reported).
type checker struct {
	lines map[string]int
	bad   map[string]bool
	add   func(int, string, ...any)
}

// ok reports whether the value at path decoded, or was not set.
func (ck *checker) ok(path string) bool { return !ck.bad[path] }

// line returns the line of path, or of its nearest ancestor that is in
// the file.
func (ck *checker) line(path string) int {
	for path != "" {
		if n, ok := ck.lines[path]; ok {
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

// checkExplicit reports numbers set to zero or less where zero would
// otherwise select a default.
func (c *Config) checkExplicit(ck *checker) {
	for _, n := range []struct {
		key string
		v   int
	}{{"concurrency", c.Concurrency}, {"fetch.per_host", c.Fetch.PerHost}, {"output.items", c.Output.Items}} {
		if line, set := ck.lines[n.key]; set && ck.ok(n.key) && n.v < 1 {
			ck.add(line, "%s must be at least 1, got %d", n.key, n.v)
		}
	}
}

func (c *Config) validate(ck *checker) {
	add, line := ck.add, ck.line
	if ck.ok("schedule") {
		if _, err := ParseSchedule(c.Schedule); err != nil {
			add(line("schedule"), "%v", err)
		}
	}
	if ck.ok("listen") {
		if err := checkListen(c.Listen); err != nil {
			add(line("listen"), "%v", err)
		}
	}
	if ck.ok("fetch.adaptive.min") && ck.ok("fetch.adaptive.max") && c.Fetch.Adaptive.Min > c.Fetch.Adaptive.Max {
		add(line("fetch.adaptive"), "fetch.adaptive.min (%s) is longer than fetch.adaptive.max (%s)",
			time.Duration(c.Fetch.Adaptive.Min), time.Duration(c.Fetch.Adaptive.Max))
	}
	if c.Fetch.MaxBody < 0 {
		add(line("fetch.max_body"), "fetch.max_body must not be negative")
	}
	if ck.ok("output.path") && !strings.HasPrefix(c.Output.Path, "/") {
		add(line("output.path"), "output.path must start with /, got %q", c.Output.Path)
	}
	if slices.Contains(reservedPaths, c.Output.Path) {
		add(line("output.path"), "output.path %s is reserved: the service serves %s", c.Output.Path, strings.Join(reservedPaths, ", "))
	}
	if c.Dedupe.Threshold < 0 || c.Dedupe.Threshold > 1 {
		add(line("dedupe.threshold"), "dedupe.threshold must be between 0 and 1, got %g", c.Dedupe.Threshold)
	}
	if c.Retention.MaxStories < 0 {
		add(line("retention.max_stories"), "retention.max_stories must not be negative, got %d (0 keeps every story)", c.Retention.MaxStories)
	}
	seen := map[string]int{}
	for i := range c.Feeds {
		f := &c.Feeds[i]
		p := fmt.Sprintf("feeds.%d", i)
		if !ck.ok(p) || !ck.ok(p+".url") {
			continue
		}
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
		if f.Schedule != "" && ck.ok(p+".schedule") {
			if _, err := ParseSchedule(f.Schedule); err != nil {
				add(line(p+".schedule"), "%v", err)
			}
		}
	}
}

// checkListen reports whether addr is a host:port to listen on: the port
// a number from 0 to 65535 or a service name known to this machine
// (/etc/services), the host possibly empty.
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen %q: want host:port, such as 127.0.0.1:8080", addr)
	}
	if port == "" {
		return fmt.Errorf("listen %q: no port", addr)
	}
	if strings.Trim(port, "0123456789") == "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return fmt.Errorf("listen %q: port %s is out of range 0-65535", addr, port)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupPort(ctx, "tcp", port); err != nil {
		return fmt.Errorf("listen %q: unknown port %q", addr, port)
	}
	return nil
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
