package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/feeds"
)

// Add is `feedmerge add URL [-title T] [-tags a,b]`.
func (m *Main) Add(ctx context.Context, args []string) int {
	fs, path := m.flags("add")
	title := fs.String("title", "", "title to show instead of the feed's own")
	tags := fs.String("tags", "", "comma-separated tags, such as asean,economy")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: feedmerge add [-config config.yaml] URL [-title T] [-tags a,b]\n\nURL is a feed, or a web page that links one.")
		fs.PrintDefaults()
	}
	pos, code := m.parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return m.errorf(exitUsage, "add: want one URL, got %d arguments", len(pos))
	}
	raw := webURL(pos[0])
	if err := aggregator.CheckFeed(aggregator.Feed{URL: raw}); err != nil {
		return m.errorf(exitUsage, "add: %v", err)
	}
	cfg, data, code := m.editableConfig(*path)
	if cfg == nil {
		return code
	}
	if presentIn(cfg.Feeds, raw) {
		fmt.Fprintf(m.Stdout, "%s is already in %s; nothing changed\n", raw, *path)
		return exitOK
	}
	w := newWeb(cfg)
	found, code := m.findFeed(ctx, w, cfg, *path, raw)
	if found == nil {
		return code
	}
	if presentIn(cfg.Feeds, found.url) {
		fmt.Fprintf(m.Stdout, "%s is already in %s; nothing changed\n", found.url, *path)
		return exitOK
	}
	f := aggregator.Feed{URL: found.url, Title: squeeze(*title), Tags: splitTags(*tags)}
	if code := m.addFeeds(*path, data, []aggregator.Feed{f}); code != exitOK {
		return code
	}
	what := fmt.Sprintf("%q as it calls itself", found.title)
	if f.Title != "" {
		what = fmt.Sprintf("as %q", f.Title)
	} else if found.title == "" {
		what = "untitled"
	}
	fmt.Fprintf(m.Stdout, "added %s to %s: %s, %s%s\n", f.URL, *path, what, plural(found.items, "item"), tagList(f.Tags))
	return exitOK
}

// foundFeed is a feed add has fetched and parsed.
type foundFeed struct {
	url   string
	title string
	items int
}

// findFeed returns the feed at raw, or the one the page at raw links, or
// one at a common path of its site. With several linked it lists them
// and returns nil.
func (m *Main) findFeed(ctx context.Context, w *web, cfg *aggregator.Config, path, raw string) (*foundFeed, int) {
	p, err := w.get(ctx, raw)
	if err != nil {
		return nil, m.errorf(exitFailure, "add: %v", err)
	}
	f, err := p.feed()
	if err == nil {
		return f, -1
	}
	if !errors.Is(err, feeds.ErrNotFeed) {
		return nil, m.errorf(exitFailure, "add: %s: %v", raw, err)
	}
	if !p.isHTML() {
		return nil, m.errorf(exitFailure, "add: %s: %v", raw, err)
	}
	links := feeds.FeedLinks(p.body, p.contentType, p.url)
	switch len(links) {
	case 0:
		for _, u := range commonFeedURLs(p.url) {
			lp, err := w.get(ctx, u)
			if err != nil {
				continue
			}
			if f, err := lp.feed(); err == nil {
				fmt.Fprintf(m.Stdout, "%s links no feed; found one at %s\n", raw, f.url)
				return f, -1
			}
		}
		return nil, m.errorf(exitFailure, "add: %s is a web page that links no feed, and its site has none at %s; give the feed's own URL",
			raw, strings.Join(feeds.CommonFeedPaths(), ", "))
	case 1:
		if presentIn(cfg.Feeds, links[0].URL) {
			return &foundFeed{url: links[0].URL}, -1
		}
		lp, err := w.get(ctx, links[0].URL)
		if err != nil {
			return nil, m.errorf(exitFailure, "add: %s links the feed %s, which cannot be fetched: %v", raw, links[0].URL, err)
		}
		f, err := lp.feed()
		if err != nil {
			return nil, m.errorf(exitFailure, "add: %s links the feed %s, which does not parse: %v", raw, links[0].URL, err)
		}
		fmt.Fprintf(m.Stdout, "%s links the feed %s\n", raw, f.url)
		return f, -1
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	for _, l := range links {
		note := l.Title
		if presentIn(cfg.Feeds, l.URL) {
			note += " (already in " + path + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\n", l.URL, strings.TrimSpace(note))
	}
	tw.Flush()
	return nil, m.errorf(exitFailure, "add: %s links %d feeds (listed above); run 'feedmerge add URL' with the one you want", raw, len(links))
}

// commonFeedURLs returns the URLs to try on the site of the page at
// pageURL: the common feed paths beside the page when it is not at the
// root, then at the root.
func commonFeedURLs(pageURL string) []string {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil
	}
	var list []string
	dirs := []string{"/"}
	if dir := base.Path[:strings.LastIndexByte(base.Path, '/')+1]; dir != "" && dir != "/" {
		dirs = []string{dir, "/"}
	}
	for _, dir := range dirs {
		for _, p := range feeds.CommonFeedPaths() {
			u := *base
			u.Path, u.RawPath, u.RawQuery, u.Fragment = strings.TrimSuffix(dir, "/")+p, "", "", ""
			if s := u.String(); !slices.Contains(list, s) {
				list = append(list, s)
			}
		}
	}
	return list
}

// webURL returns s trimmed, with https:// in front when it names no
// scheme ("example.org/blog").
func webURL(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.Contains(s, "://") {
		s = "https://" + s
	}
	return s
}

// splitTags splits a -tags value at commas, trimmed, each once.
func splitTags(s string) []string {
	var tags []string
	for t := range strings.SplitSeq(s, ",") {
		if t = squeeze(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

// squeeze trims s and makes each run of white space in it one space.
func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }

func tagList(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return ", tags " + strings.Join(tags, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// parseArgs parses fs's flags wherever they stand among args and returns
// the other arguments; an argument "--" makes the rest positional. It
// returns exit code -1 to go on.
func (m *Main) parseArgs(fs *flag.FlagSet, args []string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), -1
		}
		if len(rest) == 0 {
			return pos, -1
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// editableConfig reads the configuration file an edit starts from. It
// must exist, and be valid or empty; its problems are printed each on
// its own line with exit code 2.
func (m *Main) editableConfig(path string) (*aggregator.Config, []byte, int) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, m.errorf(exitUsage, "%s does not exist; create it first (an empty file will do) or name another with -config", path)
	}
	if err != nil {
		return nil, nil, m.errorf(exitFailure, "read config: %v", err)
	}
	cfg, err := aggregator.ParseConfig(path, data)
	if errors.Is(err, aggregator.ErrEmptyConfig) {
		cfg, err = aggregator.ParseConfig(path, []byte("feeds: []\n"))
	}
	if err != nil {
		var ce *aggregator.ConfigError
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				fmt.Fprintln(m.Stderr, p)
			}
			return nil, nil, exitUsage
		}
		return nil, nil, m.errorf(exitUsage, "%v", err)
	}
	return cfg, data, -1
}

// addFeeds appends add to the configuration file at path, whose text was
// data, and writes it.
func (m *Main) addFeeds(path string, data []byte, add []aggregator.Feed) int {
	out, err := aggregator.AddFeeds(path, data, add)
	if err != nil {
		return m.errorf(exitFailure, "%v; %s is unchanged", err, path)
	}
	if err := replaceFile(path, data, out); err != nil {
		return m.errorf(exitFailure, "%v", err)
	}
	return exitOK
}

// replaceFile replaces the file at path, which holds old, with data: a
// temporary file in the same folder with the same permissions is
// written, synced and renamed over it, so that a reader sees the old
// file or the new one, never half of one. A symbolic link is followed,
// and a file that no longer holds old is left alone.
func replaceFile(path string, old, data []byte) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if now, err := os.ReadFile(real); err != nil || !bytes.Equal(now, old) {
		return fmt.Errorf("%s changed while it was being edited; nothing written, run the command again", path)
	}
	if err := os.Rename(tmp.Name(), real); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	if dir, err := os.Open(filepath.Dir(real)); err == nil {
		dir.Sync() // the rename itself survives a crash
		dir.Close()
	}
	return nil
}

// web fetches the single documents import and add read: a plain client
// with the daemon's User-Agent, timeout and body cap.
type web struct {
	client  *http.Client
	agent   string
	maxBody int64
}

func newWeb(cfg *aggregator.Config) *web {
	w := &web{client: &http.Client{Timeout: time.Duration(cfg.Fetch.Timeout)}, agent: cfg.Fetch.UserAgent, maxBody: cfg.Fetch.MaxBody}
	if w.client.Timeout <= 0 {
		w.client.Timeout = 30 * time.Second
	}
	if w.agent == "" {
		w.agent = aggregator.UserAgent
	}
	if w.maxBody <= 0 {
		w.maxBody = 16 << 20
	}
	return w
}

// page is a fetched document.
type page struct {
	url         string // where it came from, after redirects
	moved       string // the URL to keep: the last one reached by permanent redirects only
	contentType string
	body        []byte
	now         time.Time
}

// get fetches rawURL, following up to five redirects. Its errors are one
// line naming rawURL.
func (w *web) get(ctx context.Context, rawURL string) (*page, error) {
	keep, permanent := rawURL, true
	c := *w.client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 5 {
			return errors.New("more than 5 redirects")
		}
		if code := req.Response.StatusCode; code != http.StatusMovedPermanently && code != http.StatusPermanentRedirect {
			permanent = false
		}
		if permanent {
			keep = req.URL.String()
		}
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %v", rawURL, err)
	}
	req.Header.Set("User-Agent", w.agent)
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("fetch %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("fetch %s: %s", rawURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, w.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %v", rawURL, err)
	}
	if int64(len(body)) > w.maxBody {
		return nil, fmt.Errorf("fetch %s: larger than %d bytes", rawURL, w.maxBody)
	}
	return &page{url: resp.Request.URL.String(), moved: keep, contentType: resp.Header.Get("Content-Type"), body: body, now: time.Now()}, nil
}

// feed parses p as a feed.
func (p *page) feed() (*foundFeed, error) {
	f, err := feeds.Parse(p.body, p.contentType, p.url, p.now)
	if err != nil {
		return nil, err
	}
	return &foundFeed{url: p.moved, title: f.Title, items: len(f.Items)}, nil
}

// isHTML reports whether p is a web page.
func (p *page) isHTML() bool {
	if t, _, err := mime.ParseMediaType(p.contentType); err == nil && (t == "text/html" || t == "application/xhtml+xml") {
		return true
	}
	return strings.HasPrefix(http.DetectContentType(p.body), "text/html")
}
