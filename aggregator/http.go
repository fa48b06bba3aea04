package aggregator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// reservedPaths are the paths the service serves besides output.path.
var reservedPaths = []string{"/", "/healthz", "/metrics", "/status", "/status.json", "/feeds.opml"}

// Handler returns the HTTP handler of the service: the merged Atom feed at
// output.path, the river page of the same stories at / (/?tag=T for the
// stories of feeds tagged T), the status of every feed at /status and
// /status.json, the configured feeds as OPML at /feeds.opml, GET /healthz
// and GET /metrics (Prometheus). It follows
// configuration reloads.
func (s *Service) Handler() http.Handler {
	return &handler{s: s}
}

type handler struct {
	s      *Service
	served atomic.Pointer[served]
}

// served holds the cached handlers built for one configuration; a reload
// builds new ones, so a cache never mixes two configurations.
type served struct {
	cfg   *Config
	feed  http.Handler
	mu    sync.Mutex
	river map[string]http.Handler // by tag; "" for every story
}

func (h *handler) current() *served {
	cfg := h.s.Config()
	sv := h.served.Load()
	if sv == nil || sv.cfg != cfg {
		sv = &served{cfg: cfg, feed: h.s.metrics.countRequests(h.s.feedHandler(cfg)), river: map[string]http.Handler{}}
		h.served.Store(sv)
	}
	return sv
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sv := h.current()
	switch r.URL.Path {
	case "/healthz":
		h.s.health(w, r)
	case "/metrics":
		h.s.metrics.handler.ServeHTTP(w, r)
	case sv.cfg.Output.Path:
		sv.feed.ServeHTTP(w, r)
	case "/":
		tag := r.URL.Query().Get("tag")
		if tag != "" && !slices.Contains(configTags(sv.cfg), tag) {
			http.Error(w, fmt.Sprintf("no feed is tagged %q", tag), http.StatusNotFound)
			return
		}
		sv.mu.Lock()
		rh := sv.river[tag]
		if rh == nil {
			rh = h.s.riverHandler(sv.cfg, tag)
			sv.river[tag] = rh
		}
		sv.mu.Unlock()
		rh.ServeHTTP(w, r)
	case "/status", "/status.json":
		h.s.serveStatus(w, r, sv.cfg)
	case "/feeds.opml":
		feeds.ServeOPML(w, r, sv.cfg.Output.Title, OPMLFeeds(sv.cfg))
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

// lastPoll is LastPoll on the service's store.
func (s *Service) lastPoll(ctx context.Context) time.Time { return LastPoll(ctx, s.store) }

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
	return &feeds.Handler{
		Meta:     m,
		Revision: s.store.Revision,
		Stories: func(ctx context.Context) ([]feeds.Story, error) {
			return s.store.Stories(ctx, storage.StoryQuery{Limit: limit})
		},
		Logger:   s.log,
		Entries:  &s.entries,
		Fallback: s.lastPoll,
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
	if at, werr := s.writes.problem(); err == nil && werr != nil {
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

// configTags returns every tag of cfg's feeds, sorted.
func configTags(cfg *Config) []string {
	var tags []string
	for _, f := range cfg.Feeds {
		for _, t := range f.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	sort.Strings(tags)
	return tags
}

// pageFor returns what every page of cfg shows.
func pageFor(cfg *Config, title string) page {
	return page{
		Title: cfg.Output.Title, PageTitle: title, FeedPath: cfg.Output.Path, Version: Version,
		Alternates: []alternate{{Type: "application/atom+xml", Title: cfg.Output.Title, URL: cfg.Output.Path}},
	}
}

// riverHandler serves the river page of cfg's stories, of feeds tagged
// tag when it is not empty, cached per revision like the feed.
func (s *Service) riverHandler(cfg *Config, tag string) http.Handler {
	limit := cfg.Output.Items
	tags := configTags(cfg)
	// A story's tags are those of the feeds that carried it: the
	// source's by feed URL, the others' by outlet name.
	byURL, byTitle := map[string][]string{}, map[string][]string{}
	for _, f := range cfg.Feeds {
		byURL[f.URL] = f.Tags
		if f.Title != "" {
			byTitle[f.Title] = append(byTitle[f.Title], f.Tags...)
		}
	}
	m := Meta(cfg)
	title := cfg.Output.Title
	if tag != "" {
		title += " · " + tag
	}
	return &feeds.Handler{
		Meta:     m,
		Revision: s.store.Revision,
		Stories: func(ctx context.Context) ([]feeds.Story, error) {
			return s.store.Stories(ctx, storage.StoryQuery{Limit: limit, Tag: tag})
		},
		Logger:      s.log,
		ContentType: "text/html; charset=utf-8",
		Fallback:    s.lastPoll,
		Render: func(w io.Writer, m feeds.Meta, stories []feeds.Story) error {
			p := &riverPage{page: pageFor(cfg, title), Tag: tag, Tags: tags, Stories: make([]riverStory, 0, len(stories))}
			for i := range stories {
				st := &stories[i]
				var t []string
				add := func(more []string) {
					for _, x := range more {
						if !slices.Contains(t, x) {
							t = append(t, x)
						}
					}
				}
				add(byURL[st.Source.FeedURL])
				for _, l := range st.Related {
					add(byTitle[l.Title])
				}
				sort.Strings(t)
				p.Stories = append(p.Stories, newRiverStory(st, t))
				if st.Updated.After(p.Updated) {
					p.Updated = st.Updated
				}
			}
			if p.Updated.IsZero() {
				p.Updated = m.Fallback
			}
			p.Lang = pageLang(stories)
			return renderRiver(w, p)
		},
	}
}

// pageLang returns the language most stories are in, "en" when unknown.
func pageLang(stories []feeds.Story) string {
	n := map[string]int{}
	best, most := "en", 0
	for _, st := range stories {
		if st.Lang == "" {
			continue
		}
		n[st.Lang]++
		if n[st.Lang] > most {
			best, most = st.Lang, n[st.Lang]
		}
	}
	return best
}

// serveStatus answers /status (HTML) and /status.json from Report.
func (s *Service) serveStatus(w http.ResponseWriter, r *http.Request, cfg *Config) {
	if !feeds.ReadOnly(w, r) {
		return
	}
	rep, err := s.Report(r.Context())
	if err != nil {
		s.log.Error("status", "err", err)
		http.Error(w, "status unavailable: "+oneLine(err.Error()), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if strings.HasSuffix(r.URL.Path, ".json") {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return
	}
	p := &statusPage{page: pageFor(cfg, cfg.Output.Title+" · status"), Report: rep}
	for _, st := range []string{storage.StateOK, storage.StateNew, storage.StateError, storage.StateThrottled, storage.StateMoved, storage.StateGone} {
		if n := rep.States[st]; n > 0 {
			p.States = append(p.States, stateCount{Name: st, Count: n})
		}
	}
	var buf bytes.Buffer
	if err := renderStatus(&buf, p); err != nil {
		s.log.Error("render status page", "err", err)
		http.Error(w, "status page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
