package aggregator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// reservedPaths are the paths the service serves besides output.path.
var reservedPaths = []string{"/", "/healthz", "/metrics", "/status", "/status.json", "/feeds.opml"}

// Handler returns the HTTP handler of the service: the merged Atom feed at
// output.path, GET /healthz and GET /metrics (Prometheus). It follows
// configuration reloads.
func (s *Service) Handler() http.Handler {
	h := &handler{s: s}
	return h
}

type handler struct {
	s    *Service
	feed atomic.Pointer[servedFeed]
}

// servedFeed is the feed handler built for one configuration; a reload
// builds a new one so its cache never mixes two configurations.
type servedFeed struct {
	cfg *Config
	h   http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := h.s.Config()
	switch r.URL.Path {
	case "/healthz":
		h.s.health(w, r)
	case "/metrics":
		h.s.metrics.handler.ServeHTTP(w, r)
	case cfg.Output.Path:
		sf := h.feed.Load()
		if sf == nil || sf.cfg != cfg {
			sf = &servedFeed{cfg: cfg, h: h.s.metrics.countRequests(h.s.feedHandler(cfg))}
			h.feed.Store(sf)
		}
		sf.h.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// Meta returns the merged feed's description for cfg.
func Meta(cfg *Config) feeds.Meta {
	self := cfg.Output.URL
	if self == "" {
		self = "http://" + cfg.Listen + cfg.Output.Path
	}
	return feeds.Meta{ID: feedID(cfg), Title: cfg.Output.Title, SelfURL: self}
}

// LastPoll returns the time of the latest successful poll of any feed in
// store, or the zero time when there is none or it cannot be read: the
// merged feed's updated time while it has no stories.
func LastPoll(ctx context.Context, store storage.Store) time.Time {
	fs, err := store.Feeds(ctx)
	if err != nil {
		return time.Time{}
	}
	var last time.Time
	for _, f := range fs {
		if f.LastSuccess.After(last) {
			last = f.LastSuccess
		}
	}
	return last
}

func (s *Service) feedHandler(cfg *Config) http.Handler {
	limit := cfg.Output.Items
	m := Meta(cfg)
	m.Fallback = LastPoll(context.Background(), s.store)
	return &feeds.Handler{
		Meta:     m,
		Revision: s.store.Revision,
		Stories: func(ctx context.Context) ([]feeds.Story, error) {
			return s.store.Stories(ctx, storage.StoryQuery{Limit: limit})
		},
		Logger:  s.log,
		Entries: &s.entries,
	}
}

// health answers /healthz: 200 while the database answers and the last
// write succeeded, 503 naming the problem otherwise. The merged feed is
// still served from what the store can read.
func (s *Service) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	rev, err := s.store.Revision(r.Context())
	if err != nil {
		err = fmt.Errorf("read %s: %w", s.dbName(), err)
	}
	body := map[string]any{"status": "ok", "revision": rev, "feeds": len(s.Config().Feeds)}
	if werr, at := s.writes.problem(); err == nil && werr != nil {
		err = werr
		body["since"] = at.UTC().Format(time.RFC3339)
	}
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		body["status"] = "unavailable"
		body["error"] = oneLine(err.Error())
	}
	json.NewEncoder(w).Encode(body)
}
