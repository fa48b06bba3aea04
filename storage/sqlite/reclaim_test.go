package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// TestReclaimGivesSpaceBack checks that after retention removes most of
// a new database's stories, the file shrinks by itself, in steps, while
// writes go on.
func TestReclaimGivesSpaceBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reclaim.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for b := range 20 {
		err := db.Update(t.Context(), func(tx storage.Tx) error {
			for i := range 100 {
				n := b*100 + i
				it := storage.Item{
					Item: feeds.Item{GUID: fmt.Sprint(n), URL: fmt.Sprintf("https://r.test/%d", n), Title: fmt.Sprintf("Story %d", n),
						Summary: noise(fmt.Sprint("s", n), 1200), Content: noise(fmt.Sprint(n), 2400), Published: base.Add(time.Duration(n) * time.Minute)},
					FeedURL: "https://r.test/rss", Hash: fmt.Sprint(n),
					Keys:      storage.Keys{URL: fmt.Sprintf("r.test/%d", n), SimHash: uint64(n) * 0x9e3779b97f4a7c15},
					FirstSeen: base.Add(time.Duration(n) * time.Minute),
				}
				if _, err := tx.PutItem(t.Context(), &it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	size := func() int64 {
		db.checkpoint(t.Context())
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	full := size()
	err = db.Update(t.Context(), func(tx storage.Tx) error {
		_, err := tx.Expire(t.Context(), storage.ExpireQuery{Before: base.Add(1900 * time.Minute), Limit: 5000, Now: base.Add(48 * time.Hour)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Writes go on; the checkpointer gives pages back between them.
	deadline := time.Now().Add(30 * time.Second)
	for size() > full/2 {
		if time.Now().After(deadline) {
			t.Fatalf("the file stayed at %d bytes (full: %d) after most stories were removed", size(), full)
		}
		if err := db.Update(t.Context(), func(tx storage.Tx) error {
			return tx.PutFeed(t.Context(), storage.Feed{URL: "https://r.test/rss", State: storage.StateOK})
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("file: %d bytes full, %d after removing 95%% of the stories", full, size())
	if s, err := db.Stats(t.Context()); err != nil || s.Stories != 100 {
		t.Errorf("stories left: %+v %v, want 100", s, err)
	}
}

// TestNewDatabaseLayout checks that a new database gets the page size and
// incremental auto-vacuum that reclaim and the rows' layout rely on, and
// WAL mode, and that reopening it keeps them.
func TestNewDatabaseLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	for range 2 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		var size, vacuum int
		var mode string
		err = db.Pool.QueryRowContext(t.Context(), `SELECT page_size, auto_vacuum, journal_mode FROM pragma_page_size, pragma_auto_vacuum, pragma_journal_mode`).Scan(&size, &vacuum, &mode)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		if size != pageSize || vacuum != 2 || mode != "wal" {
			t.Errorf("page_size %d, auto_vacuum %d, journal_mode %s; want %d, 2 (incremental), wal", size, vacuum, mode, pageSize)
		}
	}
}
