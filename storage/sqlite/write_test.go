package sqlite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// TestGroupCommit queues calls behind a running one, so that the writer
// runs them in one transaction: the failing and the panicking call roll
// back alone, the others commit, in call order.
func TestGroupCommit(t *testing.T) {
	db, _ := openTest(t)
	db.Now = func() time.Time { return winBase }
	db.groupTime = time.Minute // the group's calls must not be split by a slow machine
	r := rand.New(rand.NewPCG(9, 9))
	items := make([]storage.Item, 5)
	for i := range items {
		items[i] = winItem(r, i, i+1, winBase.Add(-time.Duration(i)*time.Hour))
	}
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce) // before the store closes, should the test fail early
	running := make(chan struct{})
	errFail := errors.New("this call fails")
	calls := []func(storage.Tx) error{
		func(tx storage.Tx) error { // holds the writer while the others queue
			close(running)
			<-release
			_, err := tx.PutItem(t.Context(), &items[0])
			return err
		},
		func(tx storage.Tx) error {
			_, err := tx.PutItem(t.Context(), &items[1])
			return err
		},
		func(tx storage.Tx) error { // writes, then fails: rolled back alone
			if _, err := tx.PutItem(t.Context(), &items[2]); err != nil {
				return err
			}
			return errFail
		},
		func(tx storage.Tx) error { // writes, then panics: rolled back alone
			if _, err := tx.PutItem(t.Context(), &items[3]); err != nil {
				return err
			}
			panic("boom")
		},
		func(tx storage.Tx) error { // sees what the calls before it wrote
			if got, err := tx.ItemsByGUID(t.Context(), items[1].FeedURL, []string{items[1].GUID}); err != nil || len(got) != 1 {
				return fmt.Errorf("an earlier call's item: %d found, %v", len(got), err)
			}
			_, err := tx.PutItem(t.Context(), &items[4])
			return err
		},
	}
	type result struct {
		err      error
		panicVal any
	}
	results := make([]chan result, len(calls))
	for i, fn := range calls {
		results[i] = make(chan result, 1)
		go func() {
			defer func() {
				if v := recover(); v != nil {
					results[i] <- result{panicVal: v}
				}
			}()
			results[i] <- result{err: db.Update(t.Context(), fn)}
		}()
		if i == 0 {
			<-running
		} else {
			// Each call waits in the queue before the next is made, so
			// they run in this order.
			waitQueued(t, db, i)
		}
	}
	releaseOnce()
	got := make([]result, len(calls))
	for i := range calls {
		got[i] = <-results[i]
	}
	for i, want := range []result{{}, {}, {err: errFail}, {panicVal: "boom"}, {}} {
		if !errors.Is(got[i].err, want.err) || (want.err == nil) != (got[i].err == nil) || got[i].panicVal != want.panicVal {
			t.Errorf("call %d: %+v, want %+v", i, got[i], want)
		}
	}
	var stored []string
	err := db.View(t.Context(), func(tx storage.Tx) error {
		for _, it := range items {
			got, err := tx.ItemsByGUID(t.Context(), it.FeedURL, []string{it.GUID})
			if err != nil {
				return err
			}
			if _, ok := got[it.GUID]; ok {
				stored = append(stored, it.GUID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"g1", "g2", "g5"}; !slices.Equal(stored, want) {
		t.Errorf("stored %q, want %q", stored, want)
	}
	// One group, one commit: the revision moved once.
	if rev, err := db.Revision(t.Context()); err != nil || rev != 1 {
		t.Errorf("revision = %d (%v), want 1: the calls did not commit together", rev, err)
	}
	// The committed stories are in the window index too.
	if answered := compareWindow(t, db, r, 50); answered == 0 {
		t.Errorf("the window index answered no lookup after a group commit")
	}
}

// waitQueued waits until n calls wait in the writer's queue.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(db.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls did not queue", n)
		}
		time.Sleep(time.Millisecond)
	}
}
