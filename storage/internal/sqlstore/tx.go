package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// Tx implements storage.Tx on one SQL transaction, for every SQL
// backend: the story algorithm (how an item joins or starts a story,
// which copy represents it, when its Updated moves) is written here
// once. A backend begins the transaction, locks what it must, builds a
// Tx on it and, before committing, calls Finish.
//
// A Tx is a plain value: a backend that runs several calls in one
// transaction (SQLite's savepoints) may copy it before a call and put the
// copy back when the call is rolled back.
type Tx struct {
	Dialect *Dialect
	Run     *Runner         // the statements, on the transaction
	Ctx     context.Context // statements run on it when set, else on each call's ctx
	Now     time.Time       // stamps Updated of changed stories and FirstSeen of new items

	// PickIDs makes the Tx pick the IDs of new items and stories itself,
	// one more than the largest stored, instead of leaving them to the
	// database. Only a backend whose writes never run concurrently (one
	// writer holding the database's write lock) may set it.
	PickIDs bool

	// Index, when set, answers Candidates from memory where it can.
	Index Index

	// Track makes the Tx record in Changes every story it creates or
	// whose keys it changes, for a backend that keeps an index of them.
	Track   bool
	Changes []StoryChange

	dirty               bool  // a story changed: the revision moves at Finish
	nextItem, nextStory int64 // with PickIDs, the IDs the next new item and story get; 0 until read

	// The last two names looked up (a feed's URL and an outlet's name)
	// and their IDs in the names table. Plain values: a copy of the Tx
	// put back after a rollback forgets names the rollback removed.
	names [2]name
}

// name is a string of the names table and its ID.
type name struct {
	s  string
	id int64
}

// StoryChange is a story a Tx created or whose keys it changed.
type StoryChange struct {
	Story     int64
	Published int64 // unix nanoseconds (Nanos)
	SimHash   uint64
	Body      uint64 // the Body fingerprint; 0 for none
	Title     string // title key
	Changed   bool   // an existing story, whose SimHash was OldHash
	OldHash   uint64
}

// Index answers candidate lookups from an index in memory.
type Index interface {
	// Stories returns the IDs of the stories that may match q in the
	// snapshot r reads, having checked the distance of those found
	// through a band, or ok false when the index cannot answer and the
	// SQL indexes must.
	Stories(ctx context.Context, r *Runner, q storage.CandidateQuery) (ids []int64, ok bool, err error)
}

var _ storage.Tx = (*Tx)(nil)

// ctx returns the context statements of a call with ctx run on.
func (t *Tx) ctx(ctx context.Context) context.Context {
	if t.Ctx != nil {
		return t.Ctx
	}
	return ctx
}

// Finish bumps the store's revision if a story changed, and returns it
// (0 if nothing changed). The backend commits after it.
func (t *Tx) Finish(ctx context.Context) (rev int64, changed bool, err error) {
	if !t.dirty {
		return 0, false, nil
	}
	if err := t.Run.QueryRow(t.ctx(ctx), StBump).Scan(&rev); err != nil {
		return 0, false, t.Dialect.errorf(err, "bump revision")
	}
	return rev, true, nil
}

// PutFeed implements storage.Tx.
func (t *Tx) PutFeed(ctx context.Context, f storage.Feed) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: save feed %s: %w", t.Dialect.Name, f.URL, err)
	}
	if f.URL == "" {
		return fmt.Errorf("%s: save feed: empty URL", t.Dialect.Name)
	}
	if _, err := t.Run.Exec(t.ctx(ctx), StPutFeed, FeedArgs(f)...); err != nil {
		return t.Dialect.errorf(err, "save feed %s", f.URL)
	}
	return nil
}

// ItemsByGUID implements storage.Tx.
func (t *Tx) ItemsByGUID(ctx context.Context, feedURL string, guids []string) (map[string]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: items of %s: %w", t.Dialect.Name, feedURL, err)
	}
	list, err := GUIDList(guids)
	if err != nil {
		return nil, fmt.Errorf("%s: items of %s: %w", t.Dialect.Name, feedURL, err)
	}
	items, err := ByGUID(t.Run.Query(t.ctx(ctx), StItemsByGUID, feedURL, list))
	if err != nil {
		return nil, t.Dialect.errorf(err, "items of %s", feedURL)
	}
	return items, nil
}

// ItemsByURL implements storage.Tx.
func (t *Tx) ItemsByURL(ctx context.Context, canonicalURL string) ([]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: items by URL %s: %w", t.Dialect.Name, canonicalURL, err)
	}
	if canonicalURL == "" {
		return nil, nil
	}
	items, err := Items(t.Run.Query(t.ctx(ctx), StItemsByURL, KeyHash(canonicalURL)))
	if err != nil {
		return nil, t.Dialect.errorf(err, "items by URL %s", canonicalURL)
	}
	// The index holds hashes: drop another URL of the same hash.
	return slices.DeleteFunc(items, func(it storage.Item) bool { return it.Keys.URL != canonicalURL }), nil
}

// Candidates implements storage.Tx: from the Index where it answers, else
// from the stories' band and title indexes (PostgreSQL).
func (t *Tx) Candidates(ctx context.Context, q storage.CandidateQuery) ([]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: candidates for %q: %w", t.Dialect.Name, q.Title, err)
	}
	ctx = t.ctx(ctx)
	var items []storage.Item
	ok := false
	var err error
	if t.Index != nil {
		items, ok, err = t.indexCandidates(ctx, q)
	}
	if !ok && err == nil {
		items, err = t.sqlCandidates(ctx, q)
	}
	if err != nil {
		return nil, t.Dialect.errorf(err, "candidates for %q", q.Title)
	}
	return items, nil
}

// sqlCandidates looks candidates up in the stories' band and title
// indexes, and drops those found through a band that are too far.
func (t *Tx) sqlCandidates(ctx context.Context, q storage.CandidateQuery) ([]storage.Item, error) {
	b := q.Bands()
	var title sql.NullInt64 // NULL matches no story: an empty title key is no evidence
	if q.Title != "" {
		title = sql.NullInt64{Int64: KeyHash(q.Title), Valid: true}
	}
	bb := BodyBands(q.Body)
	rows, err := t.Run.Query(ctx, StCandidates, b[0], b[1], b[2], b[3], title, Nanos(q.From), Nanos(q.To),
		bb[0], bb[1], bb[2], bb[3])
	items, err := scanAll(rows, err, func(r Scanner) (storage.Item, error) { return scanItem(r, q.Known) })
	return slices.DeleteFunc(items, func(it storage.Item) bool { return !q.Matches(it.Keys, it.Published) }), err
}

// indexCandidates answers Candidates from t.Index, reading only the
// representatives of the stories it returns; ok is false when SQL must.
func (t *Tx) indexCandidates(ctx context.Context, q storage.CandidateQuery) (items []storage.Item, ok bool, err error) {
	ids, ok, err := t.Index.Stories(ctx, t.Run, q)
	if !ok || err != nil {
		return nil, false, err
	}
	if len(ids) == 0 {
		return nil, true, nil
	}
	// One query for the representatives of every story found; a story
	// not in this snapshot, or no longer the one found, returns no row.
	rows, err := t.Run.Query(ctx, StStoryRepItems, idList(ids))
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows, q.Known)
		if err != nil {
			return nil, false, err
		}
		// The snapshot's representative must match as SQL would.
		if q.Matches(it.Keys, it.Published) {
			items = append(items, it)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	slices.SortFunc(items, func(x, y storage.Item) int {
		if c := x.Published.Compare(y.Published); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	return items, true, nil
}

// PutItem implements storage.Tx.
func (t *Tx) PutItem(ctx context.Context, it *storage.Item) (bool, error) {
	if it.FeedURL == "" || it.GUID == "" {
		return false, fmt.Errorf("%s: save item %q of %q: empty feed URL or GUID", t.Dialect.Name, it.GUID, it.FeedURL)
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("%s: save item %s: %w", t.Dialect.Name, it.GUID, err)
	}
	changed, err := t.putItem(t.ctx(ctx), it)
	if err != nil {
		return false, t.Dialect.errorf(err, "save item %s", it.GUID)
	}
	return changed, nil
}

// putItem stores it. New items are the common case: it is inserted
// first, and looked up only if its feed already has its GUID. The item
// goes in before its story (the foreign key is checked at commit; a
// failed call is rolled back whole).
func (t *Tx) putItem(ctx context.Context, it *storage.Item) (bool, error) {
	if it.FirstSeen.IsZero() {
		it.FirstSeen = t.Now
	}
	var id, sid any // nil: the database's next
	if it.StoryID != 0 {
		sid = it.StoryID
	}
	if t.PickIDs {
		if t.nextItem == 0 {
			if err := t.Run.QueryRow(ctx, StNextIDs).Scan(&t.nextItem, &t.nextStory); err != nil {
				return false, fmt.Errorf("next IDs: %w", err)
			}
		}
		id = t.nextItem
		if it.StoryID == 0 {
			sid = t.nextStory
		}
	}
	feed, err := t.nameID(ctx, it.FeedURL)
	if err != nil {
		return false, fmt.Errorf("feed %s: %w", it.FeedURL, err)
	}
	outlet, err := t.nameID(ctx, it.FeedTitle)
	if err != nil {
		return false, fmt.Errorf("outlet %q: %w", it.FeedTitle, err)
	}
	inserted, storyID, err := t.insertItem(ctx, it, id, sid, feed, outlet)
	if err != nil {
		return false, err
	}
	if !inserted {
		return t.stored(ctx, it, feed, outlet)
	}
	if t.PickIDs {
		t.nextItem++
	}
	t.dirty = true
	pub := Nanos(it.Published)
	b, bb := it.Keys.Bands(), BodyBands(it.Keys.Body)
	if it.StoryID == 0 {
		_, err := t.Run.Exec(ctx, StInsertStory, storyID, it.ID, storage.StoryUID(it.FeedURL, it.GUID),
			pub, max(pub, Nanos(it.Updated)), KeyHash(it.Keys.Title), b[0], b[1], b[2], b[3], int64(it.Keys.SimHash),
			Nanos(it.FirstSeen), bb[0], bb[1], bb[2], bb[3])
		if err != nil {
			return false, fmt.Errorf("new story: %w", err)
		}
		if t.PickIDs {
			t.nextStory++
		}
		it.StoryID = storyID
		t.track(StoryChange{Story: storyID, Published: pub, SimHash: it.Keys.SimHash, Body: it.Keys.Body, Title: it.Keys.Title})
		return true, nil
	}
	upd := max(pub, Nanos(it.Updated), Nanos(t.Now))
	var spub, shash int64
	err = t.Run.QueryRow(ctx, StStoryTouch, upd, it.StoryID, Nanos(it.FirstSeen)).Scan(&spub, &shash)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("story %d: %w", it.StoryID, storage.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("join story %d: %w", it.StoryID, err)
	}
	if pub < spub {
		// An earlier copy represents the story from now on.
		_, err = t.Run.Exec(ctx, StStoryRep, it.ID, pub, upd, KeyHash(it.Keys.Title),
			b[0], b[1], b[2], b[3], int64(it.Keys.SimHash), it.StoryID, bb[0], bb[1], bb[2], bb[3])
		if err != nil {
			return false, fmt.Errorf("join story %d: %w", it.StoryID, err)
		}
		t.track(StoryChange{Story: it.StoryID, Published: pub, SimHash: it.Keys.SimHash, Body: it.Keys.Body, Title: it.Keys.Title,
			Changed: true, OldHash: uint64(shash)})
	}
	return true, nil
}

// nameID returns the ID of s in the names table, adding it if needed.
func (t *Tx) nameID(ctx context.Context, s string) (int64, error) {
	for _, n := range t.names {
		if n.s == s && n.id != 0 {
			return n.id, nil
		}
	}
	var id int64
	err := t.Run.QueryRow(ctx, StName, s).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = t.Run.QueryRow(ctx, StAddName, s).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	t.names[1], t.names[0] = t.names[0], name{s, id}
	return id, nil
}

// insertItem inserts it with the IDs id and sid (of its story), or the
// database's next where they are nil, and the name IDs of its feed and
// outlet, unless its feed already has its GUID. It reports whether it
// did, and sets it.ID and returns the story's ID when it did.
func (t *Tx) insertItem(ctx context.Context, it *storage.Item, id, sid any, feed, outlet int64) (bool, int64, error) {
	args := []any{id, sid, feed, it.GUID, it.URL, PackKey(it.URL, it.Keys.URL, false), KeyHash(it.Keys.URL),
		it.Title, PackTexts(it.Summary, it.Content), it.Author, it.Lang, List(it.Categories), List(it.Tags),
		it.Hash, PackKey(it.Title, it.Keys.Title, true), int64(it.Keys.SimHash), Nanos(it.Published), Nanos(it.Updated),
		Nanos(it.FirstSeen), outlet, it.TitleDerived, int64(it.Keys.Body)}
	if t.PickIDs {
		// The IDs are known: nothing to read back.
		res, err := t.Run.Exec(ctx, StInsertItem, args...)
		if err != nil {
			return false, 0, err
		}
		n, err := res.RowsAffected()
		if err != nil || n != 1 {
			return false, 0, err
		}
		it.ID = id.(int64)
		return true, sid.(int64), nil
	}
	var storyID int64
	err := t.Run.QueryRow(ctx, StInsertItem, args...).Scan(&it.ID, &storyID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil
	}
	return err == nil, storyID, err
}

// stored handles PutItem of an item the feed already has: unchanged, or
// rewritten in place in its story.
func (t *Tx) stored(ctx context.Context, it *storage.Item, feed, outlet int64) (bool, error) {
	var id, storyID, firstSeen int64
	var hash string
	err := t.Run.QueryRow(ctx, StItemState, feed, it.GUID).Scan(&id, &storyID, &hash, &firstSeen)
	if err != nil {
		return false, fmt.Errorf("stored item: %w", err)
	}
	it.ID, it.StoryID, it.FirstSeen = id, storyID, Time(firstSeen)
	if hash == it.Hash {
		return false, nil
	}
	return true, t.change(ctx, it, outlet)
}

// change rewrites the stored item it.ID in place and makes the story's
// earliest item its representative again.
func (t *Tx) change(ctx context.Context, it *storage.Item, outlet int64) error {
	_, err := t.Run.Exec(ctx, StUpdateItem, it.URL, PackKey(it.URL, it.Keys.URL, false), KeyHash(it.Keys.URL), it.Title,
		PackTexts(it.Summary, it.Content), it.Author, it.Lang, List(it.Categories), List(it.Tags), it.Hash,
		PackKey(it.Title, it.Keys.Title, true),
		int64(it.Keys.SimHash), Nanos(it.Published), Nanos(it.Updated), outlet, it.TitleDerived, it.ID,
		int64(it.Keys.Body))
	if err != nil {
		return err
	}
	var rep, pub, simhash, body int64
	var title, titleKey string
	if err := t.Run.QueryRow(ctx, StFirstItem, it.StoryID).Scan(&rep, &pub, &title, &titleKey, &simhash, &body); err != nil {
		return fmt.Errorf("representative of story %d: %w", it.StoryID, err)
	}
	titleKey = UnpackKey(title, titleKey, true)
	var spub, supd, shash int64
	if err := t.Run.QueryRow(ctx, StStory, it.StoryID).Scan(&spub, &supd, &shash); err != nil {
		return fmt.Errorf("story %d: %w", it.StoryID, err)
	}
	b, bb := storage.Keys{SimHash: uint64(simhash)}.Bands(), BodyBands(uint64(body))
	upd := max(supd, Nanos(it.Published), Nanos(it.Updated), Nanos(t.Now))
	if _, err := t.Run.Exec(ctx, StStoryRep, rep, pub, upd, KeyHash(titleKey),
		b[0], b[1], b[2], b[3], simhash, it.StoryID, bb[0], bb[1], bb[2], bb[3]); err != nil {
		return fmt.Errorf("update story %d: %w", it.StoryID, err)
	}
	t.track(StoryChange{Story: it.StoryID, Published: pub, SimHash: uint64(simhash), Body: uint64(body), Title: titleKey,
		Changed: true, OldHash: uint64(shash)})
	t.dirty = true
	return nil
}

// BodyBands returns the four 16-bit bands of the Body fingerprint body as
// the values of the stories' body_band columns: NULL, which matches no
// lookup, for none (0).
func BodyBands(body uint64) [4]sql.NullInt64 {
	var nb [4]sql.NullInt64
	if body == 0 {
		return nb
	}
	for i, b := range (storage.Keys{Body: body}).BodyBands() {
		nb[i] = sql.NullInt64{Int64: b, Valid: true}
	}
	return nb
}

// track records a story change when the backend asked for them.
func (t *Tx) track(c StoryChange) {
	if t.Track {
		t.Changes = append(t.Changes, c)
	}
}
