package aggregator

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/feedmerge/feedmerge/storage"
)

// metrics are the service's Prometheus metrics, on a registry of its
// own (no global state), served at /metrics.
type metrics struct {
	reg           *prometheus.Registry
	fetches       *prometheus.CounterVec // by result: 200, 304, error, throttled, skipped
	fetchDuration prometheus.Histogram   // seconds per fetch that sent a request
	itemsStored   prometheus.Counter     // items stored for the first time
	joins         *prometheus.CounterVec // items that joined an existing story, by guid, url, near
	lastSuccess   prometheus.Gauge       // unix time of the last successful poll
	feedRequests  *prometheus.CounterVec // requests for the merged feed, by status code
	storeErrors   prometheus.Counter     // writes that failed
	handler       http.Handler
}

// Fetch results, the label values of feedmerge_fetches_total.
const (
	resultOK        = "200"
	resultNotMod    = "304"
	resultError     = "error"
	resultThrottled = "throttled"
	resultSkipped   = "skipped"
)

func newMetrics(s *Service) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.fetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedmerge_fetches_total",
		Help: "Polls of feeds by result: 200 (fetched and parsed), 304 (not modified), error, throttled (429/503), skipped (the server asked us to wait, or the feed is gone).",
	}, []string{"result"})
	for _, r := range []string{resultOK, resultNotMod, resultError, resultThrottled, resultSkipped} {
		m.fetches.WithLabelValues(r)
	}
	m.fetchDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "feedmerge_fetch_duration_seconds",
		Help:    "Time of each fetch that sent a request, from the request to the last byte of the body.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	})
	m.itemsStored = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "feedmerge_items_stored_total",
		Help: "Items stored for the first time.",
	})
	m.joins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedmerge_story_joins_total",
		Help: "Items that joined an existing story, by how: guid (the same item with new content), url (same canonical URL), near (a near-duplicate copy).",
	}, []string{"by"})
	for _, by := range []string{"guid", "url", "near"} {
		m.joins.WithLabelValues(by)
	}
	m.lastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "feedmerge_poll_last_success_timestamp_seconds",
		Help: "Unix time of the last poll that fetched and stored a feed (200 or 304).",
	})
	m.feedRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedmerge_feed_requests_total",
		Help: "Requests for the merged feed, by HTTP status of the response.",
	}, []string{"status"})
	for _, code := range []string{"200", "304"} {
		m.feedRequests.WithLabelValues(code)
	}
	m.storeErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "feedmerge_store_errors_total",
		Help: "Writes of polls that failed (disk full, read-only or damaged database).",
	})
	m.reg.MustRegister(m.fetches, m.fetchDuration, m.itemsStored, m.joins, m.lastSuccess, m.feedRequests, m.storeErrors,
		&storeCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil})
	return m
}

// poll counts the outcome of one poll.
func (m *metrics) poll(r Result) {
	switch r.Outcome {
	case OutcomeFetched, OutcomeNotModified:
		// By what the server answered: a 200 whose body had not
		// changed is a 200.
		if r.Status == http.StatusNotModified {
			m.fetches.WithLabelValues(resultNotMod).Inc()
		} else {
			m.fetches.WithLabelValues(resultOK).Inc()
		}
	case OutcomeThrottled:
		m.fetches.WithLabelValues(resultThrottled).Inc()
	case OutcomeSkipped:
		m.fetches.WithLabelValues(resultSkipped).Inc()
	default:
		m.fetches.WithLabelValues(resultError).Inc()
	}
	if r.Outcome == OutcomeFetched || r.Outcome == OutcomeNotModified {
		m.lastSuccess.Set(float64(r.At.UnixNano()) / 1e9)
	}
	m.itemsStored.Add(float64(r.New))
}

// storeCollector reads what is stored at each scrape: stories, items,
// feeds by state, and the database's size.
type storeCollector struct{ s *Service }

var (
	descStories = prometheus.NewDesc("feedmerge_stories", "Stories stored.", nil, nil)
	descItems   = prometheus.NewDesc("feedmerge_items", "Items stored.", nil, nil)
	descFeeds   = prometheus.NewDesc("feedmerge_feeds", "Configured feeds by state (new, ok, error, throttled, moved, gone).", []string{"state"}, nil)
	descFailing = prometheus.NewDesc("feedmerge_feed_failing_longest_seconds", "How long the feed failing longest has not been fetched successfully (0 when none is failing; feeds never fetched successfully count from their first failure).", nil, nil)
	descDBBytes = prometheus.NewDesc("feedmerge_database_bytes", "Size of the SQLite database file and its WAL; absent for PostgreSQL.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStories
	ch <- descItems
	ch <- descFeeds
	ch <- descFailing
	ch <- descDBBytes
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := c.s.store.Stats(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descStories, prometheus.GaugeValue, float64(st.Stories))
		ch <- prometheus.MustNewConstMetric(descItems, prometheus.GaugeValue, float64(st.Items))
	}
	if rows, err := c.s.Status(ctx); err == nil {
		states := map[string]int{
			storage.StateNew: 0, storage.StateOK: 0, storage.StateError: 0,
			storage.StateThrottled: 0, storage.StateMoved: 0, storage.StateGone: 0,
		}
		var longest time.Duration
		now := c.s.now()
		for _, r := range rows {
			states[r.State]++
			if r.State == storage.StateError {
				since := r.LastSuccess
				if since.IsZero() {
					since = c.s.started // failing since this process first tried
				}
				longest = max(longest, now.Sub(since))
			}
		}
		ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, longest.Seconds())
		for st, n := range states {
			ch <- prometheus.MustNewConstMetric(descFeeds, prometheus.GaugeValue, float64(n), st)
		}
	}
	if n, ok := c.s.databaseBytes(); ok {
		ch <- prometheus.MustNewConstMetric(descDBBytes, prometheus.GaugeValue, float64(n))
	}
}

// databaseBytes returns the size of the SQLite database and its WAL.
func (s *Service) databaseBytes() (int64, bool) {
	db := s.Config().DatabasePath()
	if IsPostgres(db) {
		return 0, false
	}
	var n int64
	fi, err := os.Stat(db)
	if err != nil {
		return 0, false
	}
	n += fi.Size()
	if fi, err := os.Stat(db + "-wal"); err == nil {
		n += fi.Size()
	}
	return n, true
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// countRequests counts h's responses in feedmerge_feed_requests_total.
func (m *metrics) countRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		m.feedRequests.WithLabelValues(strconv.Itoa(code)).Inc()
	})
}
