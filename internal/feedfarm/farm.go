// Package feedfarm serves a deterministic farm of invented news feeds on
// loopback addresses, for tests and benchmarks of feedmerge.
//
// A Farm spreads its feeds over several loopback hosts (127.0.0.x,
// 127.0.1.x, …), each with its own listener, so per-host limits behave as
// against real publishers. Feeds cycle through RSS 2.0, Atom 1.0, RSS 1.0
// and JSON Feed; some are GBK-encoded Chinese RSS. Stories are syndicated
// across two to four feeds with the variations real outlets add: title
// decorations, tracking parameters, other schemes, GUID forms, summaries
// cut at different lengths and datelines. Every feed answers conditional
// requests with 304 and sends gzip when asked; an optional share of feeds
// misbehaves (see Fault). Everything the farm serves follows from
// Options.Seed and Options.Epoch.
//
// Bodies are rendered once and again only by Publish, so serving costs
// almost nothing next to the client under test.
package feedfarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Format is a feed format.
type Format int

// Formats, in the order feeds cycle through them.
const (
	RSS2 Format = iota
	Atom
	RSS1
	JSON
)

func (f Format) String() string {
	return [...]string{"rss2", "atom", "rss1", "json"}[f]
}

func (f Format) ext() string {
	return [...]string{"rss", "atom", "rdf", "json"}[f]
}

// Fault is how a feed misbehaves.
type Fault int

// Faults, in the order faulty feeds cycle through them.
const (
	Healthy     Fault = iota
	ServerError       // 500
	NotFound          // 404
	Gone              // 410
	Throttled         // 429 with Retry-After (on a host of its own)
	Slow              // a healthy feed answering after Options.SlowDelay
	Truncated         // 200 with the body cut in half
	Redirect          // 301 to another path serving a healthy feed
)

var faultNames = [...]string{"healthy", "500", "404", "410", "429", "slow", "truncated", "redirect"}

func (f Fault) String() string { return faultNames[f] }

// Serves reports whether a feed with this fault serves its items, so a
// client should store all of them.
func (f Fault) Serves() bool { return f == Healthy || f == Slow || f == Redirect }

// Options configure a Farm. Zero fields take the defaults named.
type Options struct {
	Feeds int    // number of feeds; default 100
	Items int    // items per feed; default 20
	Seed  uint64 // content seed; feeds are identical for equal Seed and Epoch
	// Epoch anchors every date: the first items are published in the
	// Span before it. Default: the current time truncated to the hour.
	Epoch time.Time
	// Span is how long before Epoch the first items were published:
	// weeks make the backlog a feed polled for the first time lists.
	// Default 24h.
	Span time.Duration
	// Hosts is how many loopback addresses the feeds are spread over;
	// default one per 10 feeds, at most 100. Throttled feeds get one
	// more of their own, so their 429s do not hold up healthy feeds.
	Hosts int
	// FaultEvery makes every FaultEvery-th feed faulty (feed indexes
	// FaultEvery-1, 2·FaultEvery-1, …), cycling through the Fault kinds;
	// 0 means none.
	FaultEvery int
	// RetryAfter is the Retry-After of throttled feeds; default 1h.
	RetryAfter time.Duration
	// SlowDelay is how long slow feeds wait before answering; default 2s.
	SlowDelay time.Duration
	// GBKEvery makes every GBKEvery-th RSS 2.0 feed a Chinese-language
	// feed encoded as GBK; default 5, negative for none.
	GBKEvery int
	// MaxAge, in seconds, is sent as Cache-Control: max-age by every
	// MaxAgeEvery-th feed (all when MaxAgeEvery ≤ 1); 0 sends none.
	MaxAge      int
	MaxAgeEvery int
	// Changing is the share of serving feeds that Publish adds items to
	// (a different set each round); 0 means 0.1, 1 means every feed.
	Changing float64
	// Regional makes every story from small fixed pools of places,
	// names, numbers and words, as the news of one region shares them:
	// stories look alike, so candidate sets are large and only the
	// details tell stories apart.
	Regional bool
}

func (o *Options) defaults() {
	if o.Feeds <= 0 {
		o.Feeds = 100
	}
	if o.Items <= 0 {
		o.Items = 20
	}
	if o.Epoch.IsZero() {
		o.Epoch = time.Now().Truncate(time.Hour)
	}
	if o.Span <= time.Hour {
		o.Span = 24 * time.Hour
	}
	if o.Hosts <= 0 {
		o.Hosts = min(100, max(1, o.Feeds/10))
	}
	o.Hosts = min(o.Hosts, o.Feeds)
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Hour
	}
	if o.SlowDelay <= 0 {
		o.SlowDelay = 2 * time.Second
	}
	if o.GBKEvery == 0 {
		o.GBKEvery = 5
	}
	if o.Changing <= 0 {
		o.Changing = 0.1
	}
}

// validator bits: which validators a feed sends.
const (
	sendETag = 1 << iota
	sendLastModified
)

// feedInfo is the fixed description of one feed.
type feedInfo struct {
	idx        int
	url        string // as configured
	path       string
	movedPath  string // Redirect: where the feed really lives
	host       int
	format     Format
	fault      Fault
	gbk        bool
	maxAge     int
	validators int
	title      string
	site       string // host name of the outlet's (invented) web site
	scheme     string
	style      int // title decoration
	guidForm   int
	cut        int // summary length in runes, 0 for all
	dateline   bool

	items []*item                   // newest first; guarded by Farm.mu
	rend  atomic.Pointer[rendition] // what is served
	// supplied is set once the feed has sent validators in a 200.
	supplied atomic.Bool
	stats    feedCounters
}

func (f *feedInfo) home() string { return f.scheme + "://" + f.site + "/" }

type feedCounters struct {
	requests, conditional, ok, notModified, unconditional atomic.Int64
}

// Feed describes one feed of the farm.
type Feed struct {
	Index      int
	URL        string
	Title      string
	Format     Format
	Fault      Fault
	GBK        bool
	MaxAge     int  // Cache-Control max-age in seconds, 0 if none
	Validators bool // whether the feed sends ETag or Last-Modified
}

// Farm is a running feed farm. Close stops it.
type Farm struct {
	o       Options
	feeds   []*feedInfo
	byPath  []map[string]*feedInfo // per host listener
	servers []*http.Server
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc

	mu      sync.Mutex // guards the content below
	r       *rand.Rand
	vocab   *vocabulary // nil: words invented afresh
	stories int
	round   int

	total, conditional, ok, notModified, other, unconditional, bytes atomic.Int64
}

// Start builds the farm's feeds and serves them until Close. It fails if
// a loopback address cannot be listened on.
func Start(o Options) (*Farm, error) {
	o.defaults()
	fm := &Farm{o: o, r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))}
	if o.Regional {
		fm.vocab = regional()
	}
	fm.ctx, fm.cancel = context.WithCancel(context.Background())
	hosts := o.Hosts
	throttleHost := -1
	if o.FaultEvery > 0 {
		throttleHost = hosts
		hosts++
	}
	var lns []net.Listener
	for h := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(hostIP(h), "0"))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("feedfarm: listen on %s: %w", hostIP(h), err)
		}
		lns = append(lns, ln)
		fm.byPath = append(fm.byPath, map[string]*feedInfo{})
	}
	gbkN := 0
	for i := range o.Feeds {
		f := &feedInfo{
			idx:      i,
			host:     i % o.Hosts,
			format:   Format(i % 4),
			style:    (i / 4) % 5,
			guidForm: (i / 3) % 4,
			cut:      [...]int{0, 90, 140, 220, 400}[(i/2)%5],
			dateline: i%7 == 3,
			scheme:   [...]string{"https", "https", "http"}[i%3],
		}
		if f.format == RSS2 && o.GBKEvery > 0 {
			if gbkN%o.GBKEvery == o.GBKEvery-1 {
				f.gbk = true
			}
			gbkN++
		}
		if o.FaultEvery > 0 && i%o.FaultEvery == o.FaultEvery-1 {
			f.fault = Fault(1 + (i/o.FaultEvery)%7)
		}
		if f.fault == Throttled {
			f.host = throttleHost
		}
		if o.MaxAge > 0 && (o.MaxAgeEvery <= 1 || i%o.MaxAgeEvery == 0) {
			f.maxAge = o.MaxAge
		}
		// Most feeds send both validators; some one, a few none.
		switch i % 13 {
		case 5:
			f.validators = 0
		case 7:
			f.validators = sendETag
		case 11:
			f.validators = sendLastModified
		default:
			f.validators = sendETag | sendLastModified
		}
		name := places[i%len(places)] + " " + outletWords[(i/len(places))%len(outletWords)]
		if f.gbk {
			name = zhPlaces[i%len(zhPlaces)] + "日报"
		}
		f.title = fmt.Sprintf("%s %d", name, i)
		f.site = fmt.Sprintf("www.%s-%d.example", slugify(places[i%len(places)]), i)
		f.path = fmt.Sprintf("/feeds/%d.%s", i, f.format.ext())
		if f.fault == Redirect {
			f.movedPath = fmt.Sprintf("/feeds/%d/moved.%s", i, f.format.ext())
			fm.byPath[f.host][f.movedPath] = f
		}
		fm.byPath[f.host][f.path] = f
		f.url = "http://" + lns[f.host].Addr().String() + f.path
		fm.feeds = append(fm.feeds, f)
	}
	fm.fill(fm.o.Items, nil, o.Epoch.Add(-fm.o.Span), o.Epoch.Add(-time.Hour))
	fm.renderAll(fm.feeds, o.Epoch.Add(-time.Hour))

	for h, ln := range lns {
		srv := &http.Server{Handler: fm.handler(h), ReadHeaderTimeout: 10 * time.Second,
			BaseContext: func(net.Listener) context.Context { return fm.ctx }}
		fm.servers = append(fm.servers, srv)
		fm.wg.Add(1)
		go func() {
			defer fm.wg.Done()
			srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed at Close
		}()
	}
	return fm, nil
}

// hostIP returns the loopback address of host h: 127.0.0.1 … 127.0.0.254,
// then 127.0.1.1 and on.
func hostIP(h int) string {
	return fmt.Sprintf("127.0.%d.%d", h/254, h%254+1)
}

// Close stops every listener and waits for the servers to end.
func (fm *Farm) Close() error {
	fm.cancel() // cuts slow responses short
	var errs []error
	for _, s := range fm.servers {
		errs = append(errs, s.Close())
	}
	fm.wg.Wait()
	return errors.Join(errs...)
}

// fill adds n new stories' copies to each of the feeds in only (all
// feeds when nil), published between from and to, and drops each
// feed's oldest items beyond Options.Items. Callers hold fm.mu or own fm.
func (fm *Farm) fill(n int, only []*feedInfo, from, to time.Time) {
	r := fm.r
	targets := only
	if targets == nil {
		targets = fm.feeds
	}
	need := make(map[int]int, len(targets))
	var en, zh []int
	for _, f := range targets {
		need[f.idx] = n
		if f.gbk {
			zh = append(zh, f.idx)
		} else {
			en = append(en, f.idx)
		}
	}
	total := n * len(targets)
	step := to.Sub(from) / time.Duration(total+1)
	k := 0
	added := make(map[int][]*item, len(targets))
	for _, f := range targets {
		for need[f.idx] > 0 {
			k++
			fm.stories++
			pub := from.Add(time.Duration(k) * step).Truncate(time.Second)
			s := fm.vocab.newStory(r, fm.stories, f.gbk, pub, f)
			carriers := []*feedInfo{f}
			// About a third of stories are syndicated to 1-3 more feeds.
			if r.IntN(3) == 0 {
				pool := en
				if f.gbk {
					pool = zh
				}
				extra := 1 + r.IntN(3)
				for try := 0; try < 12 && len(carriers) < 1+extra && len(pool) > 1; try++ {
					g := fm.feeds[pool[r.IntN(len(pool))]]
					if need[g.idx] == 0 || contains(carriers, g) {
						continue
					}
					carriers = append(carriers, g)
				}
			}
			for _, g := range carriers {
				need[g.idx]--
				added[g.idx] = append(added[g.idx], copyOf(r, s, g))
			}
		}
	}
	for _, f := range targets {
		items := added[f.idx]
		// newest first
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
		f.items = append(items, f.items...)
		if len(f.items) > fm.o.Items {
			f.items = f.items[:fm.o.Items]
		}
	}
}

func contains(fs []*feedInfo, f *feedInfo) bool {
	for _, g := range fs {
		if g == f {
			return true
		}
	}
	return false
}

// renderAll renders fs on every core, last modified at modified.
func (fm *Farm) renderAll(fs []*feedInfo, modified time.Time) {
	var wg sync.WaitGroup
	work := make(chan *feedInfo)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for f := range work {
				f.rend.Store(render(f, f.items, modified, fm.round))
			}
		})
	}
	for _, f := range fs {
		work <- f
	}
	close(work)
	wg.Wait()
}

// Publish adds n new items to Options.Changing of the serving feeds (a
// different share each round), each dropping its oldest, re-renders
// them and returns how many feeds changed. The new items are dated
// after every earlier one.
func (fm *Farm) Publish(n int) int {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	from := fm.o.Epoch.Add(-time.Hour + time.Duration(fm.round)*5*time.Minute)
	return fm.publish(n, from, from.Add(5*time.Minute))
}

// PublishAt is Publish with the new items dated between from and to, and
// the changed feeds last modified at to, for a farm run on a simulated
// clock (feedbench -days). The times should follow those of earlier
// rounds, and the first ones Options.Epoch.
func (fm *Farm) PublishAt(n int, from, to time.Time) int {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	return fm.publish(n, from, to)
}

// publish runs one round of Publish; callers hold fm.mu.
func (fm *Farm) publish(n int, from, to time.Time) int {
	fm.round++
	var changed []*feedInfo
	every := max(1, int(1/fm.o.Changing+0.5))
	for _, f := range fm.feeds {
		if f.fault.Serves() && (f.idx+fm.round)%every == 0 {
			changed = append(changed, f)
		}
	}
	if len(changed) == 0 {
		return 0
	}
	fm.fill(n, changed, from, to)
	fm.renderAll(changed, to)
	return len(changed)
}

// Feeds describes every feed in index order.
func (fm *Farm) Feeds() []Feed {
	out := make([]Feed, len(fm.feeds))
	for i, f := range fm.feeds {
		out[i] = Feed{Index: i, URL: f.url, Title: f.title, Format: f.format, Fault: f.fault,
			GBK: f.gbk, MaxAge: f.maxAge, Validators: f.validators != 0}
	}
	return out
}

// URLs returns every feed's URL in index order.
func (fm *Farm) URLs() []string {
	out := make([]string, len(fm.feeds))
	for i, f := range fm.feeds {
		out[i] = f.url
	}
	return out
}

// Expected returns, for every feed that serves items (Fault.Serves), the
// GUIDs it serves now, keyed by its configured URL. A client that lost
// nothing has stored all of them.
func (fm *Farm) Expected() map[string][]string {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	out := make(map[string][]string)
	for _, f := range fm.feeds {
		if !f.fault.Serves() {
			continue
		}
		g := make([]string, len(f.items))
		for i, it := range f.items {
			g[i] = it.guid
		}
		out[f.url] = g
	}
	return out
}

// ServedItems returns how many items the serving feeds serve now.
func (fm *Farm) ServedItems() int {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	n := 0
	for _, f := range fm.feeds {
		if f.fault.Serves() {
			n += len(f.items)
		}
	}
	return n
}

// WriteConfig writes a feedmerge config.yaml to w: header (top-level
// keys, verbatim) followed by a feeds list of every farm feed.
func (fm *Farm) WriteConfig(w io.Writer, header string) error {
	var b strings.Builder
	b.WriteString(header)
	if header != "" && !strings.HasSuffix(header, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString("feeds:\n")
	for _, f := range fm.feeds {
		b.WriteString("  - url: " + f.url + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Stats counts the requests the farm received.
type Stats struct {
	Requests    int64 // every request
	Conditional int64 // requests with If-None-Match or If-Modified-Since
	OK          int64 // 200 responses with a body
	NotModified int64 // 304 responses
	Other       int64 // error statuses and redirects
	// Unconditional counts requests without validators to feeds that had
	// already sent validators with a well-formed 200: full downloads a
	// polite client avoids.
	Unconditional int64
	Bytes         int64       // body bytes sent
	PerFeed       []FeedStats // by feed index
}

// FeedStats counts one feed's requests.
type FeedStats struct {
	Requests, Conditional, OK, NotModified, Unconditional int64
}

// Stats returns the counts since Start or the last ResetStats.
func (fm *Farm) Stats() Stats {
	s := Stats{
		Requests: fm.total.Load(), Conditional: fm.conditional.Load(), OK: fm.ok.Load(),
		NotModified: fm.notModified.Load(), Other: fm.other.Load(), Unconditional: fm.unconditional.Load(),
		Bytes: fm.bytes.Load(), PerFeed: make([]FeedStats, len(fm.feeds)),
	}
	for i, f := range fm.feeds {
		c := &f.stats
		s.PerFeed[i] = FeedStats{Requests: c.requests.Load(), Conditional: c.conditional.Load(), OK: c.ok.Load(),
			NotModified: c.notModified.Load(), Unconditional: c.unconditional.Load()}
	}
	return s
}

// ResetStats sets every counter to zero. Whether a feed has supplied
// validators is remembered.
func (fm *Farm) ResetStats() {
	for _, c := range []*atomic.Int64{&fm.total, &fm.conditional, &fm.ok, &fm.notModified, &fm.other, &fm.unconditional, &fm.bytes} {
		c.Store(0)
	}
	for _, f := range fm.feeds {
		c := &f.stats
		for _, x := range []*atomic.Int64{&c.requests, &c.conditional, &c.ok, &c.notModified, &c.unconditional} {
			x.Store(0)
		}
	}
}

func (fm *Farm) handler(h int) http.Handler {
	paths := fm.byPath[h]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := paths[r.URL.Path]
		fm.total.Add(1)
		if f == nil {
			fm.other.Add(1)
			http.NotFound(w, r)
			return
		}
		f.stats.requests.Add(1)
		inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		if inm != "" || ims != "" {
			fm.conditional.Add(1)
			f.stats.conditional.Add(1)
		} else if f.supplied.Load() {
			fm.unconditional.Add(1)
			f.stats.unconditional.Add(1)
		}
		status := func(code int) {
			fm.other.Add(1)
			http.Error(w, http.StatusText(code), code)
		}
		switch f.fault {
		case ServerError:
			status(http.StatusInternalServerError)
			return
		case NotFound:
			status(http.StatusNotFound)
			return
		case Gone:
			status(http.StatusGone)
			return
		case Throttled:
			w.Header().Set("Retry-After", strconv.Itoa(int(fm.o.RetryAfter/time.Second)))
			status(http.StatusTooManyRequests)
			return
		case Redirect:
			if r.URL.Path == f.path {
				fm.other.Add(1)
				http.Redirect(w, r, f.movedPath, http.StatusMovedPermanently)
				return
			}
		case Slow:
			t := time.NewTimer(fm.o.SlowDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		rd := f.rend.Load()
		hdr := w.Header()
		if rd.etag != "" {
			hdr.Set("ETag", rd.etag)
		}
		if rd.lastModified != "" {
			hdr.Set("Last-Modified", rd.lastModified)
		}
		if f.maxAge > 0 {
			hdr.Set("Cache-Control", "max-age="+strconv.Itoa(f.maxAge))
		}
		hdr.Set("Vary", "Accept-Encoding")
		if notModified(rd, inm, ims) {
			fm.notModified.Add(1)
			f.stats.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := rd.body
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			body = rd.gz
			hdr.Set("Content-Encoding", "gzip")
		}
		hdr.Set("Content-Type", rd.contentType)
		hdr.Set("Content-Length", strconv.Itoa(len(body)))
		fm.ok.Add(1)
		f.stats.ok.Add(1)
		if (rd.etag != "" || rd.lastModified != "") && f.fault != Truncated {
			// A client rightly drops the validators of a body it
			// cannot parse.
			f.supplied.Store(true)
		}
		n, _ := w.Write(body)
		fm.bytes.Add(int64(n))
	})
}

// notModified applies RFC 9110's precedence: If-None-Match when present,
// else If-Modified-Since.
func notModified(rd *rendition, inm, ims string) bool {
	if inm != "" {
		if rd.etag == "" {
			return false
		}
		for _, t := range strings.Split(inm, ",") {
			if strings.TrimSpace(t) == rd.etag {
				return true
			}
		}
		return false
	}
	if ims != "" && rd.lastModified != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !rd.modified.Truncate(time.Second).After(t)
	}
	return false
}
