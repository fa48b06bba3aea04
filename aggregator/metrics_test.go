package aggregator_test

import (
	"bufio"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/internal/feedfarm"
)

// scrape returns the samples of svc's /metrics, keyed by name and labels
// as written ("feedmerge_fetches_total{result=\"200\"}").
func scrape(t *testing.T, svc *aggregator.Service) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetricsAgreeWithTheFarm polls a farm twice and checks that the
// counters say what the farm saw: one 200 per feed, then one 304 per
// feed, every item stored once, and the merged feed's requests by status.
func TestMetricsAgreeWithTheFarm(t *testing.T) {
	const n = 40
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: n, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	svc, db := farmService(t, fm, "@every 1h")

	results := svc.PollAll(t.Context(), false)
	newItems := 0
	for _, r := range results {
		newItems += r.New
	}
	st := fm.Stats()
	m := scrape(t, svc)
	total := 0
	for _, e := range fm.Expected() {
		total += len(e)
	}
	for name, want := range map[string]float64{
		`feedmerge_fetches_total{result="200"}`:   float64(st.OK),
		`feedmerge_fetches_total{result="304"}`:   0,
		`feedmerge_fetches_total{result="error"}`: 0,
		`feedmerge_items_stored_total`:            float64(total),
		`feedmerge_feeds{state="ok"}`:             n,
		`feedmerge_feeds{state="error"}`:          0,
		`feedmerge_fetch_duration_seconds_count`:  float64(st.Requests),
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("after the first poll: %s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if int(m[`feedmerge_items_stored_total`]) != newItems {
		t.Errorf("items_stored_total %v, but polls reported %d new items", m[`feedmerge_items_stored_total`], newItems)
	}
	stats, err := db.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if m["feedmerge_stories"] != float64(stats.Stories) || m["feedmerge_items"] != float64(stats.Items) {
		t.Errorf("stories, items = %v, %v; store has %d, %d", m["feedmerge_stories"], m["feedmerge_items"], stats.Stories, stats.Items)
	}
	joined := m[`feedmerge_story_joins_total{by="url"}`] + m[`feedmerge_story_joins_total{by="near"}`]
	if want := float64(stats.Items - stats.Stories); joined != want {
		t.Errorf("story joins %v, want items minus stories = %v", joined, want)
	}
	if m["feedmerge_poll_last_success_timestamp_seconds"] == 0 || m["feedmerge_database_bytes"] == 0 {
		t.Errorf("last success %v, database bytes %v: want both set", m["feedmerge_poll_last_success_timestamp_seconds"], m["feedmerge_database_bytes"])
	}

	fm.ResetStats()
	svc.PollAll(t.Context(), true)
	st = fm.Stats()
	m = scrape(t, svc)
	if got := m[`feedmerge_fetches_total{result="304"}`]; got != float64(st.NotModified) || st.NotModified == 0 {
		t.Errorf("after the second poll: 304s = %v, the farm sent %d", got, st.NotModified)
	}

	// The merged feed's requests, by status.
	for _, inm := range []string{"", "", "x"} {
		req := httptest.NewRequest("GET", "/feed.atom", nil)
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, req)
		if inm != "" {
			req := httptest.NewRequest("GET", "/feed.atom", nil)
			req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
			svc.Handler().ServeHTTP(httptest.NewRecorder(), req)
		}
	}
	m = scrape(t, svc)
	if got200, got304 := m[`feedmerge_feed_requests_total{status="200"}`], m[`feedmerge_feed_requests_total{status="304"}`]; got200 != 3 || got304 != 1 {
		t.Errorf("feed requests: %v 200s and %v 304s, want 3 and 1", got200, got304)
	}
	if _, ok := m["go_goroutines"]; !ok {
		t.Error("no Go collector metrics")
	}
	if _, ok := m["process_resident_memory_bytes"]; !ok {
		t.Error("no process collector metrics")
	}
}

// TestDeployFilesNameRealMetrics checks that the Grafana dashboard and
// the alert rules in deploy/ use only metrics the service exports.
func TestDeployFilesNameRealMetrics(t *testing.T) {
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	svc, _ := farmService(t, fm, "@every 1h")
	svc.PollAll(t.Context(), false)
	names := map[string]bool{}
	for k := range scrape(t, svc) {
		name, _, _ := strings.Cut(k, "{")
		names[name] = true
	}
	re := regexp.MustCompile(`\b(feedmerge_[a-z_]+|process_[a-z_]+|go_[a-z_]+)\b`)
	for _, file := range []string{"../deploy/grafana-dashboard.json", "../deploy/alerts.yaml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		used := re.FindAllString(string(b), -1)
		if len(used) == 0 {
			t.Errorf("%s names no metric", file)
		}
		for _, n := range used {
			if !names[n] {
				t.Errorf("%s uses %s, which /metrics does not export", file, n)
			}
		}
	}
}
