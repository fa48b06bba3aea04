package sqlite

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

var winBase = time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)

// winItem is an item with keys drawn from a small alphabet, so that
// bands and titles collide often.
func winItem(r *rand.Rand, feed, n int, pub time.Time) storage.Item {
	var h, body uint64
	for i := range 4 {
		h |= uint64(r.IntN(6)) << (16 * i)
	}
	if r.IntN(2) == 0 {
		for i := range 4 {
			body |= uint64(r.IntN(6)) << (16 * i)
		}
	}
	title := ""
	if r.IntN(4) > 0 {
		title = "title " + strconv.Itoa(r.IntN(8))
	}
	guid := "g" + strconv.Itoa(n)
	return storage.Item{
		Item:      feeds.Item{GUID: guid, URL: fmt.Sprintf("https://f%d.example/%d", feed, n), Title: title, Published: pub},
		FeedURL:   fmt.Sprintf("https://f%d.example/rss", feed),
		FeedTitle: "F" + strconv.Itoa(feed),
		Hash:      guid,
		Keys:      storage.Keys{URL: fmt.Sprintf("f%d.example/%d", feed, n), Title: title, SimHash: h, Body: body},
	}
}

func winPut(t *testing.T, db *DB, items ...*storage.Item) {
	t.Helper()
	err := db.Update(t.Context(), func(tx storage.Tx) error {
		for _, it := range items {
			if _, err := tx.PutItem(t.Context(), it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

func winGUIDs(items []storage.Item) []string {
	var g []string
	for _, it := range items {
		g = append(g, it.GUID)
	}
	return g
}

// winCandidates returns the GUIDs of the candidates db's snapshot finds
// for keys k in the 72 hours before winBase.
func winCandidates(t *testing.T, db *DB, k storage.Keys) []string {
	t.Helper()
	var got []storage.Item
	err := db.View(t.Context(), func(tx storage.Tx) error {
		var err error
		got, err = tx.Candidates(t.Context(), query(k, winBase.Add(-72*time.Hour), winBase))
		return err
	})
	if err != nil {
		t.Fatalf("Candidates: %v", err)
	}
	return winGUIDs(got)
}

// maxDistance is the MaxDistance of the tests' candidate queries, the
// aggregator's.
const maxDistance = 16

// query returns the candidate query of keys k within [from, to].
func query(k storage.Keys, from, to time.Time) storage.CandidateQuery {
	return storage.CandidateQuery{Title: k.Title, SimHash: k.SimHash, Body: k.Body, MaxDistance: maxDistance, From: from, To: to}
}

// compareWindow checks that the window index and the SQL query of the
// shared candidate indexes return the same candidates for random keys
// and windows, and returns how many lookups the index answered from
// memory; the rest, windows earlier than it reaches, it answers by
// reading the window's stories.
func compareWindow(t *testing.T, db *DB, r *rand.Rand, lookups int) (answered int) {
	t.Helper()
	err := db.View(t.Context(), func(stx storage.Tx) error {
		tx := stx.(*sqlstore.Tx)
		sqlTx := *tx
		sqlTx.Index = nil // SQL indexes only
		for range lookups {
			k := winItem(r, 0, 0, time.Time{}).Keys
			at := winBase.Add(-time.Duration(r.IntN(10*24)) * time.Hour)
			from, to := at.Add(-72*time.Hour), at.Add(72*time.Hour)
			want, err := sqlTx.Candidates(t.Context(), query(k, from, to))
			if err != nil {
				return err
			}
			l := tx.Index.(*windowLookup)
			if _, ok, err := l.Stories(t.Context(), tx.Run, query(k, from, to)); err != nil || !ok {
				return fmt.Errorf("window [%v, %v] not answered (%v)", from, to, err)
			}
			_, inMemory, err := db.win.lookup(t.Context(), l.tx, l.now, l.snap-1, query(k, from, to))
			if err != nil {
				return err
			}
			got, err := tx.Candidates(t.Context(), query(k, from, to))
			if err != nil {
				return err
			}
			if inMemory {
				answered++
			} else if !from.Before(winBase.Add(-windowSpan)) {
				t.Errorf("window [%v, %v] inside the span was not answered from memory", from, to)
			}
			if !slices.Equal(winGUIDs(got), winGUIDs(want)) {
				t.Errorf("keys %x %q in [%v, %v]: index %q, SQL %q", k.SimHash, k.Title, from, to, winGUIDs(got), winGUIDs(want))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return answered
}

func TestWindowIndexMatchesSQL(t *testing.T) {
	db, _ := openTest(t)
	db.Now = func() time.Time { return winBase }
	r := rand.New(rand.NewPCG(1, 2))
	n := 0
	var stored []storage.Item
	// Stories over the last ten days, some joined by copies, some of
	// them earlier copies that become the representative, some changed.
	for batch := range 20 {
		var items []*storage.Item
		for range 30 {
			n++
			it := winItem(r, batch%5, n, winBase.Add(-time.Duration(r.IntN(10*24*60))*time.Minute))
			items = append(items, &it)
		}
		winPut(t, db, items...)
		for _, it := range items {
			stored = append(stored, *it)
		}
		var joins []*storage.Item
		for range 5 {
			n++
			s := stored[r.IntN(len(stored))]
			c := winItem(r, 9, n, s.Published.Add(time.Duration(r.IntN(240)-120)*time.Minute))
			c.StoryID = s.StoryID
			joins = append(joins, &c)
		}
		winPut(t, db, joins...)
		ch := stored[r.IntN(len(stored))]
		ch.Hash += "-changed"
		ch.Keys.SimHash ^= 0x0003000300030003
		ch.Keys.Body ^= 0x0001000100010001
		ch.Published = ch.Published.Add(-time.Hour)
		winPut(t, db, &ch)
		if answered := compareWindow(t, db, r, 40); answered == 0 {
			t.Fatalf("batch %d: the index answered no lookup", batch)
		}
	}
}

// The writer's transaction, which the window index does not see until it
// commits, finds candidates among its own new stories as well as the
// stored ones, as the SQL indexes would.
func TestWindowWriterCandidates(t *testing.T) {
	db, _ := openTest(t)
	db.Now = func() time.Time { return winBase }
	r := rand.New(rand.NewPCG(13, 14))
	var stored []*storage.Item
	for n := range 200 {
		it := winItem(r, n%5, n, winBase.Add(-time.Duration(r.IntN(8*24*60))*time.Minute))
		stored = append(stored, &it)
	}
	winPut(t, db, stored...)
	compared := 0
	err := db.Update(t.Context(), func(stx storage.Tx) error {
		wtx := stx.(*sqlstore.Tx)
		for n := range 30 {
			it := winItem(r, 7, 1000+n, winBase.Add(-time.Duration(r.IntN(8*24*60))*time.Minute))
			if _, err := wtx.PutItem(t.Context(), &it); err != nil {
				return err
			}
		}
		oracle := *wtx
		oracle.Index = nil
		for range 60 {
			k := winItem(r, 0, 0, time.Time{}).Keys
			at := winBase.Add(-time.Duration(r.IntN(8*24)) * time.Hour)
			q := query(k, at.Add(-72*time.Hour), at.Add(72*time.Hour))
			want, err := oracle.Candidates(t.Context(), q)
			if err != nil {
				return err
			}
			got, err := wtx.Candidates(t.Context(), q)
			if err != nil {
				return err
			}
			if !slices.Equal(winGUIDs(got), winGUIDs(want)) {
				t.Errorf("keys %x %q at %v: writer %q, SQL %q", k.SimHash, k.Title, at, winGUIDs(got), winGUIDs(want))
			}
			if slices.ContainsFunc(got, func(it storage.Item) bool { return it.FeedURL == "https://f7.example/rss" }) {
				compared++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if compared == 0 {
		t.Errorf("no lookup found one of the transaction's own stories")
	}
}

func TestWindowIndexSeesOtherWriters(t *testing.T) {
	db, path := openTest(t)
	db.Now = func() time.Time { return winBase }
	r := rand.New(rand.NewPCG(3, 4))
	a := winItem(r, 1, 1, winBase.Add(-time.Hour))
	winPut(t, db, &a)
	candidates := func() []string { return winCandidates(t, db, a.Keys) }
	if got := candidates(); !slices.Equal(got, []string{"g1"}) {
		t.Fatalf("Candidates = %q, want [g1]", got)
	}

	// Another process writes a story with the same keys.
	other, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	b := a
	b.GUID, b.Hash, b.FeedURL, b.StoryID, b.ID = "g2", "g2", "https://f2.example/rss", 0, 0
	b.Published = winBase.Add(-30 * time.Minute)
	winPut(t, other, &b)
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if got := candidates(); !slices.Equal(got, []string{"g1", "g2"}) {
		t.Errorf("after another writer: Candidates = %q, want [g1 g2]", got)
	}
	// This process's next commit finds the gap in revisions and the
	// index is rebuilt with the other writer's story.
	c := winItem(r, 3, 3, winBase.Add(-2*time.Hour))
	c.Keys.SimHash, c.Keys.Title = 0xfff0fff0fff0fff0, ""
	winPut(t, db, &c)
	if got := candidates(); !slices.Equal(got, []string{"g1", "g2"}) {
		t.Errorf("after a rebuild: Candidates = %q, want [g1 g2]", got)
	}
	db.win.mu.Lock()
	valid, rev := db.win.valid, db.win.rev
	db.win.mu.Unlock()
	if !valid {
		t.Errorf("index not rebuilt")
	}
	if got, err := db.Revision(t.Context()); err != nil || got != rev {
		t.Errorf("index at revision %d, store at %d (%v)", rev, got, err)
	}
}

func TestWindowIndexFutureDates(t *testing.T) {
	db, _ := openTest(t)
	db.Now = func() time.Time { return winBase }
	r := rand.New(rand.NewPCG(5, 6))
	recent := winItem(r, 1, 1, winBase.Add(-time.Hour))
	future := winItem(r, 2, 2, winBase.AddDate(5, 0, 0)) // a misdated item
	winPut(t, db, &recent, &future)
	if answered := compareWindow(t, db, r, 50); answered == 0 {
		t.Fatalf("a misdated story moved the index past the present: no lookup answered")
	}
	db.win.mu.Lock()
	newest := db.win.newest
	db.win.mu.Unlock()
	if newest > winBase.UnixNano() {
		t.Errorf("newest = %v, after now", time.Unix(0, newest).UTC())
	}
}

// The index is built inside a reader's own transaction: readers waiting
// for it hold every connection of the read pool.
func TestWindowIndexBuildWithPoolBusy(t *testing.T) {
	db, _ := openTest(t)
	db.Now = func() time.Time { return winBase }
	r := rand.New(rand.NewPCG(7, 8))
	a := winItem(r, 1, 1, winBase.Add(-time.Hour))
	winPut(t, db, &a)
	// Every connection of the pool is in a transaction before the first
	// lookup builds the index.
	n := db.Pool.Stats().MaxOpenConnections
	var entered sync.WaitGroup
	entered.Add(n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- db.View(t.Context(), func(tx storage.Tx) error {
				entered.Done()
				entered.Wait()
				got, err := tx.Candidates(t.Context(), query(a.Keys, winBase.Add(-72*time.Hour), winBase))
				if err == nil && len(got) != 1 {
					err = fmt.Errorf("Candidates = %q, want [g1]", winGUIDs(got))
				}
				return err
			})
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("concurrent first lookups did not finish in 30 s")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestWindowIndexLookup checks lookup against a brute-force scan over
// more entries than one chunk holds.
func TestWindowIndexLookup(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var w windowIndex
	w.reset(0, 0, 0)
	var all []windowEntry
	for i := range 3*chunkSize + 17 {
		e := windowEntry{story: int64(i + 1), published: int64(r.IntN(1000)), simhash: r.Uint64() & 0x000f000f000f000f}
		if r.IntN(2) == 0 {
			e.body = r.Uint64() & 0x000f000f000f000f
		}
		if r.IntN(3) == 0 {
			e.title = titleHash("t" + strconv.Itoa(r.IntN(50)))
		}
		w.add(e, 1000)
		all = append(all, e)
	}
	for range 200 {
		k := storage.Keys{SimHash: r.Uint64() & 0x000f000f000f000f, Title: "t" + strconv.Itoa(r.IntN(60))}
		if r.IntN(2) == 0 {
			k.Body = r.Uint64() & 0x000f000f000f000f
		}
		from, to := int64(r.IntN(1000)), int64(r.IntN(1000))
		var want []int64
		th := titleHash(k.Title)
		near := func(a, b uint64) bool {
			ab, bb := storage.Keys{SimHash: a}.Bands(), storage.Keys{SimHash: b}.Bands()
			return slices.ContainsFunc([]int{0, 1, 2, 3}, func(i int) bool { return ab[i] == bb[i] }) &&
				bits.OnesCount64(a^b) <= maxDistance
		}
		for _, e := range all {
			match := e.title == th || near(e.simhash, k.SimHash) ||
				e.body != 0 && near(e.body, k.SimHash) ||
				k.Body != 0 && (near(k.Body, e.simhash) || e.body != 0 && near(k.Body, e.body))
			if match && e.published >= from && e.published <= to {
				want = append(want, e.story)
			}
		}
		w.mu.Lock()
		got := w.match(query(k, time.Time{}, time.Time{}), from, to)
		w.mu.Unlock()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("lookup(%x, %q, %d, %d) = %d stories, want %d", k.SimHash, k.Title, from, to, len(got), len(want))
		}
	}
}

// A window earlier than the index reaches (a backlog of weeks polled for
// the first time) is answered from a second segment of the index,
// extended as far back as lookups ask and kept up to date by commits, as
// the SQL indexes would answer; past its limit, from the stories table.
func TestWindowIndexEarlierWindows(t *testing.T) {
	for _, limit := range []int{0, 50} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			db, _ := openTest(t)
			db.Now = func() time.Time { return winBase }
			db.win.oldLimit = limit
			r := rand.New(rand.NewPCG(15, 16))
			var items []*storage.Item
			for n := range 400 {
				it := winItem(r, n%7, n, winBase.Add(-time.Duration(r.IntN(30*24*60))*time.Minute))
				items = append(items, &it)
			}
			winPut(t, db, items...)
			lookups := func(days int) (inMemory int) {
				t.Helper()
				err := db.View(t.Context(), func(stx storage.Tx) error {
					tx := stx.(*sqlstore.Tx)
					oracle := *tx
					oracle.Index = nil
					l := tx.Index.(*windowLookup)
					for range 30 {
						k := winItem(r, 0, 0, time.Time{}).Keys
						at := winBase.Add(-time.Duration(days*24-r.IntN(24)) * time.Hour)
						q := query(k, at.Add(-72*time.Hour), at.Add(72*time.Hour))
						want, err := oracle.Candidates(t.Context(), q)
						if err != nil {
							return err
						}
						got, err := tx.Candidates(t.Context(), q)
						if err != nil {
							return err
						}
						if !slices.Equal(winGUIDs(got), winGUIDs(want)) {
							t.Errorf("keys %x %q at %v: index %q, SQL %q", k.SimHash, k.Title, at, winGUIDs(got), winGUIDs(want))
						}
						if _, ok, err := db.win.lookup(t.Context(), l.tx, l.now, l.snap-1, q); err != nil {
							return err
						} else if ok {
							inMemory++
						}
					}
					return nil
				})
				if err != nil {
					t.Fatalf("View: %v", err)
				}
				return inMemory
			}
			for _, days := range []int{10, 20, 12, 25} {
				in := lookups(days)
				if limit == 0 && in != 30 {
					t.Errorf("%d days back: %d of 30 lookups answered from memory, want all", days, in)
				}
				if limit > 0 && in != 0 {
					t.Errorf("%d days back, past the limit: %d lookups answered from memory, want none", days, in)
				}
				// Stories stored in the earlier windows after the
				// segment was read are seen too.
				var late []*storage.Item
				for n := range 20 {
					it := winItem(r, 8, 1000*days+n, winBase.Add(-time.Duration(days*24-r.IntN(48))*time.Hour))
					late = append(late, &it)
				}
				winPut(t, db, late...)
				lookups(days)
			}
			db.win.mu.Lock()
			old, oldFrom := db.win.oldValid, db.win.old.from
			db.win.mu.Unlock()
			if want := limit == 0; old != want {
				t.Errorf("earlier segment held: %v, want %v", old, want)
			}
			if limit == 0 && oldFrom > winBase.Add(-28*24*time.Hour).UnixNano() {
				t.Errorf("earlier segment reaches %v, not the 28 days asked", time.Unix(0, oldFrom).UTC())
			}
		})
	}
}

// A read-only DB (status, explain) sees the daemon's commits: its index
// applies none itself, so lookups whose snapshots are newer read the
// table until it is rebuilt.
func TestWindowIndexReadOnly(t *testing.T) {
	db, path := openTest(t)
	db.Now = func() time.Time { return winBase }
	r := rand.New(rand.NewPCG(17, 18))
	a := winItem(r, 1, 1, winBase.Add(-time.Hour))
	winPut(t, db, &a)
	ro, err := OpenReadOnly(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ro.Now = db.Now
	candidates := func() []string { return winCandidates(t, ro, a.Keys) }
	if got := candidates(); !slices.Equal(got, []string{"g1"}) {
		t.Fatalf("Candidates = %q, want [g1]", got)
	}
	b := a
	b.GUID, b.Hash, b.FeedURL, b.StoryID, b.ID = "g2", "g2", "https://f2.example/rss", 0, 0
	winPut(t, db, &b)
	if got := candidates(); !slices.Equal(got, []string{"g1", "g2"}) {
		t.Errorf("after the writer's commit: Candidates = %q, want [g1 g2]", got)
	}
}

// The index holds an entry for every story of four to six days: its size
// is most of the index's memory.
func TestWindowEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(windowEntry{}); n != 72 {
		t.Errorf("windowEntry is %d bytes, want 72", n)
	}
}

// A story whose representative changed is chained under its new keys
// only: its old entry is dead.
func TestWindowIndexKill(t *testing.T) {
	var w windowIndex
	w.reset(0, 0, 0)
	const old, repl = 0x1111_2222_3333_4444, 0x5555_6666_7777_8888
	w.add(windowEntry{story: 7, published: 10, simhash: old}, 100)
	w.add(windowEntry{story: 8, published: 10, simhash: old}, 100)
	w.recent.kill(7, old)
	w.add(windowEntry{story: 7, published: 10, simhash: repl}, 100)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range []struct {
		simhash uint64
		want    []int64
	}{{old, []int64{8}}, {repl, []int64{7}}} {
		got := w.match(query(storage.Keys{SimHash: c.simhash}, time.Time{}, time.Time{}), 0, 100)
		if !slices.Equal(got, c.want) {
			t.Errorf("match(%x) = %v, want %v", c.simhash, got, c.want)
		}
	}
}
