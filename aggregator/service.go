package aggregator

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/feedmerge/feedmerge/aggregator/dedupe"
	"github.com/feedmerge/feedmerge/aggregator/fetch"
	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// Version is the feedmerge release, sent in the User-Agent.
const Version = "0.1.0"

// UserAgent identifies feedmerge to the servers it polls.
const UserAgent = "feedmerge/" + Version + " (+https://github.com/feedmerge/feedmerge)"

// Service polls the configured feeds on their schedules, stores what they
// publish and serves the merged feed. Create it with New; Run drives it
// until its context ends.
type Service struct {
	store storage.Store
	log   *slog.Logger
	now   func() time.Time
	rand  func() float64

	mu      sync.Mutex
	cfg     *Config
	feeds   map[string]feedConfig // by configured URL
	order   []string              // configured order
	fetch   *fetch.Fetcher
	fetchOp fetch.Options
	dedupe  *dedupe.Deduper
	running map[string]bool
	changed chan struct{} // signalled when the configuration changes

	entries feeds.EntryCache // rendered entries of the merged feed, across revisions
	recent  recent           // items stored lately, for re-checking story decisions
	writes  health           // how writes have gone
	budget  *parseBudget     // bounds the memory of parses at once
	metrics *metrics
	started time.Time

	writeBatch int // items stored in one write at most
}

// feedConfig is one configured feed with its parsed schedule.
type feedConfig struct {
	Feed
	sched cron.Schedule
}

// New returns a Service for cfg that keeps its data in store. It fails
// only if cfg is invalid (a schedule that does not parse).
func New(cfg *Config, store storage.Store, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		store:      store,
		log:        log,
		now:        time.Now,
		rand:       rand.Float64,
		running:    map[string]bool{},
		changed:    make(chan struct{}, 1),
		writeBatch: writeBatch,
	}
	s.metrics = newMetrics(s)
	s.started = s.now()
	if err := s.Reload(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// SetClock makes s read the time from now instead of time.Now: the
// schedule, cache lifetimes, Retry-After, backoff, deduplication windows
// and retention all follow it, so a simulation (feedbench -days) or a test
// can run days of polling in seconds. Call it before the first poll; it
// replaces the fetcher, which forgets per-host throttling.
func (s *Service) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	s.fetchOp.Now = now
	s.fetch.Close()
	s.fetch = fetch.New(s.fetchOp)
}

// Reload applies a new configuration: added feeds are polled soon, removed
// ones stop being polled (their stored items stay), changed schedules take
// effect at the next poll. Listen and database changes need a restart.
func (s *Service) Reload(cfg *Config) error {
	fcs := make(map[string]feedConfig, len(cfg.Feeds))
	order := make([]string, 0, len(cfg.Feeds))
	for _, f := range cfg.Feeds {
		sched, err := ParseSchedule(cfg.FeedSchedule(f))
		if err != nil {
			return fmt.Errorf("feed %s: %w", f.URL, err)
		}
		fcs[f.URL] = feedConfig{Feed: f, sched: sched}
		order = append(order, f.URL)
	}
	fo := fetch.Options{
		UserAgent:   cfg.Fetch.UserAgent,
		Timeout:     time.Duration(cfg.Fetch.Timeout),
		MaxBody:     cfg.Fetch.MaxBody,
		Concurrency: cfg.Concurrency,
		PerHost:     cfg.Fetch.PerHost,
		MaxDelay:    time.Duration(cfg.Fetch.MaxDelay),
		DenyPrivate: cfg.Fetch.DenyPrivate,
		Logger:      s.log,
	}
	if d := cfg.Fetch.HostDelay; d != nil {
		fo.HostDelay = time.Duration(*d)
		if fo.HostDelay == 0 {
			fo.HostDelay = -1 // explicitly none
		}
	}
	if fo.UserAgent == "" {
		fo.UserAgent = UserAgent
	}
	do := dedupe.DefaultOptions()
	do.Near = cfg.NearDedupe()
	do.Window = time.Duration(cfg.Dedupe.Window)
	if cfg.Dedupe.Threshold > 0 {
		do.Threshold = cfg.Dedupe.Threshold
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	fo.Now = s.now
	// The deduper reads s.now at each call, so that it follows SetClock.
	do.Now = func() time.Time { return s.now() }
	fo.Client = s.fetchOp.Client // set only by tests
	if s.cfg != nil {
		if s.cfg.Listen != cfg.Listen || s.cfg.DatabasePath() != cfg.DatabasePath() {
			s.log.Warn("listen and database changes take effect after a restart")
		}
	}
	s.cfg, s.feeds, s.order = cfg, fcs, order
	if s.fetch == nil || !sameFetching(fo, s.fetchOp) {
		// A new fetcher forgets host throttling; only make one when
		// fetching options really changed. Polls under way finish
		// with the old one; its idle connections are closed now.
		if s.fetch != nil {
			s.fetch.Close()
		}
		s.fetch, s.fetchOp = fetch.New(fo), fo
	}
	maxBody := cfg.Fetch.MaxBody
	if maxBody <= 0 {
		maxBody = fetch.DefaultMaxBody
	}
	if s.budget == nil || s.budget.size != parseBudgetBodies*maxBody {
		s.budget = newParseBudget(maxBody)
	}
	s.dedupe = dedupe.New(do)
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

// Config returns the configuration in force.
func (s *Service) Config() *Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

func (s *Service) feed(u string) (feedConfig, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.feeds[u]
	return f, ok
}

func (s *Service) fetcher() *fetch.Fetcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetch
}

func (s *Service) parseBudget() *parseBudget {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.budget
}

func (s *Service) deduper() *dedupe.Deduper {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dedupe
}

// sharedStore reports whether the database may be shared with other
// instances (PostgreSQL), whose writes this service does not see.
func (s *Service) sharedStore() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return IsPostgres(s.cfg.DatabasePath())
}

// dbName names the database in messages.
func (s *Service) dbName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return redactDatabase(s.cfg.DatabasePath())
}

func (s *Service) maxDelay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.cfg.Fetch.MaxDelay)
}

// begin marks u as being polled; it reports false if it already is.
func (s *Service) begin(u string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[u] {
		return false
	}
	s.running[u] = true
	return true
}

func (s *Service) end(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, u)
}

// due returns when the feed should next be polled given its stored state:
// the schedule's next time after the last fetch, shifted by a stable
// per-feed offset so feeds sharing a spec do not fire at one instant, and
// never before the state's NextPoll. A feed never fetched is due at its
// NextPoll, zero meaning now. A gone feed also returns its zero NextPoll:
// callers leave gone feeds out before asking.
func (f feedConfig) due(st storage.Feed) time.Time {
	if st.State == storage.StateGone || st.LastFetch.IsZero() {
		return st.NextPoll
	}
	next := f.sched.Next(st.LastFetch)
	period := f.sched.Next(next).Sub(next)
	next = next.Add(time.Duration(spread(f.URL) * float64(min(period/10, 2*time.Minute))))
	return later(next, st.NextPoll)
}

// spread maps a URL to a stable number in [0, 1).
func spread(u string) float64 {
	h := fnv.New64a()
	h.Write([]byte(u))
	// FNV's high bits hardly change with a URL's last characters
	// (/feed1, /feed2, …), so mix them (the splitmix64 finaliser)
	// before taking the top 53.
	x := h.Sum64()
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// PollAll polls every configured feed once, at most Concurrency at a time,
// and returns one Result per feed in configuration order. Feeds the server
// asked us to leave alone are skipped unless force is set.
func (s *Service) PollAll(ctx context.Context, force bool) []Result {
	return s.PollAllProgress(ctx, force, nil)
}

// PollAllProgress is PollAll calling progress, when not nil, with each
// Result as its poll ends (from one goroutine at a time).
func (s *Service) PollAllProgress(ctx context.Context, force bool, progress func(Result)) []Result {
	s.mu.Lock()
	order := append([]string(nil), s.order...)
	n := s.cfg.Concurrency
	s.mu.Unlock()

	results := make([]Result, len(order))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var pmu sync.Mutex // progress is called by one goroutine at a time
	for i, u := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = s.Poll(ctx, u, force)
			if progress != nil {
				pmu.Lock()
				progress(results[i])
				pmu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results
}

// FeedStatus is one row of `feedmerge status`.
type FeedStatus struct {
	storage.Feed
	Title    string    // configured title, else the feed's own
	Due      time.Time // next poll; zero for a gone feed
	Polling  bool
	Schedule string
}

// Status returns the state of every configured feed, in configuration
// order; feeds never fetched have state "new".
func (s *Service) Status(ctx context.Context) ([]FeedStatus, error) {
	stored, err := s.store.Feeds(ctx)
	if err != nil {
		return nil, fmt.Errorf("read feed states: %w", err)
	}
	byURL := make(map[string]storage.Feed, len(stored))
	for _, f := range stored {
		byURL[f.URL] = f
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]FeedStatus, 0, len(s.order))
	for _, u := range s.order {
		fc := s.feeds[u]
		st, ok := byURL[u]
		if !ok {
			st = storage.Feed{URL: u, State: storage.StateNew}
		}
		if p, ok := s.writes.pendingState(u); ok {
			p.Items = st.Items
			st = p // its write failed: newer than the stored state
		}
		fs := FeedStatus{Feed: st, Title: fc.Title, Polling: s.running[u], Schedule: s.cfg.FeedSchedule(fc.Feed)}
		if fs.Title == "" {
			fs.Title = st.Title
		}
		if st.State != storage.StateGone {
			fs.Due = later(fc.due(st), now)
		}
		out = append(out, fs)
	}
	return out, nil
}

// feedID derives a stable Atom id for the merged feed from its title when
// the config sets none.
func feedID(cfg *Config) string {
	if cfg.Output.ID != "" {
		return cfg.Output.ID
	}
	h := sha1.Sum([]byte("feedmerge\x00" + cfg.Output.Title))
	a, b := binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint16(h[4:6])
	c, d := binary.BigEndian.Uint16(h[6:8])&0x0fff|0x5000, binary.BigEndian.Uint16(h[8:10])&0x3fff|0x8000
	return fmt.Sprintf("urn:uuid:%08x-%04x-%04x-%04x-%x", a, b, c, d, h[10:16])
}

// sameFetching reports whether two fetcher configurations are equal.
func sameFetching(a, b fetch.Options) bool {
	return a.UserAgent == b.UserAgent && a.Timeout == b.Timeout && a.MaxBody == b.MaxBody &&
		a.Concurrency == b.Concurrency && a.PerHost == b.PerHost && a.HostDelay == b.HostDelay &&
		a.MaxDelay == b.MaxDelay && a.DenyPrivate == b.DenyPrivate
}
