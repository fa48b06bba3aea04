package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/feedmerge/feedmerge/aggregator/demo"
	"github.com/feedmerge/feedmerge/storage"
)

// Demo is `feedmerge demo`: it serves the built-in sample feeds on
// loopback, aggregates them into a temporary database, prints the merged
// feed's URL and a summary, and serves until interrupted.
func (m *Main) Demo(ctx context.Context, args []string) int {
	fs, _ := m.flags("demo")
	listen := fs.String("listen", "127.0.0.1:0", "address of the merged feed")
	debug := fs.Bool("debug", false, "log every poll")
	if c := m.parse(fs, args); c >= 0 {
		return c
	}
	samples, err := demo.Start(time.Now())
	if err != nil {
		return m.errorf(exitFailure, "%v", err)
	}
	defer samples.Close()
	dir, err := os.MkdirTemp("", "feedmerge-demo-")
	if err != nil {
		return m.errorf(exitFailure, "demo: %v", err)
	}
	defer os.RemoveAll(dir)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return m.errorf(exitFailure, "demo: listen on %s: %v", *listen, err)
	}
	defer ln.Close()
	var y strings.Builder
	fmt.Fprintf(&y, "listen: %q\ndatabase: demo.db\nschedule: \"@every 1m\"\nfetch:\n  host_delay: 0s\noutput:\n  title: feedmerge demo\nfeeds:\n", ln.Addr().String())
	for _, o := range demo.Outlets {
		fmt.Fprintf(&y, "  - url: %s\n    title: %s\n    tags: [%s]\n", samples.FeedURL(o), o.Title, strings.Join(o.Tags, ", "))
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(y.String()), 0o644); err != nil {
		return m.errorf(exitFailure, "demo: %v", err)
	}
	log := m.logger(*debug)
	svc, store, code := m.setup(ctx, path, log, writer)
	if svc == nil {
		return code
	}
	defer store.Close()

	start := time.Now()
	results := svc.PollAll(ctx, false)
	took := time.Since(start)
	items := 0
	for _, r := range results {
		if r.Err != nil {
			return m.errorf(exitFailure, "demo: %s: %v", r.URL, r.Err)
		}
		items += r.New
	}
	stories, err := store.Stories(ctx, storage.StoryQuery{})
	if err != nil {
		return m.errorf(exitFailure, "demo: %v", err)
	}
	feedURL := "http://" + ln.Addr().String() + svc.Config().Output.Path
	fmt.Fprintf(m.Stdout, "Polled %d sample feeds (RSS 2.0, RSS 1.0, Atom, JSON Feed, GBK) in %s: %d items became %d stories.\n",
		len(results), took.Round(time.Millisecond), items, len(stories))
	for _, s := range stories {
		if len(s.Related) == 0 {
			continue
		}
		outlets := []string{s.Source.Title}
		for _, r := range s.Related {
			outlets = append(outlets, r.Title)
		}
		fmt.Fprintf(m.Stdout, "Merged: %q from %s\n", s.Title, strings.Join(outlets, ", "))
	}
	fmt.Fprintf(m.Stdout, "Merged feed: %s\n", feedURL)
	fmt.Fprintln(m.Stdout, "Subscribe to it in a feed reader, or press Ctrl-C to stop.")
	if err := svc.Run(ctx, ln); err != nil {
		return m.errorf(exitFailure, "demo: %v", err)
	}
	return exitOK
}
