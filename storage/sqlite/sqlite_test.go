package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/sqlite"
	"github.com/feedmerge/feedmerge/storage/storagetest"
)

func TestStore(t *testing.T) {
	dir := t.TempDir()
	storagetest.Run(t, func(t *testing.T, key string) storage.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(dir, key+".db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	})
}
