package aggregator

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/feedmerge/feedmerge/feeds"
)

// CheckFeed returns nil when f can be added to a configuration, and
// otherwise why not, in one line: its url is not http or https with a
// host, or its schedule does not parse. It does not look for duplicates.
func CheckFeed(f Feed) error {
	if err := checkFeedURL(strings.TrimSpace(f.URL)); err != nil {
		return err
	}
	if f.Schedule != "" {
		if _, err := ParseSchedule(f.Schedule); err != nil {
			return err
		}
	}
	return nil
}

// OPMLFeeds returns cfg's feeds, in order, as an OPML reading list holds
// them: for feeds.WriteOPML and feeds.ServeOPML.
func OPMLFeeds(cfg *Config) []feeds.OPMLFeed {
	list := make([]feeds.OPMLFeed, len(cfg.Feeds))
	for i, f := range cfg.Feeds {
		list[i] = feeds.OPMLFeed{URL: f.URL, Title: f.Title, Tags: f.Tags}
	}
	return list
}

// AddFeeds returns data, the text of the configuration file name, with
// add appended to its feeds list, and every byte already there left as
// it was: comments, blank lines, key order and quoting. It reads the
// file's YAML node tree to find where the list ends and how its items are
// written (the dash's column, the space after it, tags as [a, b] or as a
// block list, quoted or plain URLs and titles), and writes each new item
// the same way after the last line of the last item, before any comments
// and blank lines that follow it. Without a feeds key, one is added at
// the end of the file; an empty one (feeds:, feeds: [] or feeds: ~) gets
// the items on the lines after it. Line endings follow the file's.
//
// data may be empty or hold only comments. Otherwise it must be a valid
// configuration, or AddFeeds returns its *ConfigError. It fails too when
// feeds is written in a way it does not edit (a flow list with items, an
// alias), and when the result would not decode to the same configuration
// with add appended, for example because a feed is already there or not
// valid (see CheckFeed): the caller then writes nothing.
func AddFeeds(name string, data []byte, add []Feed) ([]byte, error) {
	old, err := ParseConfig(name, data)
	if errors.Is(err, ErrEmptyConfig) {
		old, err = ParseConfig(name, []byte("feeds: []\n"))
	}
	if err != nil {
		return nil, err
	}
	if len(add) == 0 {
		return data, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	e := newConfigEdit(data)
	if err := e.add(&root, add); err != nil {
		return nil, fmt.Errorf("%s: cannot add feeds: %v", name, err)
	}
	out := e.bytes()

	want := *old
	want.Feeds = append(append([]Feed(nil), old.Feeds...), add...)
	for i := len(old.Feeds); i < len(want.Feeds); i++ {
		f := &want.Feeds[i]
		f.URL = strings.TrimSpace(f.URL)
		if len(f.Tags) == 0 {
			f.Tags = nil
		}
	}
	got, err := ParseConfig(name, out)
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) && len(ce.Problems) > 0 {
			return nil, fmt.Errorf("cannot add feeds: the file would become invalid: %s", ce.Problems[0])
		}
		return nil, fmt.Errorf("cannot add feeds to %s: %v", name, err)
	}
	if !reflect.DeepEqual(got, &want) {
		return nil, fmt.Errorf("%s: cannot add feeds without changing what else it says; add them by hand", name)
	}
	return out, nil
}

// configEdit inserts lines into a file's text.
type configEdit struct {
	lines []string // each with its line ending, if any
	eol   string
	at    map[int][]string // lines to insert after line n (1-based; 0 is the start)
}

func newConfigEdit(data []byte) *configEdit {
	e := &configEdit{eol: "\n", at: map[int][]string{}}
	if bytes.Contains(data, []byte("\r\n")) {
		e.eol = "\r\n"
	}
	for s := string(data); s != ""; {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			e.lines = append(e.lines, s)
			break
		}
		e.lines = append(e.lines, s[:i+1])
		s = s[i+1:]
	}
	return e
}

func (e *configEdit) bytes() []byte {
	var b strings.Builder
	for n := 0; n <= len(e.lines); n++ {
		if n > 0 {
			b.WriteString(e.lines[n-1])
		}
		if ins := e.at[n]; len(ins) > 0 {
			if n > 0 && !strings.HasSuffix(e.lines[n-1], "\n") {
				b.WriteString(e.eol) // the last line had no line ending
			}
			for _, l := range ins {
				b.WriteString(l + e.eol)
			}
		}
	}
	return []byte(b.String())
}

// itemStyle is how a file writes the items of its feeds list.
type itemStyle struct {
	dash     int  // spaces before the dash
	offset   int  // columns from the dash to the item's keys
	indent   int  // indentation of a nested block
	flowTags bool // tags: [a, b] rather than a block list
	urlStyle yaml.Style
	txtStyle yaml.Style
}

func (e *configEdit) add(root *yaml.Node, add []Feed) (err error) {
	var m *yaml.Node
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		m = root.Content[0]
	}
	if m == nil || m.Kind == yaml.ScalarNode && m.ShortTag() == "!!null" {
		return e.appendFeeds(0, itemStyle{dash: 2, offset: 2, indent: 2, flowTags: true}, add)
	}
	if m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 {
		return errors.New("it is not a block mapping of keys")
	}
	indent := nestedIndent(m)
	st := itemStyle{dash: m.Column - 1 + indent, offset: 2, indent: indent, flowTags: true}
	i := -1
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Kind == yaml.ScalarNode && m.Content[j].Value == "feeds" {
			i = j
		}
	}
	if i < 0 {
		return e.appendFeeds(m.Column-1, st, add)
	}
	key, val := m.Content[i], m.Content[i+1]
	switch {
	case val.Kind == yaml.ScalarNode && val.ShortTag() == "!!null":
		if val.Value != "" && !e.cut(val.Line, val.Column, val.Value) {
			return fmt.Errorf("line %d: feeds: %s is not where it was expected", val.Line, val.Value)
		}
		return e.insert(key.Line, st, add)
	case val.Kind == yaml.SequenceNode && val.Style&yaml.FlowStyle != 0:
		if len(val.Content) > 0 || !e.cutEmptyFlow(val.Line, val.Column) {
			return fmt.Errorf("line %d: feeds is a [flow, list]; write it as a block list (one \"- url:\" line per feed)", val.Line)
		}
		return e.insert(key.Line, st, add)
	case val.Kind == yaml.SequenceNode:
		if st, err = e.blockStyle(val, indent); err != nil {
			return err
		}
		limit := len(e.lines)
		if i+2 < len(m.Content) {
			limit = m.Content[i+2].Line - 1
		}
		for n := val.Line + 1; n <= limit; n++ {
			if l := e.lines[n-1]; strings.HasPrefix(l, "---") || strings.HasPrefix(l, "...") {
				limit = n - 1
				break
			}
		}
		end := limit
		for end > val.Line && blankOrComment(e.lines[end-1]) {
			end--
		}
		if last := val.Content[len(val.Content)-1]; last.Line > end {
			return fmt.Errorf("line %d: cannot tell where the feeds list ends", last.Line)
		}
		return e.insert(end, st, add)
	}
	return fmt.Errorf("line %d: feeds is not a list", val.Line)
}

// nestedIndent returns how far the file indents a nested block under a
// key of m, 2 when no key of m has one.
func nestedIndent(m *yaml.Node) int {
	for j := 0; j+1 < len(m.Content); j += 2 {
		k, v := m.Content[j], m.Content[j+1]
		if (v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode) && v.Style&yaml.FlowStyle == 0 &&
			v.Line > k.Line && v.Column > k.Column {
			return max(v.Column-k.Column, 2)
		}
	}
	return 2
}

// blockStyle returns how the block list seq writes its items.
func (e *configEdit) blockStyle(seq *yaml.Node, indent int) (itemStyle, error) {
	st := itemStyle{dash: -1, offset: 2, indent: indent, flowTags: true}
	// The first dash: at the list's position, or after an anchor or a
	// tag, on the first line below it that is not a comment.
	for n := seq.Line; n <= len(e.lines) && st.dash < 0; n++ {
		l := e.lines[n-1]
		if n == seq.Line {
			if i := byteIndex(l, seq.Column); i >= 0 && strings.HasPrefix(l[i:], "-") && strings.TrimSpace(l[:i]) == "" {
				st.dash = i
			}
			continue
		}
		if blankOrComment(l) {
			continue
		}
		t := strings.TrimLeft(l, " ")
		if !strings.HasPrefix(t, "-") {
			break
		}
		st.dash = len(l) - len(t)
	}
	if st.dash < 0 {
		return st, fmt.Errorf("line %d: cannot tell where the items of feeds start", seq.Line)
	}
	offsetSet, tagsSet, urlSet, txtSet := false, false, false, false
	for _, it := range seq.Content {
		if it.Kind != yaml.MappingNode || it.Style&yaml.FlowStyle != 0 {
			continue
		}
		if l := e.lines[it.Line-1]; !offsetSet && len(l) > st.dash && l[st.dash] == '-' && it.Column-1 > st.dash {
			st.offset, offsetSet = it.Column-1-st.dash, true
		}
		for j := 0; j+1 < len(it.Content); j += 2 {
			v := it.Content[j+1]
			switch it.Content[j].Value {
			case "url":
				if !urlSet && v.Kind == yaml.ScalarNode {
					st.urlStyle, urlSet = quoted(v.Style), true
				}
			case "title":
				if !txtSet && v.Kind == yaml.ScalarNode {
					st.txtStyle, txtSet = quoted(v.Style), true
				}
			case "tags":
				if !tagsSet && v.Kind == yaml.SequenceNode && len(v.Content) > 0 {
					st.flowTags, tagsSet = v.Style&yaml.FlowStyle != 0, true
				}
			}
		}
	}
	return st, nil
}

// quoted returns the quoting of style s, or 0 for plain (and block)
// scalars, which the encoder then writes plain where it can.
func quoted(s yaml.Style) yaml.Style {
	return s & (yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle)
}

func blankOrComment(line string) bool {
	t := strings.TrimLeft(line, " \t")
	return strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#")
}

// appendFeeds adds a feeds key at column col with add at the end of the
// file, after a blank line.
func (e *configEdit) appendFeeds(col int, st itemStyle, add []Feed) error {
	n := len(e.lines)
	var lines []string
	if n > 0 && strings.TrimSpace(e.lines[n-1]) != "" {
		lines = append(lines, "")
	}
	items, err := st.items(add)
	if err != nil {
		return err
	}
	lines = append(lines, strings.Repeat(" ", col)+"feeds:")
	e.at[n] = append(lines, items...)
	return nil
}

// insert adds add as items after line n.
func (e *configEdit) insert(n int, st itemStyle, add []Feed) error {
	items, err := st.items(add)
	e.at[n] = items
	return err
}

// cut removes the value s written at line, column (1-based, counted in
// characters), reporting whether it was there.
func (e *configEdit) cut(line, column int, s string) bool {
	if line < 1 || line > len(e.lines) {
		return false
	}
	l := e.lines[line-1]
	i := byteIndex(l, column)
	if i < 0 || !strings.HasPrefix(l[i:], s) {
		return false
	}
	before, after := l[:i], l[i+len(s):]
	if strings.TrimSpace(after) == "" {
		before = strings.TrimRight(before, " \t")
	}
	e.lines[line-1] = before + after
	return true
}

// cutEmptyFlow removes the [] that starts at line, column.
func (e *configEdit) cutEmptyFlow(line, column int) bool {
	if line < 1 || line > len(e.lines) {
		return false
	}
	l := e.lines[line-1]
	i := byteIndex(l, column)
	if i < 0 || !strings.HasPrefix(l[i:], "[") {
		return false
	}
	j := strings.IndexByte(l[i:], ']')
	if j < 0 || strings.TrimSpace(l[i+1:i+j]) != "" {
		return false
	}
	return e.cut(line, column, l[i:i+j+1])
}

// byteIndex returns the byte offset of the 1-based character column in
// l, or -1.
func byteIndex(l string, column int) int {
	i := 0
	for c := 1; c < column; c++ {
		if i >= len(l) {
			return -1
		}
		_, size := utf8.DecodeRuneInString(l[i:])
		i += size
	}
	return i
}

// items returns the lines of add as items of a feeds list.
func (st itemStyle) items(add []Feed) ([]string, error) {
	var lines []string
	for _, f := range add {
		str := func(v string, style yaml.Style) *yaml.Node {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: style}
		}
		m := &yaml.Node{Kind: yaml.MappingNode}
		m.Content = append(m.Content, str("url", 0), str(strings.TrimSpace(f.URL), st.urlStyle))
		if f.Title != "" {
			m.Content = append(m.Content, str("title", 0), str(f.Title, st.txtStyle))
		}
		if f.Schedule != "" {
			m.Content = append(m.Content, str("schedule", 0), str(f.Schedule, yaml.DoubleQuotedStyle))
		}
		if len(f.Tags) > 0 {
			tags := &yaml.Node{Kind: yaml.SequenceNode}
			if st.flowTags {
				tags.Style = yaml.FlowStyle
			}
			for _, t := range f.Tags {
				tags.Content = append(tags.Content, str(t, 0))
			}
			m.Content = append(m.Content, str("tags", 0), tags)
		}
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(st.indent)
		if err := errors.Join(enc.Encode(m), enc.Close()); err != nil {
			return nil, fmt.Errorf("feed %s: %v", f.URL, err)
		}
		text := strings.TrimSuffix(b.String(), "\n")
		for k, l := range strings.Split(text, "\n") {
			if k == 0 {
				l = strings.Repeat(" ", st.dash) + "-" + strings.Repeat(" ", st.offset-1) + l
			} else {
				l = strings.Repeat(" ", st.dash+st.offset) + l
			}
			lines = append(lines, l)
		}
	}
	return lines, nil
}
