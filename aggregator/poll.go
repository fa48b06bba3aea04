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
	Err      error     // why the poll failed or was skipped
	NextPoll time.Time // when the feed is due again
	Took     time.Duration
}

// errBusy is returned when a feed is already being polled.
var errBusy = errors.New("already being polled")

// Poll fetches the feed configured at feedURL once, now, and stores what
// it finds. Unless force is set, a feed the server asked us to leave alone
// (Retry-After, max-age, 410 Gone) is skipped. A feed is never polled twice
// at once: a concurrent call returns a skipped Result.
func (s *Service) Poll(ctx context.Context, feedURL string, force bool) Result {
	start := s.now()
	res := Result{URL: feedURL}
	st, ok := s.feed(feedURL)
	if !ok {
		res.Outcome, res.Err = OutcomeFailed, fmt.Errorf("feed %s is not configured", feedURL)
		return res
	}
	if !s.begin(feedURL) {
		res.Outcome, res.Err = OutcomeSkipped, errBusy
		return res
	}
	defer s.end(feedURL)

	prev, err := s.feedState(ctx, feedURL)
	if err != nil {
		res.Outcome, res.Err = OutcomeFailed, err
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
	res.Took = s.now().Sub(start)
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
	var notBefore time.Time // the earliest next poll the server allows
	cur := prev
	cur.URL = f.URL
	cur.LastFetch = now

	fetchURL := f.URL
	if prev.FetchURL != "" {
		fetchURL = prev.FetchURL
	}
	resp, err := s.fetcher().Fetch(ctx, fetch.Request{
		URL:          fetchURL,
		ETag:         prev.ETag,
		LastModified: prev.LastModified,
		BodyHash:     prev.BodyHash,
	})
	if err != nil {
		return s.failed(ctx, f, cur, res, now, err)
	}
	cur.HTTPStatus = resp.Status
	if resp.Moved != "" {
		cur.FetchURL = resp.Moved
		s.log.Warn("feed moved permanently; update config.yaml", "feed", f.URL, "new_url", resp.Moved)
	}
	notBefore = resp.NotBefore

	if resp.NotModified {
		cur.ETag, cur.LastModified = resp.ETag, resp.LastModified
		s.succeeded(&cur, now, notBefore)
		res.Outcome, res.NextPoll = OutcomeNotModified, f.due(cur)
		if err := s.store.Update(context.WithoutCancel(ctx), func(tx storage.Tx) error { return tx.PutFeed(ctx, cur) }); err != nil {
			res.Outcome, res.Err = OutcomeFailed, fmt.Errorf("save state of %s: %w", f.URL, err)
		}
		return res
	}

	parsed, err := feeds.Parse(resp.Body, resp.ContentType, resp.URL, now)
	if err != nil {
		return s.failed(ctx, f, cur, res, now, fmt.Errorf("parse %s: %w", fetchURL, err))
	}
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

	newItems, updated, err := s.save(ctx, f, s.items(f, outlet(f, parsed), parsed.Items, now), cur, now)
	if err != nil {
		res.Outcome, res.Err = OutcomeFailed, fmt.Errorf("save items of %s: %w", f.URL, err)
		return res
	}
	res.Outcome, res.New, res.Updated, res.NextPoll = OutcomeFetched, newItems, updated, f.due(cur)
	return res
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
	now := s.now()
	newItems, updated, err = s.save(ctx, f, s.items(f, outlet(f, doc), doc.Items, now), cur, now)
	if err != nil {
		return 0, 0, fmt.Errorf("save items of %s: %w", feedURL, err)
	}
	return newItems, updated, nil
}

// feedState returns the stored state of the feed at feedURL, or the
// state of a feed never fetched.
func (s *Service) feedState(ctx context.Context, feedURL string) (storage.Feed, error) {
	st, err := s.store.Feed(ctx, feedURL)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return storage.Feed{URL: feedURL, State: storage.StateNew}, nil
	case err != nil:
		return storage.Feed{}, fmt.Errorf("load state of %s: %w", feedURL, err)
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

// What saving does with each item.
const (
	planSkip   = iota // stored and unchanged
	planUpdate        // stored with other content: update in place
	planInsert        // new: insert into the story it was assigned
)

// save stores the items of one fetched feed and its new state in one
// transaction. Which items are new and which story each joins is worked
// out first on a read snapshot, concurrently with other feeds; the write
// itself, serialised, only re-checks the items the snapshot said start a
// new story against what was stored since. With a shared database
// (PostgreSQL, several instances) stories are assigned inside the write,
// where the backend serialises writers across instances.
func (s *Service) save(ctx context.Context, f feedConfig, items []storage.Item, cur storage.Feed, now time.Time) (newItems, updated int, err error) {
	// Writes finish even when shutdown begins: nothing half-saved.
	ctx = context.WithoutCancel(ctx)
	d := s.deduper()
	shared := s.sharedStore()
	mark := s.recent.mark()
	plan := make([]uint8, len(items))
	err = s.store.View(ctx, func(tx storage.Tx) error {
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
					if _, err := d.Assign(ctx, tx, it); err != nil {
						return fmt.Errorf("assign %s to a story: %w", it.GUID, err)
					}
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
	if err != nil {
		return 0, 0, err
	}

	var added []recentItem
	var last uint64 // seq of the last item added to s.recent
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		added, newItems, updated = added[:0], 0, 0
		var since []recentItem
		sinceOK, loaded := false, false
		for i := range items {
			it := items[i]
			switch plan[i] {
			case planSkip:
				continue
			case planUpdate:
				changed, err := tx.PutItem(ctx, &it)
				if err != nil {
					return err
				}
				if changed {
					updated++
				}
				continue
			}
			// Where to (re)assign the item's story, if anywhere.
			var where storage.Tx
			switch {
			case shared:
				where = tx
			case it.StoryID == 0:
				if !loaded {
					since, sinceOK = s.recent.since(mark)
					loaded = true
				}
				where = tx
				if sinceOK {
					where = recentTx{since: since, added: added}
				}
			}
			if where != nil {
				if _, err := d.Assign(ctx, where, &it); err != nil {
					return fmt.Errorf("assign %s to a story: %w", it.GUID, err)
				}
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
				s.log.Debug("item joined story", "feed", f.URL, "guid", it.GUID, "story", it.StoryID)
			}
			added = append(added, recentItem{created: created, item: it})
			newItems++
		}
		if err := tx.PutFeed(ctx, cur); err != nil {
			return err
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
	return newItems, updated, nil
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

// failed records a failed fetch or parse: throttling waits as the server
// asked, 410 stops polling, other errors back off exponentially.
func (s *Service) failed(ctx context.Context, f feedConfig, cur storage.Feed, res Result, now time.Time, err error) Result {
	res.Err = err
	res.Outcome = OutcomeFailed
	var fe *fetch.Error
	isFetch := errors.As(err, &fe)
	if isFetch && fe.Kind == fetch.KindCanceled {
		// Shutting down: not the feed's fault, nothing to record.
		res.Outcome, res.NextPoll = OutcomeSkipped, f.due(cur)
		return res
	}
	cur.LastError = oneLine(err.Error())
	if isFetch && fe.Status != 0 {
		cur.HTTPStatus = fe.Status
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
	res.NextPoll = f.due(cur)
	if cur.State != storage.StateThrottled {
		s.log.Warn("poll failed", "feed", f.URL, "errors", cur.Errors, "next_poll", cur.NextPoll, "err", cur.LastError)
	}
	if serr := s.store.Update(context.WithoutCancel(ctx), func(tx storage.Tx) error { return tx.PutFeed(ctx, cur) }); serr != nil {
		res.Err = fmt.Errorf("%w (and saving its state failed: %v)", err, serr)
	}
	return res
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
