package aggregator_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
)

// These tests run the scheduler in a testing/synctest bubble: time is
// fake, so schedules of seconds or hours pass at once, and feeds are
// served in memory, without a network, by handlerTransport.

// handlerTransport answers requests by calling an http.Handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// memListener is a net.Listener that never accepts a connection; Run
// serves on it while the tests call its handler directly.
type memListener struct {
	once   sync.Once
	closed chan struct{}
}

func newMemListener() *memListener { return &memListener{closed: make(chan struct{})} }

func (l *memListener) Accept() (net.Conn, error) {
	<-l.closed
	return nil, net.ErrClosed
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *memListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080} }

// countingFeeds serves an RSS document at every path, sleeping delay
// first, and counts requests, requests at once, and overlaps per path.
type countingFeeds struct {
	delay time.Duration

	mu      sync.Mutex
	hits    map[string]int
	active  int
	most    int
	running map[string]bool
	overlap bool
}

func (c *countingFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.hits[r.URL.Path]++
	c.active++
	c.most = max(c.most, c.active)
	if c.running[r.URL.Path] {
		c.overlap = true
	}
	c.running[r.URL.Path] = true
	c.mu.Unlock()
	time.Sleep(c.delay)
	c.mu.Lock()
	c.active--
	c.running[r.URL.Path] = false
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Write(rss("Feed "+r.URL.Path, rssItem{r.URL.Path, "https://c.test" + r.URL.Path, "Story " + r.URL.Path, "Body of " + r.URL.Path + ".", date(time.Hour)}))
}

func (c *countingFeeds) count(f func(c *countingFeeds) int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return f(c)
}

// bubbleService opens a service on a temporary SQLite database for the
// given paths of feeds, fetching them from h, with schedule and
// concurrency as given.
func bubbleService(t *testing.T, h http.Handler, schedule string, concurrency int, paths ...string) *aggregator.Service {
	t.Helper()
	var y strings.Builder
	fmt.Fprintf(&y, "database: test.db\nschedule: %q\nconcurrency: %d\nfetch:\n  host_delay: 0s\n  per_host: 16\nfeeds:\n", schedule, concurrency)
	for _, p := range paths {
		fmt.Fprintf(&y, "  - url: http://feeds.test%s\n", p)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(y.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	svc, _ := open(t, path)
	aggregator.SetHTTPClient(svc, &http.Client{Transport: handlerTransport{h}})
	return svc
}

// runInBubble starts svc.Run and returns a function that stops it and
// returns Run's error.
func runInBubble(t *testing.T, svc *aggregator.Service) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, newMemListener()) }()
	return func() error {
		cancel()
		return <-done
	}
}

func TestRunPollsOnScheduleAndStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		feeds := &countingFeeds{delay: 300 * time.Millisecond, hits: map[string]int{}, running: map[string]bool{}}
		svc := bubbleService(t, feeds, "@every 1s", 16, "/slow", "/fast")
		stop := runInBubble(t, svc)

		time.Sleep(10 * time.Second)
		if n := feeds.count(func(c *countingFeeds) int { return min(c.hits["/slow"], c.hits["/fast"]) }); n < 5 {
			t.Errorf("after 10 s on @every 1s: %v requests, want at least 5 per feed", feeds.hits)
		}
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ok"`) {
			t.Errorf("healthz = %d %s", rec.Code, rec.Body)
		}
		start := time.Now()
		if err := stop(); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Run returned %v", err)
		}
		if took := time.Since(start); took > aggregator.ShutdownTimeout {
			t.Errorf("Run took %v to stop", took)
		}
		if feeds.overlap {
			t.Error("a feed was fetched twice at once")
		}
		synctest.Wait()
	})
}

// TestReloadAppliesConcurrency checks that a reload's new concurrency
// takes effect in the running scheduler.
func TestReloadAppliesConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		feeds := &countingFeeds{delay: 100 * time.Millisecond, hits: map[string]int{}, running: map[string]bool{}}
		paths := []string{"/a", "/b", "/c", "/d", "/e", "/f"}
		svc := bubbleService(t, feeds, "@every 1s", 1, paths...)
		stop := runInBubble(t, svc)
		defer stop()

		time.Sleep(5 * time.Second)
		if most := feeds.count(func(c *countingFeeds) int { return c.most }); most != 1 {
			t.Errorf("%d fetches at once with concurrency 1", most)
		}
		if n := feeds.count(func(c *countingFeeds) int { return len(c.hits) }); n != len(paths) {
			t.Errorf("%d of %d feeds polled in 5 s", n, len(paths))
		}
		feeds.mu.Lock()
		feeds.most = 0
		feeds.mu.Unlock()

		cfg := *svc.Config()
		cfg.Concurrency = len(paths)
		if err := svc.Reload(&cfg); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		if most := feeds.count(func(c *countingFeeds) int { return c.most }); most < 3 {
			t.Errorf("%d fetches at once after raising concurrency to %d, want several", most, len(paths))
		}
	})
}
