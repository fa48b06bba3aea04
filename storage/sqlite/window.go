package sqlite

import (
	"context"
	"database/sql"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

// The window index keeps the candidate keys of recent stories in memory.
//
// SQLite has no band or title indexes (migration 7): their inserts land
// at random places, so every commit rewrote most of their pages. New
// items are published around now and so are their candidates: DB keeps
// the keys of every story whose representative was published in the last
// windowSpan before the newest story, kept up to date by its own commits,
// and a read transaction whose window lies inside that span reads only
// the representatives of the stories that match, by primary key. Earlier
// windows extend a second segment of the index back (see extend).
// Snapshots newer than what the index has seen (another process wrote)
// and the writer's own transaction read the keys of the window's stories
// from the stories table (scan).
const (
	// windowSpan is how far before the newest story the index reaches
	// once (re)built: the dedupe window (72 h by default) plus a day for
	// items that arrive late.
	windowSpan = 4 * 24 * time.Hour
	// windowSlack is how much further the newest story may move before
	// the index is rebuilt, dropping what fell out of the span. The index
	// holds at most windowSpan+windowSlack of stories, about 72 bytes
	// each.
	windowSlack = 2 * 24 * time.Hour
	// staleAfter is how long snapshots may keep showing commits the
	// index has not seen before it is rebuilt.
	staleAfter = 2 * time.Second
	// applyWait is how long a lookup waits for the index to see a commit
	// its snapshot shows before it asks SQL: this process applies its
	// own commits right after them.
	applyWait = 100 * time.Millisecond
)

// numWinKeys counts the keys an entry is chained under: four bands of
// the SimHash, the title (titleKey) and four bands of the Body
// fingerprint.
const numWinKeys = 9

// titleKey is the index of the title among the keys of an entry.
const titleKey = 4

// windowEntry is 72 bytes: the story is negated once dead, and the title
// is held as a 32-bit hash. Two different titles share one about once
// in four billion pairs, and a lookup compares its title with the few
// entries of one chain; a candidate is confirmed by its features anyway.
type windowEntry struct {
	story     int64  // negated once the story's representative changed since
	published int64  // unix nanoseconds
	simhash   uint64 // the representative's
	body      uint64 // the representative's Body fingerprint; 0 for none
	title     uint32 // titleHash of its title key; 0 for none
	next      [numWinKeys]int32
}

// dead reports whether e's story has had another representative since.
func (e *windowEntry) dead() bool { return e.story < 0 }

// bucket returns the entry's chain bucket for key i.
func (e *windowEntry) bucket(i int) uint16 {
	switch {
	case i < titleKey:
		return uint16(e.simhash >> (16 * i))
	case i == titleKey:
		return uint16(e.title)
	}
	return uint16(e.body >> (16 * (i - titleKey - 1)))
}

// fingerprint returns the fingerprint key i (a band) is of: the SimHash
// or the Body fingerprint.
func (e *windowEntry) fingerprint(i int) uint64 {
	if i < titleKey {
		return e.simhash
	}
	return e.body
}

type windowIndex struct {
	mu         sync.Mutex
	valid      bool
	rev        int64         // the revision of the store the index reflects
	newest     int64         // the latest story published (capped at the time it was added)
	recent     segment       // every story published at or after recent.from
	old        segment       // when oldValid, every story published in [old.from, recent.from)
	oldValid   bool          // old holds what it says
	oldUsed    time.Time     // when a lookup last needed old
	oldRefused bool          // old would have outgrown oldLimit: earlier windows are scanned until the next build
	oldLimit   int           // entries old may hold; 0 means maxOldEntries
	readOnly   bool          // the DB has no writer: every commit is another process's
	staleSince time.Time     // when a snapshot first showed a commit the index has not seen
	applied    chan struct{} // closed, and replaced, when the index moves on or is dropped
}

// Earlier windows. A lookup whose window starts before the index reaches
// (an item dated a day or more before the newest story: the backlog of a
// feed polled for the first time, a late copy) extends a second segment
// of the index back to the window's start, less windowSlack, reading
// only the stories it does not hold yet, so that a backlog of weeks is
// read once rather than once an item. Unused for oldIdle, the segment is
// dropped; past maxOldEntries, earlier windows are read from the stories
// table for each lookup instead (scan), until the index is next built.
const (
	oldIdle       = 10 * time.Minute
	maxOldEntries = 1 << 18 // about 20 MiB
)

// segment holds the keys of the stories published in [from, to), chained
// by key.
type segment struct {
	from, to int64
	chunks   [][]windowEntry // the entries, in chunks of chunkSize: growing never copies them
	count    int
	heads    [numWinKeys][]int32 // per key and bucket: index+1 of the newest entry, 0 for none
}

// awaitApply waits, for at most applyWait, until the index has seen
// revision snap or is dropped; the caller holds w.mu, which is released
// while it waits. A snapshot begun between this process's commit and
// its apply shows a revision the index is about to see: reading the
// stories table instead, as it must for another process's commits,
// costs far more.
func (w *windowIndex) awaitApply(snap int64) {
	deadline := time.NewTimer(applyWait)
	defer deadline.Stop()
	for w.valid && snap > w.rev {
		if w.applied == nil {
			w.applied = make(chan struct{})
		}
		ch := w.applied
		w.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			w.mu.Lock()
			return
		}
		w.mu.Lock()
	}
}

// moved wakes the lookups waiting in awaitApply; the caller holds w.mu.
func (w *windowIndex) moved() {
	if w.applied != nil {
		close(w.applied)
		w.applied = nil
	}
}

// chunkSize is the number of entries in a chunk.
const chunkSize = 4096

// entry returns entry n (1-based, as chained).
func (s *segment) entry(n int32) *windowEntry {
	i := int(n - 1)
	return &s.chunks[i/chunkSize][i%chunkSize]
}

// titleHash returns the 32-bit hash of a title key, 0 for none.
func titleHash(key string) uint32 { return shortTitleHash(sqlstore.KeyHash(key)) }

// shortTitleHash folds a title hash the stories table holds
// (sqlstore.KeyHash, 0 for none) to 32 bits, keeping 0 for none only.
func shortTitleHash(h int64) uint32 {
	t := uint32(h)
	if t == 0 && h != 0 {
		t = 1
	}
	return t
}

// reset empties s to hold [from, to), keeping its chain heads' memory.
func (s *segment) reset(from, to int64) {
	s.from, s.to = from, to
	s.chunks, s.count = nil, 0
	for i := range s.heads {
		if s.heads[i] == nil {
			s.heads[i] = make([]int32, 1<<16)
		} else {
			clear(s.heads[i])
		}
	}
}

// free gives s's memory back.
func (s *segment) free() { *s = segment{} }

// add chains e under its keys, unless it was published outside s.
func (s *segment) add(e windowEntry) bool {
	if e.published < s.from || e.published >= s.to {
		return false
	}
	n := int32(s.count) + 1
	for i := range numWinKeys {
		if i == titleKey && e.title == 0 || i > titleKey && e.body == 0 {
			continue
		}
		b := e.bucket(i)
		e.next[i] = s.heads[i][b]
		s.heads[i][b] = n
	}
	if s.count%chunkSize == 0 {
		s.chunks = append(s.chunks, make([]windowEntry, 0, chunkSize))
	}
	last := len(s.chunks) - 1
	s.chunks[last] = append(s.chunks[last], e)
	s.count++
	return true
}

// kill marks the live entry of story, chained under band 0 of simhash,
// dead.
func (s *segment) kill(story int64, simhash uint64) {
	if s.count == 0 {
		return
	}
	for n := s.heads[0][uint16(simhash)]; n != 0; {
		e := s.entry(n)
		if e.story == story {
			e.story = -story
			return
		}
		n = e.next[0]
	}
}

// reset empties the index to hold the stories published at or after
// from, at revision rev, the newest published at newest; the caller holds
// w.mu.
func (w *windowIndex) reset(rev, from, newest int64) {
	w.valid, w.rev, w.newest = true, rev, newest
	w.recent.reset(from, math.MaxInt64)
	w.dropOld()
	w.oldRefused = false
	w.staleSince = time.Time{}
}

func (w *windowIndex) dropOld() {
	w.old.free()
	w.oldValid = false
}

// add chains e under its keys; the caller holds w.mu. A publication time
// after limit (the time now, for a misdated item) moves the newest time
// only to limit.
func (w *windowIndex) add(e windowEntry, limit int64) {
	if w.recent.add(e) {
		w.newest = max(w.newest, min(e.published, limit))
	} else if w.oldValid {
		w.old.add(e)
	}
}

// apply records the changes a transaction committed, which moved the
// store's revision to rev. A gap in revisions means another connection
// committed too: the index is dropped, to be rebuilt when next needed.
func (w *windowIndex) apply(changes []sqlstore.StoryChange, rev int64, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.moved()
	if !w.valid {
		return
	}
	if rev != w.rev+1 {
		w.valid = false
		w.dropOld()
		return
	}
	w.rev = rev
	w.staleSince = time.Time{}
	if w.oldValid && time.Since(w.oldUsed) > oldIdle {
		w.dropOld()
	}
	for _, c := range changes {
		if c.Changed {
			w.recent.kill(c.Story, c.OldHash)
			if w.oldValid {
				w.old.kill(c.Story, c.OldHash)
			}
		}
		w.add(windowEntry{story: c.Story, published: c.Published, simhash: c.SimHash, body: c.Body, title: titleHash(c.Title)}, now.UnixNano())
	}
}

// extend makes old hold every story published from from on, up to
// recent.from, reading what it lacks in the read transaction tx, whose
// snapshot is the index's revision; the caller holds w.mu. It reports
// false, leaving old as it was, when old would outgrow its limit.
func (w *windowIndex) extend(ctx context.Context, tx *sql.Tx, from int64) (bool, error) {
	if w.oldRefused {
		return false, nil
	}
	limit := w.oldLimit
	if limit <= 0 {
		limit = maxOldEntries
	}
	lo, hi := from, w.recent.from // read [lo, hi)
	if w.oldValid {
		hi = w.old.from
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM stories WHERE published >= ? AND published < ?`, lo, hi).Scan(&n); err != nil {
		return false, err
	}
	if w.oldValid {
		n += w.old.count
	}
	if n > limit {
		w.oldRefused = true
		w.dropOld()
		return false, nil
	}
	if !w.oldValid {
		w.old.reset(lo, w.recent.from)
		w.oldValid = true
	}
	w.old.from = lo
	err := entries(ctx, tx, lo, hi-1, func(e windowEntry) { w.old.add(e) })
	if err != nil {
		w.dropOld()
	}
	return err == nil, err
}

// build loads the keys of the stories of the last windowSpan before the
// newest one (or now, if earlier) in the read transaction tx. It runs in
// the caller's transaction, not one of its own: callers hold connections
// of the read pool while they wait for w.mu.
func (w *windowIndex) build(ctx context.Context, tx *sql.Tx, now time.Time) error {
	var rev int64
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT revision FROM meta WHERE id = 1), (SELECT max(published) FROM stories)`).Scan(&rev, &newest); err != nil {
		return err
	}
	top := min(newest.Int64, now.UnixNano())
	from := top - int64(windowSpan)
	w.reset(rev, from, top)
	err := entries(ctx, tx, from, math.MaxInt64, func(e windowEntry) { w.add(e, top) })
	if err != nil {
		w.valid = false
	}
	return err
}

// queryer runs a query: a read transaction, or the writer's connection
// inside its transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// entriesQuery reads the keys of the stories published within [$1, $2],
// walking stories_published.
const entriesQuery = `SELECT id, published, title_hash, simhash,
	coalesce(body_band0, 0) | (coalesce(body_band1, 0) << 16) | (coalesce(body_band2, 0) << 32) | (coalesce(body_band3, 0) << 48)
	FROM stories WHERE published BETWEEN ? AND ? ORDER BY published, id`

// entries calls fn with the keys of every story published within [from,
// to] (unix ns) that q sees, oldest first.
func entries(ctx context.Context, q queryer, from, to int64, fn func(windowEntry)) error {
	rows, err := q.QueryContext(ctx, entriesQuery, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e windowEntry
		var title, simhash, body int64
		if err := rows.Scan(&e.story, &e.published, &title, &simhash, &body); err != nil {
			return err
		}
		e.simhash, e.body, e.title = uint64(simhash), uint64(body), shortTitleHash(title)
		fn(e)
	}
	return rows.Err()
}

// scan returns the IDs of the stories q reads that match cq, as match
// finds them, by reading the keys of every story published within cq's
// window. It answers what the index cannot (a window earlier than it
// reaches, a snapshot with another process's commits, the writer's own
// transaction): SQLite keeps no band or title indexes, which cost most of
// every commit's writes (migration 7), so this reads the window's
// stories in the order of stories_published.
func scan(ctx context.Context, q queryer, cq storage.CandidateQuery) ([]int64, error) {
	var ids []int64
	th := titleHash(cq.Title)
	err := entries(ctx, q, sqlstore.Nanos(cq.From), sqlstore.Nanos(cq.To), func(e windowEntry) {
		if e.matches(cq, th) {
			ids = append(ids, e.story)
		}
	})
	return ids, err
}

// matches reports whether e is a candidate for q, whose title key's hash
// is th (0 for none): it has that title hash, or one of its fingerprints
// shares a band with one of q's (SimHash, and Body when not 0) and is
// within q.MaxDistance of it.
func (e *windowEntry) matches(q storage.CandidateQuery, th uint32) bool {
	if th != 0 && e.title == th {
		return true
	}
	for j, qh := range [...]uint64{q.SimHash, q.Body} {
		if j == 1 && qh == 0 {
			continue
		}
		if near(e.simhash, qh, q.MaxDistance) || e.body != 0 && near(e.body, qh, q.MaxDistance) {
			return true
		}
	}
	return false
}

// near reports whether fingerprints a and b share one of their four
// 16-bit bands and differ in at most max bits.
func near(a, b uint64, max int) bool {
	x := a ^ b
	return (uint16(x) == 0 || uint16(x>>16) == 0 || uint16(x>>32) == 0 || uint16(x>>48) == 0) &&
		bits.OnesCount64(x) <= max
}

// lookup returns the IDs of the stories that match q by the keys the
// index holds, for a snapshot at revision snap. ok is false when the
// index cannot answer and the caller must read the stories table.
func (w *windowIndex) lookup(ctx context.Context, tx *sql.Tx, now time.Time, snap int64, q storage.CandidateQuery) (ids []int64, ok bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.valid || w.newest-w.recent.from > int64(windowSpan+windowSlack) {
		if err := w.build(ctx, tx, now); err != nil {
			return nil, false, err
		}
	}
	if snap > w.rev && !w.readOnly {
		w.awaitApply(snap)
	}
	if !w.valid {
		if err := w.build(ctx, tx, now); err != nil {
			return nil, false, err
		}
	}
	if snap > w.rev {
		// Another connection committed what the index has not seen.
		wall := time.Now()
		if w.staleSince.IsZero() {
			w.staleSince = wall
		} else if wall.Sub(w.staleSince) > staleAfter {
			w.valid = false
		}
		return nil, false, nil
	}
	from, to := sqlstore.Nanos(q.From), sqlstore.Nanos(q.To)
	if from < w.recent.from {
		if !w.oldValid || from < w.old.from {
			// Only a snapshot at the index's revision shows what old
			// must hold.
			if snap != w.rev {
				return nil, false, nil
			}
			if ok, err := w.extend(ctx, tx, from-int64(windowSlack)); !ok || err != nil {
				return nil, false, err
			}
		}
		w.oldUsed = time.Now()
	}
	return w.match(q, from, to), true, nil
}

// match returns the IDs of the live stories that have the title hash of
// q.Title, or one of whose fingerprints shares a band with one of q's
// (SimHash, and Body when not 0) and is within q.MaxDistance of it, and
// were published within [from, to]; the caller holds w.mu. Stories too
// far are dropped here, before their rows are read.
func (w *windowIndex) match(q storage.CandidateQuery, from, to int64) []int64 {
	ids := w.recent.match(q, from, to, nil)
	if from < w.recent.from && w.oldValid {
		ids = w.old.match(q, from, to, ids)
	}
	return ids
}

// match appends to ids those of s's stories that match q (see
// windowIndex.match) and are not in ids yet.
func (s *segment) match(q storage.CandidateQuery, from, to int64, ids []int64) []int64 {
	if s.count == 0 || to < s.from || from >= s.to {
		return ids
	}
	th := titleHash(q.Title)
	for i := range numWinKeys {
		for j, qh := range [...]uint64{q.SimHash, q.Body} {
			var b uint16
			switch {
			case j == 1 && (qh == 0 || i == titleKey):
				continue // no Body, or the title asked once
			case i == titleKey:
				if th == 0 {
					continue
				}
				b = uint16(th)
			case i < titleKey:
				b = uint16(qh >> (16 * i))
			default:
				b = uint16(qh >> (16 * (i - titleKey - 1)))
			}
			for n := s.heads[i][b]; n != 0; {
				e := s.entry(n)
				n = e.next[i]
				if e.dead() || e.published < from || e.published > to || i == titleKey && e.title != th {
					continue
				}
				if i != titleKey && bits.OnesCount64(e.fingerprint(i)^qh) > q.MaxDistance {
					continue
				}
				if !slices.Contains(ids, e.story) {
					ids = append(ids, e.story)
				}
			}
		}
	}
	return ids
}

// windowLookup is the window index as the sqlstore.Index of one read
// transaction.
type windowLookup struct {
	db   *DB
	tx   *sql.Tx
	now  time.Time
	snap int64 // the transaction's revision plus one; 0 until read
}

// window returns the window index as the Index of the read transaction
// tx, begun at now.
func (db *DB) window(tx *sql.Tx, now time.Time) sqlstore.Index {
	return &windowLookup{db: db, tx: tx, now: now}
}

// Stories implements sqlstore.Index.
func (l *windowLookup) Stories(ctx context.Context, r *sqlstore.Runner, q storage.CandidateQuery) ([]int64, bool, error) {
	if l.snap == 0 {
		if err := r.QueryRow(ctx, sqlstore.StRevision).Scan(&l.snap); err != nil {
			return nil, false, err
		}
		l.snap++ // 0 means not read yet; compared below as snap-1
	}
	ids, ok, err := l.db.win.lookup(ctx, l.tx, l.now, l.snap-1, q)
	if err != nil || ok {
		return ids, ok, err
	}
	ids, err = scan(ctx, l.tx, q)
	return ids, err == nil, err
}

// writerIndex is the sqlstore.Index of the writer's transaction, whose
// own stories the window index sees only once it commits.
type writerIndex struct{ conn *sql.Conn }

// Stories implements sqlstore.Index.
func (w writerIndex) Stories(ctx context.Context, _ *sqlstore.Runner, q storage.CandidateQuery) ([]int64, bool, error) {
	ids, err := scan(ctx, w.conn, q)
	return ids, err == nil, err
}
