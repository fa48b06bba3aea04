package aggregator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// startSpread bounds how long after start the feeds that came due while
// the daemon was down are spread over, so they are not all fetched at the
// same instant.
const startSpread = 30 * time.Second

// ShutdownTimeout bounds how long Run waits for HTTP requests after its
// context ends; in-flight polls stop fetching at once and finish the one
// write they may have begun.
const ShutdownTimeout = 8 * time.Second

// Run polls the configured feeds on their schedules and serves the merged
// feed on ln until ctx ends. It then stops starting polls, lets in-flight
// writes finish and returns after the last one. It fails only if the HTTP
// server does.
func (s *Service) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.log.Info("serving merged feed", "url", "http://"+ln.Addr().String()+s.Config().Output.Path)

	schedCtx, stop := context.WithCancel(ctx)
	scheduled := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() { s.schedule(schedCtx) })
	bg.Go(func() { s.retain(schedCtx) })
	go func() {
		bg.Wait()
		close(scheduled)
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("serve http on %s: %w", ln.Addr(), err)
	}
	stop()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = fmt.Errorf("shut down http: %w", serr)
	}
	// Polls see the cancelled context: fetches stop, and a write that
	// has begun finishes. Run returns only once every write is done, so
	// that the store is never closed under one.
	select {
	case <-scheduled:
	case <-sctx.Done():
		s.log.Warn("waiting for writes to finish")
		<-scheduled
	}
	s.fetcher().Close()
	return err
}

// schedule is the poll loop: it keeps each configured feed's due time,
// starts the due ones (at most Concurrency at once, never one feed twice)
// and returns when ctx ends, after the polls it started have finished.
func (s *Service) schedule(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()

	due := map[string]time.Time{}
	inFlight := map[string]bool{}
	results := make(chan Result)
	start := s.now()

	load := func() {
		states, err := s.store.Feeds(ctx)
		if err != nil {
			s.log.Error("read feed states", "err", err)
		}
		byURL := make(map[string]storage.Feed, len(states))
		for _, st := range states {
			byURL[st.URL] = st
		}
		s.mu.Lock()
		feeds := make(map[string]feedConfig, len(s.feeds))
		for u, f := range s.feeds {
			feeds[u] = f
		}
		s.mu.Unlock()
		clear(due)
		now := s.now()
		window := min(startSpread, time.Duration(len(feeds))*250*time.Millisecond)
		for u, f := range feeds {
			if inFlight[u] {
				continue
			}
			st := byURL[u]
			if st.State == storage.StateGone {
				continue
			}
			d := f.due(st)
			if d.Before(now) {
				d = now.Add(time.Duration(spread(u) * float64(window)))
				if now.Sub(start) > time.Second {
					d = now // added while running: poll it now
				}
			}
			due[u] = d
		}
	}
	load()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var ready []string
	for {
		now := s.now()
		limit := max(1, s.Config().Concurrency) // a reload may change it
		var next time.Time
		ready = ready[:0]
		for u, d := range due {
			if d.After(now) {
				if next.IsZero() || d.Before(next) {
					next = d
				}
				continue
			}
			ready = append(ready, u)
		}
		// The longest overdue first, when not all can start.
		slices.SortFunc(ready, func(a, b string) int {
			if c := due[a].Compare(due[b]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for _, u := range ready {
			if len(inFlight) >= limit {
				break
			}
			delete(due, u)
			inFlight[u] = true
			wg.Go(func() {
				r := s.Poll(ctx, u, false)
				select {
				case results <- r:
				case <-ctx.Done():
				}
			})
		}
		wait := time.Hour
		if !next.IsZero() && len(inFlight) < limit {
			wait = max(next.Sub(now), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case r := <-results:
			delete(inFlight, r.URL)
			s.logResult(r)
			if _, ok := s.feed(r.URL); ok && !r.NextPoll.IsZero() {
				due[r.URL] = r.NextPoll
			}
		case <-s.changed:
			load()
		case <-timer.C:
		}
	}
}

func (s *Service) logResult(r Result) {
	switch r.Outcome {
	case OutcomeFetched:
		s.log.Info("polled", "feed", r.URL, "new", r.New, "updated", r.Updated, "took", r.Took.Round(time.Millisecond), "next_poll", r.NextPoll.Format(time.RFC3339))
	case OutcomeNotModified:
		s.log.Debug("not modified", "feed", r.URL, "next_poll", r.NextPoll.Format(time.RFC3339))
	case OutcomeThrottled:
		s.log.Info("throttled by server", "feed", r.URL, "next_poll", r.NextPoll.Format(time.RFC3339))
	case OutcomeSkipped:
		s.log.Debug("skipped", "feed", r.URL, "err", r.Err)
	}
}
