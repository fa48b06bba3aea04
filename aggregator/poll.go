package aggregator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/feedmerge/feedmerge/aggregator/dedupe"
	"github.com/feedmerge/feedmerge/aggregator/fetch"
	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// Outcome says what one poll of a feed did.
type Outcome string

// Poll outcomes.
const (
	OutcomeFetched     Outcome = "fetched"      // body parsed and stored
	OutcomeNotModified Outcome = "not-modified" // 304 or an unchanged body
	OutcomeSkipped     Outcome = "skipped"      // the server asked us to wait, or the feed is gone
	OutcomeThrottled   Outcome = "throttled"    // 429/503: retried after Retry-After
	OutcomeFailed      Outcome = "failed"       // fetch or parse error; retried after backoff
)

// Result reports one poll of one feed.
type Result struct {
	URL      string
	Outcome  Outcome
	New      int       // items stored for the first time
	Updated  int       // stored items whose content changed
	Status   int       // HTTP status of the feed's response; 0 if none
	Err      error     // why the poll failed or was skipped
	NextPoll time.Time // when the feed is due again
	At       time.Time // when the poll began
	Took     time.Duration
}

// errBusy is returned when a feed is already being polled.
var errBusy = errors.New("already being polled")

// Poll fetches the feed configured at feedURL once, now, and stores what
// it finds. Unless force is set, a feed the server asked us to leave alone
// (Retry-After, max-age, 410 Gone) is skipped. A feed is never polled twice
// at once: a concurrent call returns a skipped Result.
func (s *Service) Poll(ctx context.Context, feedURL string, force bool) (res Result) {
	start := s.now()
	res = Result{URL: feedURL, At: start}
	defer func() { s.metrics.poll(res) }()
	st, ok := s.feed(feedURL)
	if !ok {
		res.Outcome, res.Err = OutcomeFailed, fmt.Errorf("feed %s is not configured", feedURL)
		return res
	}
	if !s.begin(feedURL) {
		res.Outcome, res.Err, res.NextPoll = OutcomeSkipped, errBusy, start.Add(storeRetry)
		return res
	}
	defer s.end(feedURL)

	prev, err := s.feedState(ctx, feedURL)
	if err != nil && ctx.Err() != nil {
		res.Outcome, res.Err = OutcomeSkipped, errStopped // shutting down
		return res
	}
	if err != nil {
		// The database cannot be read: try again soon, as after a
		// failed write.
		res.Outcome, res.Err, res.NextPoll = OutcomeFailed, err, start.Add(storeBackoff(1, s.rand))
		s.log.Error("poll failed", "feed", feedURL, "database", s.dbName(), "err", oneLine(err.Error()))
		return res
	}
	if !force {
		if prev.State == storage.StateGone {
			res.Outcome, res.NextPoll = OutcomeSkipped, time.Time{}
			res.Err = fmt.Errorf("feed %s is gone (410); remove it from the config or run with -force", feedURL)
			return res
		}
		if prev.NextPoll.After(start) {
			res.Outcome, res.NextPoll = OutcomeSkipped, prev.NextPoll
			res.Err = fmt.Errorf("feed %s is not to be polled before %s (%s)", feedURL, prev.NextPoll.UTC().Format(time.RFC3339), waitReason(prev))
			return res
		}
	}

	res = s.poll(ctx, st, prev)
	res.At, res.Took = start, s.now().Sub(start)
	return res
}

// waitReason says why a feed's NextPoll lies in the future.
func waitReason(f storage.Feed) string {
	switch f.State {
	case storage.StateThrottled:
		return "the server sent Retry-After"
	case storage.StateError:
		return fmt.Sprintf("backing off after %d errors", f.Errors)
	default:
		return "the server's cache lifetime, ttl or the feed's publishing rate"
	}
}

func (s *Service) poll(ctx context.Context, f feedConfig, prev storage.Feed) Result {
	res := Result{URL: f.URL}
	now := s.now()
	cur := prev
	cur.URL = f.URL
	cur.LastFetch = now

	fetchURL := f.URL
	if prev.FetchURL != "" {
		fetchURL = prev.FetchURL
	}
	var items []storage.Item
	began := time.Now()
	resp, err := s.fetcher().Fetch(ctx, fetch.Request{
		URL:          fetchURL,
		ETag:         prev.ETag,
		LastModified: prev.LastModified,
		BodyHash:     prev.BodyHash,
	})
	if sentRequest(err) {
		s.metrics.fetchDuration.Observe(time.Since(began).Seconds())
	}
	switch {
	case err != nil:
		var fe *fetch.Error
		if errors.As(err, &fe) && fe.Kind == fetch.KindCanceled {
			// Shutting down: not the feed's fault, nothing to record.
			res.Outcome, res.Err, res.NextPoll = OutcomeSkipped, err, f.due(prev)
			return res
		}
		s.failed(f, &cur, &res, now, err)
	case resp.NotModified:
		s.fetched(f, &cur, &res, resp)
		cur.ETag, cur.LastModified = resp.ETag, resp.LastModified
		s.succeeded(&cur, now, resp.NotBefore)
		res.Outcome = OutcomeNotModified
	default:
		s.fetched(f, &cur, &res, resp)
		parsed, err := s.parse(ctx, resp, now)
		resp.Release() // what was parsed holds copies of what it needs
		if errors.Is(err, errStopped) {
			res.Outcome, res.Err, res.NextPoll = OutcomeSkipped, err, f.due(prev)
			return res
		}
		if err != nil {
			s.failed(f, &cur, &res, now, fmt.Errorf("parse %s: %w", fetchURL, err))
			break
		}
		notBefore := resp.NotBefore
		if parsed.TTL > 0 {
			notBefore = later(notBefore, now.Add(min(parsed.TTL, s.maxDelay())))
		}
		if a := s.Config().Fetch.Adaptive; a.Enabled {
			if iv := publishInterval(parsed.Items, now); iv > 0 {
				iv = min(max(iv, time.Duration(a.Min)), time.Duration(a.Max))
				notBefore = later(notBefore, now.Add(iv))
			}
		}
		cur.ETag, cur.LastModified, cur.BodyHash = resp.ETag, resp.LastModified, resp.BodyHash
		cur.Title, cur.SiteURL = parsed.Title, parsed.SiteURL
		s.succeeded(&cur, now, notBefore)
		items = s.items(f, outlet(f, parsed), parsed.Items, now)
		res.Outcome = OutcomeFetched
	}

	res.New, res.Updated, err = s.commit(ctx, f, cur, items)
	switch {
	case errors.Is(err, errStopped):
		// Shutting down in the middle of a long feed: the batches
		// written stay, the state does not move, so the next poll
		// fetches the feed again and stores the rest.
		res.Outcome, res.Err, res.NextPoll = OutcomeSkipped, err, f.due(prev)
		return res
	case err != nil:
		s.storeFailed(f, prev, &cur, &res, now, err)
	}
	res.NextPoll = f.due(cur)
	return res
}

// sentRequest reports whether a fetch that returned err sent a request:
// it did unless it was cancelled or its host was being left alone.
func sentRequest(err error) bool {
	var fe *fetch.Error
	if !errors.As(err, &fe) {
		return true
	}
	return fe.Kind != fetch.KindCanceled && !(fe.Kind == fetch.KindThrottled && fe.Status == 0)
}

// fetched records what any response says of the feed itself.
func (s *Service) fetched(f feedConfig, cur *storage.Feed, res *Result, resp *fetch.Response) {
	cur.HTTPStatus, res.Status = resp.Status, resp.Status
	if resp.Moved != "" {
		cur.FetchURL = resp.Moved
		s.log.Warn("feed moved permanently; update config.yaml", "feed", f.URL, "new_url", resp.Moved)
	}
}

// parse parses a fetched body, holding a share of the parse budget
// proportional to its size while it does: the parser builds several
// times a document's size in memory, and the budget bounds that across
// every fetch at once.
func (s *Service) parse(ctx context.Context, resp *fetch.Response, now time.Time) (*feeds.Feed, error) {
	b := s.parseBudget()
	n := min(int64(len(resp.Body)), b.size)
	if err := b.Acquire(ctx, n); err != nil {
		return nil, errStopped
	}
	defer b.Release(n)
	return feeds.Parse(resp.Body, resp.ContentType, resp.URL, now)
}

// Ingest stores the items of doc, a document of the configured feed
// feedURL obtained other than by polling it (pushed to us, or read from a
// file), as a poll that fetched doc would: new items are assigned to
// stories, changed ones rewritten in place. The feed's fetch state
// (validators, schedule, errors) is left as it is. Like Poll, it refuses
// a feed that is being polled or ingested at the moment.
func (s *Service) Ingest(ctx context.Context, feedURL string, doc *feeds.Feed) (newItems, updated int, err error) {
	f, ok := s.feed(feedURL)
	if !ok {
		return 0, 0, fmt.Errorf("feed %s is not configured", feedURL)
	}
	if !s.begin(feedURL) {
		return 0, 0, fmt.Errorf("feed %s: %w", feedURL, errBusy)
	}
	defer s.end(feedURL)
	cur, err := s.feedState(ctx, feedURL)
	if err != nil {
		return 0, 0, err
	}
	if doc.Title != "" {
		cur.Title, cur.SiteURL = doc.Title, doc.SiteURL
	}
	newItems, updated, err = s.commit(ctx, f, cur, s.items(f, outlet(f, doc), doc.Items, s.now()))
	if err != nil {
		return newItems, updated, fmt.Errorf("save items of %s: %w", feedURL, err)
	}
	return newItems, updated, nil
}

// feedState returns the stored state of the feed at feedURL, or the
// state of a feed never fetched.
func (s *Service) feedState(ctx context.Context, feedURL string) (storage.Feed, error) {
	if st, ok := s.writes.pendingState(feedURL); ok {
		return st, nil // newer than the stored one, which could not be written
	}
	st, err := s.store.Feed(ctx, feedURL)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return storage.Feed{URL: feedURL, State: storage.StateNew}, nil
	case err != nil:
		return storage.Feed{}, fmt.Errorf("load state of %s from %s: %w", feedURL, s.dbName(), err)
	}
	return st, nil
}

// outlet returns the name items of feed f are credited to: the configured
// title, else the feed's own, else its host.
func outlet(f feedConfig, doc *feeds.Feed) string {
	switch {
	case f.Title != "":
		return f.Title
	case doc.Title != "":
		return doc.Title
	}
	return hostOf(f.URL)
}

// items turns parsed items into items to store, with their hashes and
// dedupe keys.
func (s *Service) items(f feedConfig, outlet string, parsed []feeds.Item, now time.Time) []storage.Item {
	d := s.deduper()
	items := make([]storage.Item, len(parsed))
	for i := range parsed {
		it := &items[i]
		*it = storage.Item{
			Item:      parsed[i],
			FeedURL:   f.URL,
			FeedTitle: outlet,
			Tags:      f.Tags,
			Hash:      itemHash(&parsed[i]),
			FirstSeen: now,
		}
		it.Keys = d.Keys(&it.Item)
	}
	return items
}

// writeBatch is the most items one write stores. A feed with more is
// stored in several writes, so that no single feed holds the writer
// (which every other feed's poll needs) for long, and a shutdown waits
// for one batch at most. One batch takes about 50 ms to write.
const writeBatch = 1000

// errStopped is returned by commit when shutdown began before every
// batch of a long feed was written.
var errStopped = errors.New("shutting down")

// commit is the one place a poll or an ingest writes: it stores items,
// in batches of at most writeBatch, and the feed's state cur with the
// last batch, whatever the poll found (new items, a 304, an error).
// Writes run to completion once begun, whatever ctx does; between two
// batches, a done ctx stops it with errStopped, leaving the batches
// already committed and the stored state as it was. A failed write
// leaves the ones before it committed and returns the error.
func (s *Service) commit(ctx context.Context, f feedConfig, cur storage.Feed, items []storage.Item) (newItems, updated int, err error) {
	wctx := context.WithoutCancel(ctx)
	for first := true; ; first = false {
		if !first && ctx.Err() != nil {
			return newItems, updated, errStopped
		}
		batch := items[:min(len(items), s.writeBatch)]
		items = items[len(batch):]
		var state *storage.Feed
		if len(items) == 0 {
			state = &cur
		}
		n, u, err := s.save(wctx, f, batch, state)
		newItems, updated = newItems+n, updated+u
		if err != nil {
			return newItems, updated, fmt.Errorf("store in %s: %w", s.dbName(), err)
		}
		if state != nil {
			s.writes.stored(f.URL, s.now())
			return newItems, updated, nil
		}
	}
}

// What saving does with each item.
const (
	planSkip   = iota // stored and unchanged
	planUpdate        // stored with other content: update in place
	planInsert        // new: insert into the story it was assigned
)

// save stores a batch of items of one feed, and its new state when cur
// is not nil, in one transaction. Which items are new and which story
// each joins is worked out first on a read snapshot, concurrently with
// other feeds; the write itself, serialised, only re-checks the items the
// snapshot said start a new story against what was stored since. With a
// shared database (PostgreSQL, several instances) stories are assigned
// inside the write, where the backend serialises writers across
// instances. ctx must not be cancellable: a write, once begun, finishes.
func (s *Service) save(ctx context.Context, f feedConfig, items []storage.Item, cur *storage.Feed) (newItems, updated int, err error) {
	d := s.deduper()
	shared := s.sharedStore()
	mark := s.recent.mark()
	plan := make([]uint8, len(items))
	by := make([]string, len(items)) // how an item joins a stored story
	if len(items) > 0 {
		if err := s.plan(ctx, f, d, shared, items, plan, by, s.now()); err != nil {
			return 0, 0, err
		}
	}
	var added []recentItem
	var last uint64 // seq of the last item added to s.recent
	joins := map[string]int{}
	now := s.now()
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		added, newItems, updated = added[:0], 0, 0
		clear(joins)
		// Items retention removed stay removed while the feed lists them.
		var fresh []string
		for i := range items {
			if plan[i] == planInsert {
				fresh = append(fresh, items[i].GUID)
			}
		}
		buried, err := tx.Tombstones(ctx, f.URL, fresh, now)
		if err != nil {
			return err
		}
		var look *recentLookup // items stored since the snapshot, then these
		for i := range items {
			it := items[i]
			switch {
			case plan[i] == planSkip, plan[i] == planInsert && buried[it.GUID]:
				continue
			case plan[i] == planUpdate:
				changed, err := tx.PutItem(ctx, &it)
				if err != nil {
					return err
				}
				if changed {
					updated++
					joins[joinGUID]++
				}
				continue
			}
			// Where to (re)assign the item's story, if anywhere.
			var where dedupe.Lookup
			switch {
			case shared:
				where = tx
			case it.StoryID == 0:
				if look == nil {
					look = s.recent.lookup(mark, tx)
					for _, a := range added {
						look.add(a)
					}
				}
				where = look
			}
			if where != nil {
				dec, err := d.Assign(ctx, where, &it)
				if err != nil {
					return fmt.Errorf("assign %s to a story: %w", it.GUID, err)
				}
				by[i] = dec.Reason
			}
			created := it.StoryID == 0
			stored, err := tx.PutItem(ctx, &it)
			if err != nil {
				return err
			}
			if !stored {
				continue // the document repeated a GUID
			}
			if !created {
				s.log.Debug("item joined story", "feed", f.URL, "guid", it.GUID, "story", it.StoryID, "by", by[i])
				joins[by[i]]++
			}
			ri := recentItem{created: created, item: it}
			added = append(added, ri)
			if look != nil {
				look.add(ri)
			}
			newItems++
		}
		if cur != nil {
			if err := tx.PutFeed(ctx, *cur); err != nil {
				return err
			}
		}
		last = s.recent.add(added)
		return nil
	})
	if err != nil {
		if last != 0 {
			s.recent.drop(last, len(added)) // the commit failed
		}
		return 0, 0, err
	}
	s.recent.commit(last)
	for reason, n := range joins {
		s.metrics.joins.WithLabelValues(reason).Add(float64(n))
	}
	return newItems, updated, nil
}

// joinGUID labels an item that joined its story by being a stored item
// (same feed and GUID) with new content; dedupe's reasons label the rest.
const joinGUID = "guid"

// plan decides on a read snapshot what save does with each item: skip
// it, update it in place, or insert it, assigned to a story unless the
// store is shared.
func (s *Service) plan(ctx context.Context, f feedConfig, d *dedupe.Deduper, shared bool, items []storage.Item, plan []uint8, by []string, now time.Time) error {
	return s.store.View(ctx, func(tx storage.Tx) error {
		guids := make([]string, len(items))
		for i := range items {
			guids[i] = items[i].GUID
		}
		stored, err := tx.ItemsByGUID(ctx, f.URL, guids)
		if err != nil {
			return err
		}
		for i := range items {
			it := &items[i]
			old, ok := stored[it.GUID]
			switch {
			case !ok:
				plan[i] = planInsert
				if !shared {
					dec, err := d.Assign(ctx, tx, it)
					if err != nil {
						return fmt.Errorf("assign %s to a story: %w", it.GUID, err)
					}
					by[i] = dec.Reason
				}
			case old.Hash == it.Hash:
				plan[i] = planSkip
			default:
				// Same GUID, new content: same story, and the first
				// publication time stays so the story does not jump.
				plan[i] = planUpdate
				it.ID, it.StoryID, it.FirstSeen, it.Published = old.ID, old.StoryID, old.FirstSeen, old.Published
				if !it.Updated.After(old.Updated) {
					it.Updated = now
				}
			}
		}
		return nil
	})
}

// itemHash fingerprints what a reader sees of an item, so an unchanged
// item costs no write. Dates are left out: undated items get their
// first-seen time, which would differ on every poll.
func itemHash(it *feeds.Item) string {
	h := sha256.New()
	for _, s := range [...]string{it.Title, it.URL, it.Summary, it.Content, it.Author, it.Lang, strings.Join(it.Categories, "\x1f")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (s *Service) succeeded(cur *storage.Feed, now, notBefore time.Time) {
	cur.State = storage.StateOK
	if cur.FetchURL != "" {
		cur.State = storage.StateMoved
	}
	cur.Errors = 0
	cur.LastError = ""
	cur.LastSuccess = now
	cur.NextPoll = notBefore
}

// failed records a failed fetch or parse in cur and res: throttling
// waits as the server asked, 410 stops polling, other errors back off
// exponentially.
func (s *Service) failed(f feedConfig, cur *storage.Feed, res *Result, now time.Time, err error) {
	res.Err = err
	res.Outcome = OutcomeFailed
	var fe *fetch.Error
	isFetch := errors.As(err, &fe)
	cur.LastError = oneLine(err.Error())
	if isFetch && fe.Status != 0 {
		cur.HTTPStatus, res.Status = fe.Status, fe.Status
	}
	switch {
	case isFetch && fe.Kind == fetch.KindThrottled:
		res.Outcome = OutcomeThrottled
		cur.State = storage.StateThrottled
		wait := fe.RetryAfter
		if wait.IsZero() {
			wait = now.Add(fetch.Backoff(1, s.rand))
		}
		cur.NextPoll = wait
	case isFetch && fe.Kind == fetch.KindGone:
		cur.State = storage.StateGone
		cur.NextPoll = time.Time{}
		s.log.Warn("feed is gone (410); it is no longer polled", "feed", f.URL)
	default:
		cur.State = storage.StateError
		cur.Errors++
		cur.NextPoll = now.Add(min(fetch.Backoff(cur.Errors, s.rand), s.maxDelay()))
	}
	if cur.State != storage.StateThrottled {
		s.log.Warn("poll failed", "feed", f.URL, "errors", cur.Errors, "next_poll", cur.NextPoll, "err", cur.LastError)
	}
}

// storeFailed records in cur and res a poll whose write failed (a full
// disk, a read-only or damaged database file). Nothing of the poll was
// stored, so the feed keeps its old validators and the next poll fetches
// it in full again; it counts as an error and backs off, at most
// maxStoreBackoff, since the disk, not the feed, is at fault. The state is
// kept in memory, shown by Status and /healthz, and written with the
// feed's next write that succeeds.
func (s *Service) storeFailed(f feedConfig, prev storage.Feed, cur *storage.Feed, res *Result, now time.Time, err error) {
	cur.ETag, cur.LastModified, cur.BodyHash = prev.ETag, prev.LastModified, prev.BodyHash
	cur.LastSuccess = prev.LastSuccess
	cur.State = storage.StateError
	cur.Errors = prev.Errors + 1
	cur.LastError = oneLine(err.Error())
	cur.NextPoll = now.Add(storeBackoff(cur.Errors, s.rand))
	res.Outcome, res.Err, res.New, res.Updated = OutcomeFailed, err, 0, 0
	s.writes.failed(*cur, now, err)
	s.metrics.storeErrors.Inc()
	s.log.Error("store failed", "feed", f.URL, "database", s.dbName(), "errors", cur.Errors, "next_poll", cur.NextPoll, "err", cur.LastError)
}

// How soon a feed whose write failed is polled again: after storeRetry,
// doubling with each failure up to maxStoreBackoff, never sooner than its
// schedule allows.
const (
	storeRetry      = 30 * time.Second
	maxStoreBackoff = 5 * time.Minute
)

func storeBackoff(errors int, rnd func() float64) time.Duration {
	d := storeRetry << min(max(errors-1, 0), 8)
	return min(time.Duration(float64(d)*(0.5+rnd())), maxStoreBackoff)
}

// publishInterval estimates how often a feed publishes from its items'
// dates: half the mean gap between its newest items, so a poll comes
// about twice per new item. It returns 0 when there are too few dates.
func publishInterval(items []feeds.Item, now time.Time) time.Duration {
	var newest, oldest time.Time
	n := 0
	for _, it := range items {
		t := it.Published
		if t.IsZero() || t.Equal(now) { // undated items carry the fetch time
			continue
		}
		if newest.IsZero() || t.After(newest) {
			newest = t
		}
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
		n++
	}
	if n < 3 {
		return 0
	}
	// The time since the newest item counts as one more gap, so a feed
	// that stopped publishing slows down too.
	span := now.Sub(oldest)
	return span / time.Duration(n) / 2
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}
