package fetch

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is an httptest server that records every request it receives.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Clone(context.Background()))
		rec.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(rec.Close)
	return rec
}

// requests returns the requests received so far.
func (rec *recorder) requests() []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]*http.Request(nil), rec.reqs...)
}

// last returns the last request received, failing the test if none was.
func (rec *recorder) last(t *testing.T) *http.Request {
	t.Helper()
	reqs := rec.requests()
	if len(reqs) == 0 {
		t.Fatal("server received no request")
	}
	return reqs[len(reqs)-1]
}

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newFetcher returns a Fetcher without host spacing unless o sets one.
func newFetcher(t *testing.T, o Options) *Fetcher {
	t.Helper()
	if o.HostDelay == 0 {
		o.HostDelay = -1
	}
	f := New(o)
	t.Cleanup(func() { f.Close() })
	return f
}

// fetchErr fetches r and returns its *Error, failing the test when Fetch
// succeeds or returns another type.
func fetchErr(t *testing.T, f *Fetcher, r Request) *Error {
	t.Helper()
	res, err := f.Fetch(t.Context(), r)
	if err == nil {
		t.Fatalf("Fetch(%s) = status %d, want error", r.URL, res.Status)
	}
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("Fetch(%s) error %T %v, want *Error", r.URL, err, err)
	}
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), r.URL) {
		t.Errorf("error %q: want one line naming %s", err, r.URL)
	}
	return fe
}

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>`

func TestConditionalRequest(t *testing.T) {
	tests := []struct {
		name, etag, lastModified string
	}{
		{"none", "", ""},
		{"strong etag", `"5f3a-abc"`, ""},
		{"weak etag", `W/"5f3a"`, ""},
		{"unquoted etag kept as is", `abc123`, ""},
		{"last-modified", "", "Wed, 21 Oct 2015 07:28:00 GMT"},
		{"odd last-modified kept as is", "", "Wed, 21-Oct-15 07:28:00 GMT+08:00"},
		{"both", `"v1"`, "Sat, 01 Mar 2026 10:00:00 GMT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(rss))
			})
			f := newFetcher(t, Options{})
			if _, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/feed", ETag: tt.etag, LastModified: tt.lastModified}); err != nil {
				t.Fatal(err)
			}
			req := srv.last(t)
			if got := req.Header.Values("If-None-Match"); tt.etag == "" && len(got) != 0 || tt.etag != "" && (len(got) != 1 || got[0] != tt.etag) {
				t.Errorf("If-None-Match = %q, want %q", got, tt.etag)
			}
			if got := req.Header.Values("If-Modified-Since"); tt.lastModified == "" && len(got) != 0 || tt.lastModified != "" && (len(got) != 1 || got[0] != tt.lastModified) {
				t.Errorf("If-Modified-Since = %q, want %q", got, tt.lastModified)
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "x", Path: "/"})
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/feed", http.StatusFound)
			return
		}
		w.Write([]byte(rss))
	})
	f := newFetcher(t, Options{})
	for range 2 {
		if _, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/old?a=1&b"}); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.requests()
	if len(reqs) != 4 {
		t.Fatalf("server received %d requests, want 4", len(reqs))
	}
	for i, req := range reqs {
		if got := req.Header.Get("User-Agent"); got != DefaultUserAgent {
			t.Errorf("request %d: User-Agent = %q, want %q", i, got, DefaultUserAgent)
		}
		if got := req.Header.Get("Accept"); !strings.Contains(got, "application/rss+xml") || !strings.Contains(got, "application/atom+xml") {
			t.Errorf("request %d: Accept = %q, want feed types", i, got)
		}
		if got := req.Header.Get("Accept-Encoding"); got != "gzip, deflate" {
			t.Errorf("request %d: Accept-Encoding = %q, want gzip, deflate", i, got)
		}
		for _, h := range []string{"Cookie", "Referer"} {
			if got := req.Header.Get(h); got != "" {
				t.Errorf("request %d: %s = %q, want none", i, h, got)
			}
		}
	}
	if got := reqs[0].URL.RawQuery; got != "a=1&b" {
		t.Errorf("query = %q, want a=1&b unchanged", got)
	}
	if got := reqs[1].URL.RawQuery; got != "" {
		t.Errorf("query after redirect = %q, want none", got)
	}

	t.Run("custom user agent", func(t *testing.T) {
		f := newFetcher(t, Options{UserAgent: "test/2"})
		if _, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/feed"}); err != nil {
			t.Fatal(err)
		}
		if got := srv.last(t).Header.Get("User-Agent"); got != "test/2" {
			t.Errorf("User-Agent = %q, want test/2", got)
		}
	})
}

func TestFetchOK(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("ETag", `"e1"`)
		w.Header().Set("Last-Modified", "Sun, 01 Mar 2026 11:00:00 GMT")
		w.Write([]byte(rss))
	})
	f := newFetcher(t, Options{})
	res, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/feed"})
	if err != nil {
		t.Fatal(err)
	}
	want := Response{URL: srv.URL + "/feed", Status: 200, ContentType: "application/rss+xml; charset=utf-8",
		ETag: `"e1"`, LastModified: "Sun, 01 Mar 2026 11:00:00 GMT"}
	if res.URL != want.URL || res.Status != want.Status || res.ContentType != want.ContentType ||
		res.ETag != want.ETag || res.LastModified != want.LastModified || res.NotModified || res.Moved != "" {
		t.Errorf("Fetch = %+v, want %+v", res, want)
	}
	if string(res.Body) != rss {
		t.Errorf("Body = %q, want %q", res.Body, rss)
	}
	if len(res.BodyHash) != 64 {
		t.Errorf("BodyHash = %q, want 64 hex digits", res.BodyHash)
	}
}

func TestNotModified(t *testing.T) {
	tests := []struct {
		name                  string
		header                http.Header
		wantETag, wantLastMod string
	}{
		{"validators omitted", http.Header{}, `"v1"`, "Sun, 01 Mar 2026 10:00:00 GMT"},
		{"validators renewed", http.Header{"Etag": {`"v2"`}, "Last-Modified": {"Sun, 01 Mar 2026 11:00:00 GMT"}},
			`"v2"`, "Sun, 01 Mar 2026 11:00:00 GMT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("If-None-Match") != `"v1"` {
					t.Errorf("If-None-Match = %q, want %q", r.Header.Get("If-None-Match"), `"v1"`)
				}
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(http.StatusNotModified)
			})
			f := newFetcher(t, Options{})
			res, err := f.Fetch(t.Context(), Request{URL: srv.URL, ETag: `"v1"`,
				LastModified: "Sun, 01 Mar 2026 10:00:00 GMT", BodyHash: "abc"})
			if err != nil {
				t.Fatal(err)
			}
			if !res.NotModified || res.Status != 304 || res.Body != nil {
				t.Errorf("Fetch = status %d, NotModified %v, body %q; want 304, true, nil", res.Status, res.NotModified, res.Body)
			}
			if res.ETag != tt.wantETag || res.LastModified != tt.wantLastMod || res.BodyHash != "abc" {
				t.Errorf("validators = %q %q %q, want %q %q %q", res.ETag, res.LastModified, res.BodyHash,
					tt.wantETag, tt.wantLastMod, "abc")
			}
		})
	}
}

func TestBodyHashNotModified(t *testing.T) {
	body := rss
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(body))
	})
	f := newFetcher(t, Options{})
	first, err := f.Fetch(t.Context(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.Fetch(t.Context(), Request{URL: srv.URL, BodyHash: first.BodyHash})
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || second.Body != nil || second.BodyHash != first.BodyHash {
		t.Errorf("same body: NotModified %v, Body %q, BodyHash %q; want true, nil, %q",
			second.NotModified, second.Body, second.BodyHash, first.BodyHash)
	}
	body = rss + " "
	third, err := f.Fetch(t.Context(), Request{URL: srv.URL, BodyHash: first.BodyHash})
	if err != nil {
		t.Fatal(err)
	}
	if third.NotModified || string(third.Body) != body || third.BodyHash == first.BodyHash {
		t.Errorf("changed body: NotModified %v, Body %q; want false, %q and a new hash", third.NotModified, third.Body, body)
	}
}

func compress(t testing.TB, enc string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	case "raw deflate":
		w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
	default:
		return data
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestContentEncoding(t *testing.T) {
	body := []byte(strings.Repeat(rss, 100))
	tests := []struct{ name, header string }{
		{"identity", ""},
		{"gzip", "gzip"},
		{"deflate", "deflate"},
		{"raw deflate", "deflate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wire := compress(t, tt.name, body)
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Content-Encoding", tt.header)
				}
				w.Write(wire)
			})
			f := newFetcher(t, Options{})
			res, err := f.Fetch(t.Context(), Request{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.Body, body) {
				t.Errorf("Body = %.40q… (%d bytes), want %.40q… (%d bytes)", res.Body, len(res.Body), body, len(body))
			}
		})
	}

	t.Run("corrupt gzip", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte("this is not gzip"))
		})
		f := newFetcher(t, Options{})
		if e := fetchErr(t, f, Request{URL: srv.URL}); e.Kind != KindHTTP {
			t.Errorf("Kind = %v, want %v", e.Kind, KindHTTP)
		}
	})
}

// gzipBomb returns a gzip stream of size bytes of zeros: copies of one
// small member, which gzip readers read as one stream.
func gzipBomb(t testing.TB, size int64) []byte {
	t.Helper()
	const member = 16 << 20
	var one bytes.Buffer
	w, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	if _, err := w.Write(make([]byte, member)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return bytes.Repeat(one.Bytes(), int(size/member))
}

// allocated runs fn and returns the bytes it allocated on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestGzipBomb(t *testing.T) {
	bomb := gzipBomb(t, 1<<30)
	for _, enc := range []string{"gzip", "x-gzip"} {
		t.Run(enc, func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", enc)
				w.Write(bomb)
			})
			const max = 1 << 20
			f := newFetcher(t, Options{MaxBody: max})
			var e *Error
			alloc := allocated(func() { e = fetchErr(t, f, Request{URL: srv.URL}) })
			if e.Kind != KindTooLarge {
				t.Errorf("Kind = %v (%v), want %v", e.Kind, e, KindTooLarge)
			}
			// The bomb is 1 GiB decompressed; reading stops just past 1 MiB.
			if alloc > 32<<20 {
				t.Errorf("fetching a %d-byte gzip bomb allocated %d bytes, want under 32 MiB", len(bomb), alloc)
			}
		})
	}
}

func TestLargeBody(t *testing.T) {
	const size = 1 << 30
	for _, declared := range []bool{false, true} {
		t.Run(fmt.Sprintf("content-length %v", declared), func(t *testing.T) {
			var written atomic.Int64
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if declared {
					w.Header().Set("Content-Length", fmt.Sprint(size))
				}
				chunk := make([]byte, 32<<10)
				for written.Load() < size {
					n, err := w.Write(chunk)
					written.Add(int64(n))
					if err != nil {
						return
					}
				}
			})
			const max = 1 << 20
			f := newFetcher(t, Options{MaxBody: max})
			var e *Error
			alloc := allocated(func() { e = fetchErr(t, f, Request{URL: srv.URL}) })
			if e.Kind != KindTooLarge {
				t.Errorf("Kind = %v (%v), want %v", e.Kind, e, KindTooLarge)
			}
			if alloc > 32<<20 {
				t.Errorf("allocated %d bytes, want under 32 MiB", alloc)
			}
			srv.Close() // waits for the handler, which stops once the connection is gone
			if n := written.Load(); n >= size {
				t.Errorf("server wrote all %d bytes, want the client to hang up early", n)
			}
		})
	}
}

func TestStatusKinds(t *testing.T) {
	tests := []struct {
		status int
		want   Kind
	}{
		{http.StatusNotFound, KindNotFound},
		{http.StatusGone, KindGone},
		{http.StatusInternalServerError, KindHTTP},
		{http.StatusForbidden, KindHTTP},
		{http.StatusMultipleChoices, KindHTTP},
		{http.StatusTooManyRequests, KindThrottled},
		{http.StatusServiceUnavailable, KindThrottled},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
			})
			f := newFetcher(t, Options{})
			e := fetchErr(t, f, Request{URL: srv.URL + "/feed"})
			if e.Kind != tt.want || e.Status != tt.status || e.URL != srv.URL+"/feed" {
				t.Errorf("Error = {Kind %v, Status %d, URL %s}, want {%v, %d, %s}", e.Kind, e.Status, e.URL,
					tt.want, tt.status, srv.URL+"/feed")
			}
			if tt.want == KindThrottled && !e.RetryAfter.IsZero() {
				t.Errorf("RetryAfter = %v without a Retry-After header, want zero", e.RetryAfter)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	clk := newClock()
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       time.Duration
	}{
		{"429 seconds", http.StatusTooManyRequests, "120", 2 * time.Minute},
		{"429 date", http.StatusTooManyRequests, clk.Now().Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{"503 seconds", http.StatusServiceUnavailable, "30", 30 * time.Second},
		{"503 date", http.StatusServiceUnavailable, clk.Now().Add(10 * time.Minute).Format(http.TimeFormat), 10 * time.Minute},
		{"capped seconds", http.StatusTooManyRequests, "9999999", 6 * time.Hour},
		{"capped date", http.StatusTooManyRequests, clk.Now().Add(30 * 24 * time.Hour).Format(http.TimeFormat), 6 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			throttled := true
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if throttled {
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(tt.status)
					return
				}
				w.Write([]byte(rss))
			})
			f := newFetcher(t, Options{Now: clk.Now, MaxDelay: 6 * time.Hour})
			e := fetchErr(t, f, Request{URL: srv.URL + "/a"})
			want := clk.Now().Add(tt.want)
			if e.Kind != KindThrottled || e.Status != tt.status || !e.RetryAfter.Equal(want) {
				t.Errorf("first Fetch = {Kind %v, Status %d, RetryAfter %v}, want {%v, %d, %v}",
					e.Kind, e.Status, e.RetryAfter, KindThrottled, tt.status, want)
			}
			if got := f.ThrottledUntil(srv.URL + "/b"); !got.Equal(want) {
				t.Errorf("ThrottledUntil = %v, want %v", got, want)
			}

			// Another feed of the same host is not requested at all.
			throttled = false
			clk.Add(tt.want - time.Second)
			e = fetchErr(t, f, Request{URL: srv.URL + "/b"})
			if e.Kind != KindThrottled || !e.RetryAfter.Equal(want) {
				t.Errorf("second Fetch = {Kind %v, RetryAfter %v}, want {%v, %v}", e.Kind, e.RetryAfter, KindThrottled, want)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("server received %d requests, want 1", n)
			}

			// Once the time has come, requests go out again.
			clk.Add(time.Second)
			if _, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/b"}); err != nil {
				t.Fatalf("Fetch after Retry-After: %v", err)
			}
			if n := len(srv.requests()); n != 2 {
				t.Errorf("server received %d requests, want 2", n)
			}
		})
	}
}

// redirector serves /hopN as a redirect to the next entry of hops, with
// the code given there, and /final as a feed.
func redirector(t *testing.T, codes ...int) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/hop%d", &i); err == nil && i < len(codes) {
			next := fmt.Sprintf("/hop%d", i+1)
			if i+1 == len(codes) {
				next = "/final"
			}
			http.Redirect(w, r, next, codes[i])
			return
		}
		w.Write([]byte(rss))
	})
}

func TestRedirects(t *testing.T) {
	tests := []struct {
		name      string
		codes     []int
		wantMoved bool
	}{
		{"301", []int{301}, true},
		{"308", []int{308}, true},
		{"301 chain", []int{301, 308, 301}, true},
		{"302", []int{302}, false},
		{"307", []int{307}, false},
		{"303", []int{303}, false},
		{"301 then 302", []int{301, 302}, false},
		{"302 then 301", []int{302, 301}, false},
		{"five hops", []int{301, 301, 301, 301, 301}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redirector(t, tt.codes...)
			f := newFetcher(t, Options{})
			res, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/hop0"})
			if err != nil {
				t.Fatal(err)
			}
			final := srv.URL + "/final"
			wantMoved := ""
			if tt.wantMoved {
				wantMoved = final
			}
			if res.URL != final || res.Moved != wantMoved || string(res.Body) != rss {
				t.Errorf("Fetch = {URL %s, Moved %q}, want {%s, %q}", res.URL, res.Moved, final, wantMoved)
			}
			if n := len(srv.requests()); n != len(tt.codes)+1 {
				t.Errorf("server received %d requests, want %d", n, len(tt.codes)+1)
			}
		})
	}

	t.Run("six hops", func(t *testing.T) {
		srv := redirector(t, 301, 301, 301, 301, 301, 301)
		f := newFetcher(t, Options{})
		e := fetchErr(t, f, Request{URL: srv.URL + "/hop0"})
		if e.Kind != KindRedirect || !strings.Contains(e.Error(), "more than 5 redirects") {
			t.Errorf("Error = %v (%v), want %v: more than 5 redirects", e.Kind, e, KindRedirect)
		}
		if n := len(srv.requests()); n != 6 {
			t.Errorf("server received %d requests, want 6", n)
		}
	})

	t.Run("loop", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			next := map[string]string{"/a": "/b", "/b": "/c", "/c": "/a"}[r.URL.Path]
			http.Redirect(w, r, next, http.StatusMovedPermanently)
		})
		f := newFetcher(t, Options{})
		e := fetchErr(t, f, Request{URL: srv.URL + "/a"})
		if e.Kind != KindRedirect || !strings.Contains(e.Error(), "loop") {
			t.Errorf("Error = %v (%v), want %v: loop", e.Kind, e, KindRedirect)
		}
		if n := len(srv.requests()); n != 3 {
			t.Errorf("server received %d requests, want 3", n)
		}
	})

	t.Run("without location", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusMovedPermanently)
		})
		f := newFetcher(t, Options{})
		if e := fetchErr(t, f, Request{URL: srv.URL}); e.Kind != KindRedirect {
			t.Errorf("Kind = %v, want %v", e.Kind, KindRedirect)
		}
	})

	t.Run("to another scheme", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "file:///etc/passwd")
			w.WriteHeader(http.StatusFound)
		})
		f := newFetcher(t, Options{})
		if e := fetchErr(t, f, Request{URL: srv.URL}); e.Kind != KindRedirect {
			t.Errorf("Kind = %v, want %v", e.Kind, KindRedirect)
		}
	})

	t.Run("to a gone feed", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/old" {
				http.Redirect(w, r, "/new", http.StatusMovedPermanently)
				return
			}
			w.WriteHeader(http.StatusGone)
		})
		f := newFetcher(t, Options{})
		e := fetchErr(t, f, Request{URL: srv.URL + "/old"})
		if e.Kind != KindGone || e.URL != srv.URL+"/old" || !strings.Contains(e.Error(), srv.URL+"/new") {
			t.Errorf("Error = %v (%v), want %v naming both URLs", e.Kind, e, KindGone)
		}
	})
}

func TestBadURL(t *testing.T) {
	f := newFetcher(t, Options{})
	for _, u := range []string{"ftp://example.org/feed", "example.org/feed", "http:///feed", "http://[::1"} {
		if e := fetchErr(t, f, Request{URL: u}); e.Kind != KindURL {
			t.Errorf("Fetch(%q): Kind = %v, want %v", u, e.Kind, KindURL)
		}
	}
}

// gate is a handler that blocks every request until released and records
// how many run at once.
type gate struct {
	mu        sync.Mutex
	cur, peak int
	release   chan struct{}
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.cur++
	g.peak = max(g.peak, g.cur)
	g.mu.Unlock()
	<-g.release
	g.mu.Lock()
	g.cur--
	g.mu.Unlock()
	w.Write([]byte(rss))
}

func (g *gate) counts() (cur, peak int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cur, g.peak
}

// waitFor polls until the gate holds want requests, failing after 10s.
func (g *gate) waitFor(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if cur, _ := g.counts(); cur >= want {
			return
		}
		if time.Now().After(deadline) {
			cur, _ := g.counts()
			t.Fatalf("%d requests in flight after 10s, want %d", cur, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// fetchAll starts fetching urls at once and returns a function that waits
// for all of them.
func fetchAll(t *testing.T, f *Fetcher, urls []string) (wait func()) {
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Go(func() {
			if _, err := f.Fetch(context.Background(), Request{URL: u}); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(wg.Wait)
	return wg.Wait
}

func TestPerHostConcurrency(t *testing.T) {
	g := newGate()
	srv := newRecorder(t, g.ServeHTTP)
	f := newFetcher(t, Options{PerHost: 2, Concurrency: 16})
	urls := make([]string, 10)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/feed%d", srv.URL, i)
	}
	wait := fetchAll(t, f, urls)
	g.waitFor(t, 2)
	time.Sleep(50 * time.Millisecond) // room for a third request to show up
	close(g.release)
	wait()
	if _, peak := g.counts(); peak != 2 {
		t.Errorf("peak concurrent requests to one host = %d, want 2", peak)
	}
	if n := len(srv.requests()); n != len(urls) {
		t.Errorf("server received %d requests, want %d", n, len(urls))
	}
}

// routeAll returns a client that connects to addr whatever the host name,
// so one server can stand for many hosts.
func routeAll(addr string) *http.Client {
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestGlobalConcurrency(t *testing.T) {
	g := newGate()
	srv := newRecorder(t, g.ServeHTTP)
	f := newFetcher(t, Options{PerHost: 2, Concurrency: 3, Client: routeAll(srv.Listener.Addr().String())})
	var urls []string
	for i := range 8 {
		urls = append(urls, fmt.Sprintf("http://host%d.test/feed", i))
	}
	wait := fetchAll(t, f, urls)
	g.waitFor(t, 3)
	time.Sleep(50 * time.Millisecond) // room for a fourth request to show up
	close(g.release)
	wait()
	if _, peak := g.counts(); peak != 3 {
		t.Errorf("peak concurrent requests = %d, want 3", peak)
	}
	if n := len(srv.requests()); n != len(urls) {
		t.Errorf("server received %d requests, want %d", n, len(urls))
	}
}

func TestCanceledWhileWaiting(t *testing.T) {
	g := newGate()
	srv := newRecorder(t, g.ServeHTTP)
	defer close(g.release)
	f := newFetcher(t, Options{PerHost: 1})
	fetchAll(t, f, []string{srv.URL + "/first"})
	g.waitFor(t, 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.Fetch(ctx, Request{URL: srv.URL + "/second"})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch with canceled ctx = %v, want %v wrapping context.Canceled", err, KindCanceled)
	}
}

func TestTimeout(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	f := newFetcher(t, Options{Timeout: 50 * time.Millisecond})
	if e := fetchErr(t, f, Request{URL: srv.URL}); e.Kind != KindTimeout {
		t.Errorf("Kind = %v (%v), want %v", e.Kind, e, KindTimeout)
	}

	t.Run("body", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<rss>"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		})
		if e := fetchErr(t, f, Request{URL: srv.URL}); e.Kind != KindTimeout {
			t.Errorf("Kind = %v (%v), want %v", e.Kind, e, KindTimeout)
		}
	})
}

func TestNetworkErrors(t *testing.T) {
	t.Run("dns", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return nil, &net.DNSError{Err: "no such host", Name: "nowhere.test", IsNotFound: true}
			},
		}}
		f := newFetcher(t, Options{Client: c})
		if e := fetchErr(t, f, Request{URL: "http://nowhere.test/feed"}); e.Kind != KindDNS {
			t.Errorf("Kind = %v (%v), want %v", e.Kind, e, KindDNS)
		}
	})
	t.Run("refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		f := newFetcher(t, Options{})
		if e := fetchErr(t, f, Request{URL: srv.URL}); e.Kind != KindNetwork {
			t.Errorf("Kind = %v (%v), want %v", e.Kind, e, KindNetwork)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte("<rss>"))
		})
		f := newFetcher(t, Options{})
		if e := fetchErr(t, f, Request{URL: srv.URL}); e.Kind != KindNetwork {
			t.Errorf("Kind = %v (%v), want %v", e.Kind, e, KindNetwork)
		}
	})
}

func TestDenyPrivate(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(rss))
	})
	f := newFetcher(t, Options{DenyPrivate: true})
	e := fetchErr(t, f, Request{URL: srv.URL})
	if e.Kind != KindPrivate {
		t.Errorf("Kind = %v (%v), want %v", e.Kind, e, KindPrivate)
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("server received %d requests, want 0", n)
	}

	f = newFetcher(t, Options{})
	if _, err := f.Fetch(t.Context(), Request{URL: srv.URL}); err != nil {
		t.Errorf("Fetch without DenyPrivate: %v", err)
	}
}

func TestIsPrivate(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "100.64.0.1": true, "0.0.0.0": true, "::1": true, "fe80::1": true,
		"fc00::1": true, "::ffff:127.0.0.1": true, "::": true, "224.0.0.1": true,
		"8.8.8.8": false, "203.0.113.7": true, "2001:4860:4860::8888": false, "100.128.0.1": false,
	} {
		if err := denyPrivate("tcp", net.JoinHostPort(addr, "80"), nil); (err != nil) != want {
			t.Errorf("denyPrivate(%s) = %v, want refused %v", addr, err, want)
		}
	}
}

// TestReleaseReusesBody checks that a released body's memory is read into
// again without spoiling the next body, large or small, and that Release
// leaves no Body behind.
func TestReleaseReusesBody(t *testing.T) {
	bodies := []string{strings.Repeat("a", 64<<10), "short", strings.Repeat("b", maxPooledBody+1), strings.Repeat("c", 1000)}
	n := 0
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(bodies[n]))
		n++
	})
	f := newFetcher(t, Options{})
	for i, want := range bodies {
		res, err := f.Fetch(t.Context(), Request{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Body) != want {
			t.Fatalf("body %d: %d bytes starting %q, want %d bytes starting %q", i, len(res.Body), res.Body[:min(len(res.Body), 8)], len(want), want[:min(len(want), 8)])
		}
		res.Release()
		if res.Body != nil {
			t.Fatalf("body %d: Body is %d bytes after Release, want nil", i, len(res.Body))
		}
		res.Release() // a second call does nothing
	}
}
