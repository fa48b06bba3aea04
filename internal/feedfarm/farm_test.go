package feedfarm

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
)

func get(t *testing.T, c *http.Client, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestFarm parses every serving feed with feeds.Parse and checks that it
// yields exactly the GUIDs Expected names, that conditional requests get
// 304, and that faulty feeds misbehave as described.
func TestFarm(t *testing.T) {
	fm, err := Start(Options{Feeds: 60, Items: 10, Seed: 1, FaultEvery: 5, SlowDelay: 10 * time.Millisecond, MaxAge: 60, MaxAgeEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	want := fm.Expected()
	formats := map[Format]int{}
	var gbk, faults int
	for _, f := range fm.Feeds() {
		resp, body := get(t, c, f.URL, map[string]string{"Accept-Encoding": "gzip"})
		if !f.Fault.Serves() {
			faults++
			if resp.StatusCode == http.StatusOK && f.Fault != Truncated {
				t.Errorf("feed %d (%s): status %d", f.Index, f.Fault, resp.StatusCode)
			}
			if f.Fault == Truncated {
				if _, err := feeds.Parse(body, resp.Header.Get("Content-Type"), f.URL, time.Now()); err == nil {
					t.Errorf("feed %d: truncated body parsed", f.Index)
				}
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("feed %d (%s): status %d", f.Index, f.Fault, resp.StatusCode)
		}
		formats[f.Format]++
		if f.GBK {
			gbk++
		}
		parsed, err := feeds.Parse(body, resp.Header.Get("Content-Type"), f.URL, time.Now())
		if err != nil {
			t.Fatalf("feed %d (%s): %v", f.Index, f.Format, err)
		}
		var got []string
		for _, it := range parsed.Items {
			got = append(got, it.GUID)
		}
		if !slices.Equal(got, want[f.URL]) {
			t.Errorf("feed %d (%s) GUIDs:\ngot  %q\nwant %q", f.Index, f.Format, got, want[f.URL])
		}
		if f.GBK && !containsHan(parsed.Items[0].Title) {
			t.Errorf("feed %d: GBK title %q has no Chinese", f.Index, parsed.Items[0].Title)
		}
		if f.Validators {
			h := map[string]string{}
			if e := resp.Header.Get("ETag"); e != "" {
				h["If-None-Match"] = e
			}
			if lm := resp.Header.Get("Last-Modified"); lm != "" {
				h["If-Modified-Since"] = lm
			}
			if r2, _ := get(t, c, resp.Request.URL.String(), h); r2.StatusCode != http.StatusNotModified {
				t.Errorf("feed %d: conditional request got %d, want 304", f.Index, r2.StatusCode)
			}
		}
		if (resp.Header.Get("Cache-Control") != "") != (f.MaxAge > 0) {
			t.Errorf("feed %d: Cache-Control %q, max-age %d", f.Index, resp.Header.Get("Cache-Control"), f.MaxAge)
		}
	}
	if len(formats) != 4 || gbk == 0 || faults == 0 {
		t.Errorf("formats %v, %d GBK feeds, %d faulty: want every kind", formats, gbk, faults)
	}
	st := fm.Stats()
	if st.NotModified == 0 || st.Unconditional != 0 {
		t.Errorf("stats %+v: want 304s and no unconditional refetches", st)
	}
	fm.ResetStats()

	// Publish changes a share of feeds; their old validators no longer match.
	before := fm.Expected()
	if n := fm.Publish(3); n == 0 {
		t.Fatal("Publish changed no feed")
	}
	changed := 0
	for u, g := range fm.Expected() {
		if len(g) != 10 {
			t.Errorf("%s serves %d items after Publish, want 10", u, len(g))
		}
		if g[0] != before[u][0] {
			changed++
			if g[3] != before[u][0] {
				t.Errorf("%s: newest old item at %d, want 3", u, slices.Index(g, before[u][0]))
			}
		}
	}
	if changed == 0 {
		t.Error("no feed has new items")
	}
	if st := fm.Stats(); st.Requests != 0 {
		t.Errorf("after ResetStats: %d requests", st.Requests)
	}
}

// TestDeterministic checks that equal seeds give equal feeds.
func TestDeterministic(t *testing.T) {
	epoch := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var bodies [2][][]byte
	for k := range bodies {
		fm, err := Start(Options{Feeds: 12, Items: 5, Seed: 7, Epoch: epoch, Hosts: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fm.feeds {
			bodies[k] = append(bodies[k], bytes.ReplaceAll(f.rend.Load().body, []byte(f.url), nil))
		}
		fm.Close()
	}
	for i := range bodies[0] {
		if string(bodies[0][i]) != string(bodies[1][i]) {
			t.Fatalf("feed %d differs between two farms with one seed", i)
		}
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestRegional checks that a regional farm's stories share their words:
// over the same number of English stories, their titles use far fewer
// distinct words than those of a farm that invents its words, while every
// story is still its own (distinct GUIDs, as Expected lists them).
func TestRegional(t *testing.T) {
	vocabulary := func(regional bool) (words, items int) {
		fm, err := Start(Options{Feeds: 40, Items: 10, Seed: 3, Hosts: 1, GBKEvery: -1, Regional: regional})
		if err != nil {
			t.Fatal(err)
		}
		defer fm.Close()
		seen := map[string]bool{}
		for _, f := range fm.Feeds() {
			_, body := get(t, http.DefaultClient, f.URL, nil)
			parsed, err := feeds.Parse(body, "", f.URL, time.Now())
			if err != nil {
				t.Fatalf("feed %d: %v", f.Index, err)
			}
			if len(parsed.Items) != len(fm.Expected()[f.URL]) {
				t.Fatalf("feed %d: %d items, want %d", f.Index, len(parsed.Items), len(fm.Expected()[f.URL]))
			}
			for _, it := range parsed.Items {
				items++
				for _, w := range strings.Fields(strings.ToLower(it.Title)) {
					seen[strings.Trim(w, ":|-,")] = true
				}
			}
		}
		return len(seen), items
	}
	fresh, n := vocabulary(false)
	shared, m := vocabulary(true)
	if n != m || n == 0 {
		t.Fatalf("%d and %d items", n, m)
	}
	if shared*2 > fresh {
		t.Errorf("regional titles use %d distinct words, invented ones %d: want at most half", shared, fresh)
	}
}

// TestPublishAt checks that PublishAt dates the new items between the
// times it is given and the changed feeds' Last-Modified at the end of
// them, as a farm on a simulated clock needs.
func TestPublishAt(t *testing.T) {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fm, err := Start(Options{Feeds: 8, Items: 5, Seed: 1, Epoch: epoch, Changing: 1, GBKEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	from, to := epoch.Add(30*24*time.Hour), epoch.Add(30*24*time.Hour+6*time.Hour)
	if n := fm.PublishAt(2, from, to); n != 8 {
		t.Fatalf("PublishAt changed %d feeds, want all 8", n)
	}
	c := &http.Client{}
	for _, f := range fm.Feeds() {
		resp, body := get(t, c, f.URL, nil)
		parsed, err := feeds.Parse(body, resp.Header.Get("Content-Type"), f.URL, to)
		if err != nil {
			t.Fatalf("feed %d: %v", f.Index, err)
		}
		for i, it := range parsed.Items[:2] {
			if it.Published.Before(from) || it.Published.After(to) {
				t.Errorf("feed %d: new item %d published %v, want between %v and %v", f.Index, i, it.Published, from, to)
			}
		}
		if it := parsed.Items[2]; !it.Published.Before(epoch) {
			t.Errorf("feed %d: old item published %v, want before the epoch", f.Index, it.Published)
		}
		if lm := resp.Header.Get("Last-Modified"); lm != "" && lm != to.Format(http.TimeFormat) {
			t.Errorf("feed %d: Last-Modified %s, want %s", f.Index, lm, to.Format(http.TimeFormat))
		}
	}
}
