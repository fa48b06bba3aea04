package aggregator_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestRetention checks that stories whose newest copy was first seen
// longer ago than retention.max_age leave the store and the served feed,
// that a feed still listing them does not bring them back, and that the
// tombstones go once the feed has stopped listing them for max_age.
func TestRetention(t *testing.T) {
	f := newFarm(t)
	old := rss("old", rssItem{"o1", "https://o.test/1", "Port opens new berth", "The berth takes ships of 100,000 tonnes.", date(3 * time.Hour)},
		rssItem{"o2", "https://o.test/2", "Festival draws crowds", "Thousands came to the lantern festival.", date(2 * time.Hour)})
	f.set("/old", farmDoc{body: old, contentType: "application/rss+xml"})
	svc, store, _ := setup(t, f, "retention:\n  max_age: 1h", "/old")
	clock := &fakeClock{t: time.Now()}
	svc.SetClock(clock.now)

	if r := svc.Poll(t.Context(), f.URL+"/old", true); r.New != 2 {
		t.Fatalf("first poll: %+v", r)
	}
	if n, err := svc.Expire(t.Context()); err != nil || n != 0 {
		t.Fatalf("Expire of fresh stories: %d, %v", n, err)
	}
	clock.add(61 * time.Minute)
	if n, err := svc.Expire(t.Context()); err != nil || n != 2 {
		t.Fatalf("Expire after max_age: removed %d (%v), want 2", n, err)
	}
	if s, _ := store.Stats(t.Context()); s.Stories != 0 || s.Items != 0 {
		t.Errorf("after Expire: %+v, want nothing stored", s)
	}
	if _, body := serveFeed(t, svc); strings.Contains(body, "<entry") {
		t.Errorf("the served feed still has entries:\n%s", body)
	}

	// The feed still lists them: nothing comes back.
	for range 3 {
		clock.add(20 * time.Minute)
		if r := svc.Poll(t.Context(), f.URL+"/old", true); r.New != 0 || r.Err != nil {
			t.Fatalf("poll of a feed listing removed items: %+v, want nothing new", r)
		}
	}
	if s, _ := store.Stats(t.Context()); s.Stories != 0 {
		t.Errorf("removed items came back: %+v", s)
	}
	// A new item of the same feed is stored as usual.
	f.set("/old", farmDoc{body: rss("old", rssItem{"o3", "https://o.test/3", "Rail link opens", "Freight trains run from today.", date(0)}), contentType: "application/rss+xml"})
	if r := svc.Poll(t.Context(), f.URL+"/old", true); r.New != 1 {
		t.Fatalf("poll with a new item: %+v", r)
	}
	// The feed stopped listing o1 and o2; after max_age their tombstones
	// go, and if the feed listed them again they would be new.
	clock.add(61 * time.Minute)
	svc.Expire(t.Context())
	f.set("/old", farmDoc{body: old, contentType: "application/rss+xml"})
	if r := svc.Poll(t.Context(), f.URL+"/old", true); r.New != 2 {
		t.Errorf("poll after the tombstones were forgotten: %+v, want the 2 items stored again", r)
	}
}

// TestRetentionCap checks retention.max_stories.
func TestRetentionCap(t *testing.T) {
	f := newFarm(t)
	f.set("/a", farmDoc{body: longRSS(30), contentType: "application/rss+xml"})
	svc, store, _ := setup(t, f, "retention:\n  max_age: 0s\n  max_stories: 10", "/a")
	if r := svc.Poll(t.Context(), f.URL+"/a", true); r.New != 30 {
		t.Fatalf("poll: %+v", r)
	}
	if n, err := svc.Expire(t.Context()); err != nil || n != 20 {
		t.Fatalf("Expire to 10 stories: %d, %v", n, err)
	}
	if s, _ := store.Stats(t.Context()); s.Stories != 10 {
		t.Errorf("%d stories left, want 10", s.Stories)
	}
}

func TestRetentionConfig(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"retention:\n  max_age: -1d\n", `c.yaml:2: retention.max_age: invalid duration "-1d"`},
		{"retention:\n  max_age: banana\n", `c.yaml:2: retention.max_age: invalid duration "banana"`},
		{"retention:\n  max_stories: -5\n", `c.yaml:2: retention.max_stories must not be negative`},
		{"retention:\n  max_age: 30d\n  max_stories: 5000\n", ""},
	} {
		cfg, err := aggregator.ParseConfig("c.yaml", []byte(tc.yaml+"feeds:\n  - url: https://a.example/rss\n"))
		if tc.want == "" {
			if err != nil || cfg.Retention.MaxAgeOrDefault() != 30*24*time.Hour || cfg.Retention.MaxStories != 5000 {
				t.Errorf("%q: %v, %+v", tc.yaml, err, cfg)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	cfg, err := aggregator.ParseConfig("c.yaml", []byte("feeds:\n  - url: https://a.example/rss\n"))
	if err != nil || cfg.Retention.MaxAgeOrDefault() != aggregator.DefaultMaxAge {
		t.Errorf("default max_age: %v %v", cfg.Retention.MaxAgeOrDefault(), err)
	}
}
