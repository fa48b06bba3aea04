package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStore is a revision and story source whose calls are counted.
type fakeStore struct {
	rev         atomic.Int64
	storyCalls  atomic.Int64
	failStories atomic.Bool
	failRev     atomic.Bool
}

func (s *fakeStore) Revision(context.Context) (int64, error) {
	if s.failRev.Load() {
		return 0, errors.New("database is locked")
	}
	return s.rev.Load(), nil
}

func (s *fakeStore) Stories(context.Context) ([]Story, error) {
	s.storyCalls.Add(1)
	if s.failStories.Load() {
		return nil, errors.New("disk I/O error")
	}
	st := testStories()[:1]
	st[0].Title += " rev " + string(rune('0'+s.rev.Load()%10))
	return st, nil
}

func newTestServer(t *testing.T) (*fakeStore, *httptest.Server, *bytes.Buffer) {
	t.Helper()
	store := &fakeStore{}
	store.rev.Store(1)
	var logs bytes.Buffer
	h := &Handler{
		Meta:     testMeta,
		Revision: store.Revision,
		Stories:  store.Stories,
		Logger:   slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)),
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return store, srv, &logs
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// get sends a request with the given headers, without transparent gzip.
func get(t *testing.T, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestHandlerConditional(t *testing.T) {
	store, srv, _ := newTestServer(t)

	resp, body := get(t, "GET", srv.URL, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if !strings.HasPrefix(etag, `"`) || lm != "Mon, 02 Mar 2026 09:00:00 GMT" {
		t.Errorf("ETag %q Last-Modified %q; want a strong ETag and the feed's updated time", etag, lm)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary = %q, want Accept-Encoding", resp.Header.Get("Vary"))
	}
	checkAtom(t, body)

	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"matching etag", map[string]string{"If-None-Match": etag}, http.StatusNotModified},
		{"etag in a list", map[string]string{"If-None-Match": `"other", ` + etag}, http.StatusNotModified},
		{"weak form of etag", map[string]string{"If-None-Match": "W/" + etag}, http.StatusNotModified},
		{"star", map[string]string{"If-None-Match": "*"}, http.StatusNotModified},
		{"other etag", map[string]string{"If-None-Match": `"nope"`}, http.StatusOK},
		{"other etag beats if-modified-since", map[string]string{"If-None-Match": `"nope"`, "If-Modified-Since": lm}, http.StatusOK},
		{"if-modified-since equal", map[string]string{"If-Modified-Since": lm}, http.StatusNotModified},
		{"if-modified-since later", map[string]string{"If-Modified-Since": "Tue, 03 Mar 2026 00:00:00 GMT"}, http.StatusNotModified},
		{"if-modified-since earlier", map[string]string{"If-Modified-Since": "Sun, 01 Mar 2026 00:00:00 GMT"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, "GET", srv.URL, tt.header)
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusNotModified && len(body) != 0 {
				t.Errorf("304 with a %d-byte body", len(body))
			}
		})
	}
	if n := store.storyCalls.Load(); n != 1 {
		t.Errorf("Stories called %d times for one revision, want 1", n)
	}

	store.rev.Store(2)
	resp, body = get(t, "GET", srv.URL, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after a new revision: status %d, want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("ETag"); got == etag || got == "" {
		t.Errorf("new revision kept ETag %q", got)
	}
	if !bytes.Contains(body, []byte("rev 2")) {
		t.Errorf("body not re-rendered for revision 2")
	}
	if n := store.storyCalls.Load(); n != 2 {
		t.Errorf("Stories called %d times for two revisions, want 2", n)
	}
}

func TestHandlerGzip(t *testing.T) {
	store, srv, _ := newTestServer(t)
	_, plain := get(t, "GET", srv.URL, nil)

	tests := []struct {
		accept string
		gzip   bool
	}{
		{"gzip", true},
		{"br, gzip;q=0.8", true},
		{"*", true},
		{"gzip;q=0", false},
		{"*;q=0.5, gzip;q=0", false},
		{"identity", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			resp, body := get(t, "GET", srv.URL, map[string]string{"Accept-Encoding": tt.accept})
			gz := resp.Header.Get("Content-Encoding") == "gzip"
			if gz != tt.gzip {
				t.Fatalf("Content-Encoding %q, want gzip %v", resp.Header.Get("Content-Encoding"), tt.gzip)
			}
			if gz {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, plain) {
				t.Errorf("decoded body differs from the identity body")
			}
		})
	}
	resp, _ := get(t, "GET", srv.URL, map[string]string{"Accept-Encoding": "gzip"})
	gzTag := resp.Header.Get("ETag")
	resp, _ = get(t, "GET", srv.URL, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzTag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("gzip ETag revalidation: status %d, want 304", resp.StatusCode)
	}
	if n := store.storyCalls.Load(); n != 1 {
		t.Errorf("Stories called %d times, want 1", n)
	}
}

func TestHandlerMethodsAndHead(t *testing.T) {
	_, srv, _ := newTestServer(t)
	resp, body := get(t, "HEAD", srv.URL, nil)
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("ETag") == "" {
		t.Errorf("HEAD: status %d, %d body bytes, ETag %q", resp.StatusCode, len(body), resp.Header.Get("ETag"))
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		resp, _ := get(t, m, srv.URL, nil)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d Allow %q, want 405 with GET, HEAD", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

func TestHandlerStorageError(t *testing.T) {
	store, srv, logs := newTestServer(t)
	for _, fail := range []*atomic.Bool{&store.failStories, &store.failRev} {
		fail.Store(true)
		resp, body := get(t, "GET", srv.URL, nil)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("status %d, want 500", resp.StatusCode)
		}
		if msg := strings.TrimSuffix(string(body), "\n"); msg == "" || strings.Contains(msg, "\n") {
			t.Errorf("500 body %q, want one line", body)
		}
		fail.Store(false)
	}
	for _, want := range []string{"disk I/O error", "database is locked"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
	if resp, _ := get(t, "GET", srv.URL, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after recovery: status %d, want 200", resp.StatusCode)
	}
}

// TestHandlerServesLastFeedOnStorageError checks that once a feed has
// been built, a store that can no longer be read still gets readers the
// last one, not an error.
func TestHandlerServesLastFeedOnStorageError(t *testing.T) {
	store, srv, logs := newTestServer(t)
	resp, good := get(t, "GET", srv.URL, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	etag := resp.Header.Get("ETag")
	store.rev.Add(1) // the stories changed, and then cannot be read
	for _, fail := range []*atomic.Bool{&store.failStories, &store.failRev} {
		fail.Store(true)
		resp, body := get(t, "GET", srv.URL, nil)
		if resp.StatusCode != http.StatusOK || string(body) != string(good) || resp.Header.Get("ETag") != etag {
			t.Errorf("store failing: status %d, ETag %q, same body %v; want 200 with the last feed", resp.StatusCode, resp.Header.Get("ETag"), string(body) == string(good))
		}
		fail.Store(false)
	}
	if !strings.Contains(logs.String(), "serving the last feed built") {
		t.Errorf("log %q does not say the last feed was served", logs.String())
	}
}

func TestHandlerConcurrent(t *testing.T) {
	store, srv, _ := newTestServer(t)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			if i%8 == 0 {
				store.rev.Add(1)
			}
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if n, revs := store.storyCalls.Load(), store.rev.Load(); n > revs {
		t.Errorf("Stories called %d times for at most %d revisions", n, revs)
	}
}

func TestMetaChangesETag(t *testing.T) {
	a, err := render(testMeta, 7, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := testMeta
	m.Title = "Renamed"
	b, err := render(m, 7, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.etag == b.etag {
		t.Errorf("ETag %s unchanged after the feed title changed", a.etag)
	}
	if !a.modified.Equal(EmptyFeedUpdated) {
		t.Errorf("empty feed modified %v, want EmptyFeedUpdated %v", a.modified, EmptyFeedUpdated)
	}
	again, err := render(testMeta, 7, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.etag != a.etag || !bytes.Equal(again.body, a.body) {
		t.Errorf("empty feed rendered twice: ETag %s then %s, or a different body", a.etag, again.etag)
	}
	m = testMeta
	m.Fallback = time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC)
	c, err := render(m, 7, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.modified.Equal(m.Fallback) || c.etag == a.etag {
		t.Errorf("empty feed with Fallback %v: modified %v, ETag %s (without: %s); want the fallback and a new ETag", m.Fallback, c.modified, c.etag, a.etag)
	}
}

// TestHandlerFallback checks that Fallback dates an empty feed and is
// not asked while there are stories.
func TestHandlerFallback(t *testing.T) {
	last := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	calls := 0
	for _, tc := range []struct {
		stories   []Story
		wantCalls int
		want      string
	}{
		{nil, 1, "<updated>2026-11-30T08:00:00Z</updated>"},
		{[]Story{{ID: "urn:uuid:1", Title: "One", URL: "https://a.test/1", Published: last.Add(time.Hour)}}, 0, "<updated>2026-11-30T09:00:00Z</updated>"},
	} {
		calls = 0
		h := &Handler{
			Meta:     testMeta,
			Revision: func(context.Context) (int64, error) { return 1, nil },
			Stories:  func(context.Context) ([]Story, error) { return tc.stories, nil },
			Fallback: func(context.Context) time.Time { calls++; return last },
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/feed.atom", nil))
		if calls != tc.wantCalls || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%d stories: Fallback called %d times (want %d), feed has %s: %v", len(tc.stories), calls, tc.wantCalls, tc.want, strings.Contains(rec.Body.String(), tc.want))
		}
	}
}
