package sqlite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmerge/feedmerge/storage/sqlite"
	"github.com/feedmerge/feedmerge/storage/storagetest"
)

// release4 copies the database written by the release of schema
// version 4 into a temporary folder and returns its path.
func release4(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../storagetest/testdata/release4.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "feedmerge.db")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrateRelease4 upgrades a database written by the release of
// schema version 4 in place and checks that it answers exactly as that
// release did, before and after reopening.
func TestMigrateRelease4(t *testing.T) {
	want, err := storagetest.ReadSnapshot("../storagetest/testdata/release4.json")
	if err != nil {
		t.Fatal(err)
	}
	path := release4(t)
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	storagetest.CheckSnapshot(t, db, want)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	storagetest.CheckSnapshot(t, db, want)
	storagetest.CheckWritesAfter(t, db, want)
}

// TestReadOnlyRelease4: a reader refuses a database the daemon has not
// upgraded yet, says so, and changes nothing. (Beside a database in WAL
// mode any SQLite reader makes the -wal and -shm files it reads through.)
func TestReadOnlyRelease4(t *testing.T) {
	path := release4(t)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.OpenReadOnly(t.Context(), path)
	if err == nil {
		db.Close()
		t.Fatal("OpenReadOnly of a version 4 database succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "older than this feedmerge's; the daemon (feedmerge run or once) upgrades it") {
		t.Errorf("OpenReadOnly: %v, want it to say the daemon upgrades the database", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("OpenReadOnly changed the database file")
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "feedmerge.db", "feedmerge.db-wal", "feedmerge.db-shm":
		default:
			t.Errorf("OpenReadOnly left %s beside the database", e.Name())
		}
	}
}
