package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/feeds"
)

// Import is `feedmerge import FILE.opml|URL`.
func (m *Main) Import(ctx context.Context, args []string) int {
	fs, path := m.flags("import")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: feedmerge import [-config config.yaml] FILE.opml|URL\n\nAdds the OPML reading list's feeds to the config file, keeping its comments.")
		fs.PrintDefaults()
	}
	pos, code := m.parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return m.errorf(exitUsage, "import: want one OPML file or URL, got %d arguments", len(pos))
	}
	src := pos[0]
	cfg, data, code := m.editableConfig(*path)
	if cfg == nil {
		return code
	}
	doc, contentType, err := m.readOPML(ctx, newWeb(cfg), src)
	if err != nil {
		return m.errorf(exitFailure, "import: %v", err)
	}
	list, err := feeds.ParseOPML(doc, contentType)
	if err != nil {
		return m.errorf(exitFailure, "import: %s: %v", src, err)
	}

	var add []aggregator.Feed
	var lines []string
	already, invalid := 0, 0
	for _, o := range list {
		f := aggregator.Feed{URL: o.URL, Title: o.Title, Tags: o.Tags}
		switch err := aggregator.CheckFeed(f); {
		case err != nil:
			invalid++
			lines = append(lines, fmt.Sprintf("skipped %s: %v", o.URL, err))
		case presentIn(cfg.Feeds, f.URL) || presentIn(add, f.URL):
			already++
			lines = append(lines, fmt.Sprintf("skipped %s: already in %s", o.URL, *path))
		default:
			add = append(add, f)
			line := "added " + f.URL
			if f.Title != "" {
				line += fmt.Sprintf(" %q", f.Title)
			}
			if len(f.Tags) > 0 {
				line += " [" + strings.Join(f.Tags, ", ") + "]"
			}
			lines = append(lines, line)
		}
	}
	if len(add) > 0 {
		if code := m.addFeeds(*path, data, add); code != exitOK {
			return code
		}
	}
	for _, l := range lines {
		fmt.Fprintln(m.Stdout, l)
	}
	summary := fmt.Sprintf("added %s to %s", plural(len(add), "feed"), *path)
	var skipped []string
	if already > 0 {
		skipped = append(skipped, fmt.Sprintf("%d already present", already))
	}
	if invalid > 0 {
		skipped = append(skipped, fmt.Sprintf("%d not http(s)", invalid))
	}
	if len(skipped) > 0 {
		summary += ", skipped " + strings.Join(skipped, ", ")
	}
	if len(add) == 0 {
		summary += "; it is unchanged"
	}
	fmt.Fprintln(m.Stdout, summary)
	return exitOK
}

// presentIn reports whether list has a feed at u.
func presentIn(list []aggregator.Feed, u string) bool {
	return slices.ContainsFunc(list, func(f aggregator.Feed) bool { return f.URL == u })
}

// readOPML returns the document at src, an http(s) URL or a file, with
// its Content-Type ("" for a file).
func (m *Main) readOPML(ctx context.Context, w *web, src string) ([]byte, string, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		p, err := w.get(ctx, src)
		if err != nil {
			return nil, "", err
		}
		return p.body, p.contentType, nil
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, w.maxBody+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(doc)) > w.maxBody {
		return nil, "", fmt.Errorf("%s: larger than %d bytes", src, w.maxBody)
	}
	return doc, "", nil
}

// exportOPML is `feedmerge export -format opml`: the configured feeds,
// those with tag only when tag is set.
func (m *Main) exportOPML(path, tag string) int {
	cfg, code := m.loadConfig(path)
	if cfg == nil {
		return code
	}
	list := aggregator.OPMLFeeds(cfg)
	if tag != "" {
		list = slices.DeleteFunc(list, func(f feeds.OPMLFeed) bool { return !slices.Contains(f.Tags, tag) })
	}
	if err := feeds.WriteOPML(m.Stdout, cfg.Output.Title, list); err != nil {
		return m.errorf(exitFailure, "export: %v", err)
	}
	return exitOK
}
