package main

import (
	"context"
	"fmt"
)

// Explain is `feedmerge explain URL`: for each stored item with that
// (canonical) URL, the story it is in and how it compares with every
// candidate story: title overlap, body containment, SimHash distance,
// vetoes.
func (m *Main) Explain(ctx context.Context, args []string) int {
	fs, path := m.flags("explain")
	if c := m.parse(fs, args); c >= 0 {
		return c
	}
	if fs.NArg() != 1 {
		return m.errorf(exitUsage, "explain: want one item URL, got %d arguments", fs.NArg())
	}
	svc, store, code := m.setup(ctx, *path, nil, readOnly)
	if svc == nil {
		return code
	}
	defer store.Close()
	exps, err := svc.Explain(ctx, fs.Arg(0))
	if err != nil {
		return m.errorf(exitFailure, "%v", err)
	}
	for _, e := range exps {
		it := e.Item
		fmt.Fprintf(m.Stdout, "item %d %q\n  feed:  %s (%s)\n  url:   %s\n  story: %d\n", it.ID, it.Title, it.FeedTitle, it.FeedURL, it.URL, it.StoryID)
		if len(e.Decisions) == 0 {
			continue
		}
		fmt.Fprintf(m.Stdout, "  verdict if it arrived now: %s\n", e.Decisions[0])
		if len(e.Decisions) > 1 {
			fmt.Fprintln(m.Stdout, "  candidates:")
			for _, d := range e.Decisions[1:] {
				fmt.Fprintf(m.Stdout, "    %s\n", d)
			}
		} else {
			fmt.Fprintln(m.Stdout, "  no candidate story shares a URL, a title or a fingerprint band within the window")
		}
	}
	return exitOK
}
