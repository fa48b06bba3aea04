package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// TestWALBounded checks that the background checkpoints keep the WAL from
// growing with the number of commits.
func TestWALBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	path := filepath.Join(t.TempDir(), "wal.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const batches, batch = 250, 20
	var maxWAL int64
	for i := range batches {
		err := db.Update(t.Context(), func(tx storage.Tx) error {
			for j := range batch {
				it := benchItem(i*batch + j)
				if _, err := tx.PutItem(t.Context(), &it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			maxWAL = max(maxWAL, fi.Size())
		}
	}
	// Once the WAL is copied, the next writer starts it again and cuts it
	// back to walLimit.
	time.Sleep(3 * checkpointInterval)
	if err := db.Update(t.Context(), func(tx storage.Tx) error { return tx.PutFeed(t.Context(), storage.Feed{URL: "x"}) }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest WAL %d bytes, after a pause %d", maxWAL, fi.Size())
	if frames := db.checkpoint(t.Context()); frames >= db.restartFrames {
		t.Errorf("WAL holds %d pages after a pause, want it started again (< %d)", frames, db.restartFrames)
	}
	// Writes go on while a checkpoint runs, and the next one starts at
	// most checkpointInterval after a commit: the WAL overshoots its limit
	// by what the writer commits in between, here most of another limit.
	if maxWAL > 3*walLimit {
		t.Errorf("WAL grew to %d bytes under steady writes, want at most three times its limit of %d", maxWAL, walLimit)
	}
	if fi.Size() > walLimit {
		t.Errorf("WAL after a pause is %d bytes, want at most %d", fi.Size(), walLimit)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL after Close is %d bytes, want 0 or none", fi.Size())
	}
}
