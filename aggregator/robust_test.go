package aggregator_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/storage"
)

// longRSS returns an RSS feed of n distinct items.
func longRSS(n int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>long</title><link>https://long.test/</link>`)
	now := time.Now()
	for i := range n {
		fmt.Fprintf(&b, `<item><guid>g%d</guid><link>https://long.test/a/%d</link><title>Bulletin %d: w%d w%d w%d</title>`+
			`<description>Item %d reports w%d, w%d and w%d.</description><pubDate>%s</pubDate></item>`,
			i, i, i, i*7919%10007, i*104729%10009, i*31%997, i, i*13%1009, i*17%1013, i*19%1019,
			now.Add(-time.Duration(i)*time.Minute).UTC().Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// storedItems counts the items in store.
func storedItems(t *testing.T, store storage.Store) int {
	t.Helper()
	s, err := store.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(s.Items)
}

// TestLongFeedLetsOtherFeedsWrite checks that a feed of thousands of
// items is stored in batches: another feed's poll is stored while the
// long one is still being written, and every item arrives.
func TestLongFeedLetsOtherFeedsWrite(t *testing.T) {
	f := newFarm(t)
	const n = 3000
	f.set("/long", farmDoc{body: longRSS(n), contentType: "application/rss+xml"})
	f.set("/short", farmDoc{body: rss("short", rssItem{"s1", "https://short.test/1", "A short story", "Short.", date(time.Hour)}), contentType: "application/rss+xml"})
	svc, store, _ := setup(t, f, "", "/long", "/short")
	aggregator.SetWriteBatch(svc, 100)
	stats := func() storage.Stats {
		s, err := store.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	done := make(chan aggregator.Result, 1)
	go func() { done <- svc.Poll(context.Background(), f.URL+"/long", false) }()
	deadline := time.Now().Add(time.Minute)
	for stats().Items == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no batch of the long feed was stored within a minute")
		}
		time.Sleep(time.Millisecond)
	}
	if r := svc.Poll(t.Context(), f.URL+"/short", false); r.Outcome != aggregator.OutcomeFetched || r.New != 1 {
		t.Fatalf("short feed while the long one is stored: %+v", r)
	}
	if got := storedItems(t, store); got >= n+1 {
		t.Errorf("the short feed waited until all %d items of the long one were stored", got)
	}
	r := <-done
	if r.Outcome != aggregator.OutcomeFetched || r.New != n {
		t.Fatalf("long feed: %+v, want %d new items", r, n)
	}
	if got := stats(); got.Items != n+1 || got.Stories != n+1 {
		t.Errorf("stored %+v, want %d items in %d stories", got, n+1, n+1)
	}
	// A second poll of the same document stores nothing new.
	if r := svc.Poll(t.Context(), f.URL+"/long", true); r.New != 0 || r.Updated != 0 || r.Err != nil {
		t.Errorf("second poll of the long feed: %+v", r)
	}
}

// TestLongFeedStopsBetweenBatches checks that a shutdown during a long
// feed's writes keeps the batches written and leaves the feed's state as
// it was, so the next poll fetches it again and stores the rest.
func TestLongFeedStopsBetweenBatches(t *testing.T) {
	f := newFarm(t)
	const n = 1000
	f.set("/long", farmDoc{body: longRSS(n), contentType: "application/rss+xml", etag: `"v1"`})
	svc, store, _ := setup(t, f, "", "/long")
	aggregator.SetWriteBatch(svc, 100)
	ctx, cancel := context.WithCancel(t.Context())
	cs := &cancelOnUpdate{Store: store, cancel: cancel, after: 3}
	svc = reopenWith(t, svc, cs)
	aggregator.SetWriteBatch(svc, 100)
	r := svc.Poll(ctx, f.URL+"/long", false)
	if r.Outcome != aggregator.OutcomeSkipped {
		t.Fatalf("poll stopped by shutdown: %+v, want skipped", r)
	}
	got := storedItems(t, store)
	if got == 0 || got >= n {
		t.Fatalf("stored %d items, want some batches but not all", got)
	}
	st, err := store.Feed(t.Context(), f.URL+"/long")
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	if st.ETag != "" {
		t.Errorf("ETag %q saved although not every item was stored", st.ETag)
	}
	r = svc.Poll(t.Context(), f.URL+"/long", false)
	if r.Outcome != aggregator.OutcomeFetched || r.New != n-got {
		t.Fatalf("next poll: %+v, want the %d items left", r, n-got)
	}
	if got := storedItems(t, store); got != n {
		t.Errorf("stored %d items in the end, want %d", got, n)
	}
}

// cancelOnUpdate is a store that cancels a context when its after'th
// Update begins, as a shutdown signal arriving mid-poll would.
type cancelOnUpdate struct {
	storage.Store
	cancel  context.CancelFunc
	after   int
	updates int
}

func (c *cancelOnUpdate) Update(ctx context.Context, fn func(storage.Tx) error) error {
	c.updates++
	if c.updates >= c.after {
		c.cancel()
	}
	return c.Store.Update(ctx, fn)
}

// reopenWith returns a service with svc's configuration on store.
func reopenWith(t *testing.T, svc *aggregator.Service, store storage.Store) *aggregator.Service {
	t.Helper()
	s, err := aggregator.New(svc.Config(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestShutdownKeepsStateOfCompletedFetch checks that a fetch that
// completed as shutdown began still has its state stored: new
// validators after a 304, and the error count after a failure.
func TestShutdownKeepsStateOfCompletedFetch(t *testing.T) {
	f := newFarm(t)
	f.set("/a", farmDoc{body: rss("a", rssItem{"a1", "https://a.test/1", "One", "One.", date(time.Hour)}), contentType: "application/rss+xml", etag: `"v1"`})
	f.set("/b", farmDoc{status: 500, body: []byte("oops")})
	svc, store, _ := setup(t, f, "", "/a", "/b")
	if r := svc.Poll(t.Context(), f.URL+"/a", false); r.Outcome != aggregator.OutcomeFetched {
		t.Fatalf("first poll: %+v", r)
	}
	// The server now answers 304 with a new validator.
	f.set("/a", farmDoc{status: 304, header: map[string][]string{"Etag": {`"v2"`}}})

	for _, path := range []string{"/a", "/b"} {
		ctx, cancel := context.WithCancel(t.Context())
		s := reopenWith(t, svc, &cancelOnUpdate{Store: store, cancel: cancel, after: 1})
		r := s.Poll(ctx, f.URL+path, true)
		if r.Outcome == aggregator.OutcomeSkipped {
			t.Fatalf("%s: poll %+v", path, r)
		}
		st, err := store.Feed(t.Context(), f.URL+path)
		if err != nil {
			t.Fatalf("%s: state not stored: %v", path, err)
		}
		switch path {
		case "/a":
			if st.ETag != `"v2"` {
				t.Errorf("after a 304 at shutdown: ETag %q, want the new \"v2\" (%+v)", st.ETag, r)
			}
		case "/b":
			if st.Errors != 1 || st.State != storage.StateError {
				t.Errorf("after a failure at shutdown: state %s, %d errors, want error, 1 (%+v)", st.State, st.Errors, r)
			}
		}
	}
}

// TestEmptyFeedUpdatedIsLastPoll checks that a merged feed with no
// stories says it was updated at the last successful poll, not 1970.
func TestEmptyFeedUpdatedIsLastPoll(t *testing.T) {
	f := newFarm(t)
	f.set("/empty", farmDoc{body: rss("empty"), contentType: "application/rss+xml"})
	svc, store, _ := setup(t, f, "", "/empty")
	if r := svc.Poll(t.Context(), f.URL+"/empty", false); r.Outcome != aggregator.OutcomeFetched {
		t.Fatalf("poll: %+v", r)
	}
	st, err := store.Feed(t.Context(), f.URL+"/empty")
	if err != nil {
		t.Fatal(err)
	}
	_, body := serveFeed(t, svc)
	want := "<updated>" + st.LastSuccess.UTC().Format(time.RFC3339) + "</updated>"
	if !strings.Contains(body, want) || strings.Contains(body, "1970") {
		t.Errorf("empty merged feed: want %s in\n%s", want, body)
	}
}
