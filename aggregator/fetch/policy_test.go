package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestNotBefore(t *testing.T) {
	now := newClock().Now()
	date := now.Add(-time.Hour).Format(http.TimeFormat) // a server clock an hour behind ours
	const max = 6 * time.Hour
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration // after now; 0 for none
	}{
		{"none", http.Header{}, 0},
		{"max-age", http.Header{"Cache-Control": {"public, max-age=3600"}}, time.Hour},
		{"max-age quoted", http.Header{"Cache-Control": {`max-age="600"`}}, 10 * time.Minute},
		{"max-age less age", http.Header{"Cache-Control": {"max-age=3600"}, "Age": {"600"}}, 50 * time.Minute},
		{"max-age stale", http.Header{"Cache-Control": {"max-age=60"}, "Age": {"600"}}, 0},
		{"max-age capped", http.Header{"Cache-Control": {"max-age=31536000"}}, max},
		{"max-age over expires", http.Header{"Cache-Control": {"max-age=60"}, "Expires": {now.Add(time.Hour).Format(http.TimeFormat)}}, time.Minute},
		{"no-cache", http.Header{"Cache-Control": {"no-cache, max-age=3600"}}, 0},
		{"no-store", http.Header{"Cache-Control": {"max-age=3600", "no-store"}}, 0},
		{"max-age zero", http.Header{"Cache-Control": {"max-age=0"}}, 0},
		{"expires absolute", http.Header{"Expires": {now.Add(2 * time.Hour).Format(http.TimeFormat)}}, 2 * time.Hour},
		{"expires relative to date", http.Header{"Date": {date}, "Expires": {now.Format(http.TimeFormat)}}, time.Hour},
		{"expires capped", http.Header{"Expires": {now.Add(100 * time.Hour).Format(http.TimeFormat)}}, max},
		{"expires past", http.Header{"Expires": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{"expires invalid", http.Header{"Expires": {"0"}}, 0},
		{"cache-control without max-age", http.Header{"Cache-Control": {"public"}, "Expires": {now.Add(time.Hour).Format(http.TimeFormat)}}, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want time.Time
			if tt.want != 0 {
				want = now.Add(tt.want)
			}
			if got := notBefore(tt.header, now, max); !got.Equal(want) {
				t.Errorf("notBefore(%v) = %v, want %v", tt.header, got, want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := newClock().Now()
	const max = time.Hour
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"99999999999", max},
		{now.Add(30 * time.Minute).Format(http.TimeFormat), 30 * time.Minute},
		{now.Add(30 * time.Minute).Format(time.RFC850), 30 * time.Minute},
		{now.Add(5 * time.Hour).Format(http.TimeFormat), max},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		var want time.Time
		if tt.want != 0 {
			want = now.Add(tt.want)
		}
		if got := retryAfter(http.Header{"Retry-After": {tt.value}}, now, max); !got.Equal(want) {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.value, got, want)
		}
	}
}

// TestFetchNotBefore checks that Fetch reports the limits of both a 200
// and a 304 response.
func TestFetchNotBefore(t *testing.T) {
	clk := newClock()
	for _, status := range []int{http.StatusOK, http.StatusNotModified} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=3600")
				w.WriteHeader(status)
			})
			f := newFetcher(t, Options{Now: clk.Now, MaxDelay: 30 * time.Minute})
			res, err := f.Fetch(t.Context(), Request{URL: srv.URL, ETag: `"x"`})
			if err != nil {
				t.Fatal(err)
			}
			if want := clk.Now().Add(30 * time.Minute); !res.NotBefore.Equal(want) {
				t.Errorf("NotBefore = %v, want %v (max-age capped by MaxDelay)", res.NotBefore, want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	mid := func() float64 { return 0.5 } // jitter factor 1
	want := []time.Duration{0, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, 80 * time.Minute}
	for n, w := range want {
		if got := Backoff(n, mid); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, w)
		}
	}
	for _, n := range []int{10, 11, 50, 1000, 1 << 30} {
		for _, r := range []float64{0, 0.5, 0.999999} {
			if got := Backoff(n, func() float64 { return r }); got > 24*time.Hour || got < 12*time.Hour {
				t.Errorf("Backoff(%d, %v) = %v, want within [12h, 24h]", n, r, got)
			}
		}
	}
	if got := Backoff(1, func() float64 { return 0 }); got != 150*time.Second {
		t.Errorf("Backoff(1) with least jitter = %v, want 2m30s", got)
	}
	if got := Backoff(1, func() float64 { return 0.999 }); got <= 7*time.Minute || got >= 450*time.Second {
		t.Errorf("Backoff(1) with most jitter = %v, want just under 7m30s", got)
	}
	// With the default source, retries of many feeds spread out.
	seen := make(map[time.Duration]bool)
	for range 20 {
		d := Backoff(3, nil)
		if d < 10*time.Minute || d >= 30*time.Minute {
			t.Errorf("Backoff(3, nil) = %v, want within [10m, 30m)", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Errorf("Backoff(3, nil) returned the same value 20 times, want jitter")
	}
}

// handlerTransport serves requests with a handler in memory, so that a
// synctest bubble sees no network.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func TestHostSpacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 2 * time.Second
		var (
			mu     sync.Mutex
			starts = make(map[string][]time.Time)
		)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			starts[r.Host] = append(starts[r.Host], time.Now())
			mu.Unlock()
			time.Sleep(100 * time.Millisecond) // a request takes a while
			w.Write([]byte(rss))
		})
		f := New(Options{HostDelay: delay, PerHost: 2, Client: &http.Client{Transport: handlerTransport{h}}})
		var wg sync.WaitGroup
		for i := range 8 {
			for _, host := range []string{"a.test", "b.test"} {
				wg.Go(func() {
					if _, err := f.Fetch(context.Background(), Request{URL: fmt.Sprintf("http://%s/feed%d", host, i)}); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		for host, ts := range starts {
			if len(ts) != 8 {
				t.Errorf("%s received %d requests, want 8", host, len(ts))
			}
			jittered := false
			for i := 1; i < len(ts); i++ {
				gap := ts[i].Sub(ts[i-1])
				if gap < delay || gap > delay*3/2 {
					t.Errorf("%s: request %d started %v after the previous one, want within [%v, %v]", host, i, gap, delay, delay*3/2)
				}
				jittered = jittered || gap != delay
			}
			if !jittered {
				t.Errorf("%s: every gap is exactly %v, want jitter", host, delay)
			}
		}
		// Hosts do not wait for each other: both got their first request at once.
		if a, b := starts["a.test"], starts["b.test"]; len(a) > 0 && len(b) > 0 && !a[0].Equal(b[0]) {
			t.Errorf("first requests to a.test and b.test at %v and %v, want the same instant", a[0], b[0])
		}
	})
}

func TestSpacingRespectsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(rss)) })
		f := New(Options{HostDelay: time.Hour, Client: &http.Client{Transport: handlerTransport{h}}})
		if _, err := f.Fetch(t.Context(), Request{URL: "http://a.test/1"}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		_, err := f.Fetch(ctx, Request{URL: "http://a.test/2"})
		if e, ok := err.(*Error); !ok || e.Kind != KindTimeout {
			t.Errorf("Fetch = %v, want a %v error", err, KindTimeout)
		}
		if waited := time.Since(start); waited != time.Minute {
			t.Errorf("Fetch waited %v, want %v (the ctx deadline, not the host delay)", waited, time.Minute)
		}
		// The spacing still holds for the next caller.
		start = time.Now()
		if _, err := f.Fetch(t.Context(), Request{URL: "http://a.test/3"}); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited < 59*time.Minute {
			t.Errorf("third Fetch waited %v, want the rest of the hour", waited)
		}
	})
}
