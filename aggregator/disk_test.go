package aggregator_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// mountTmpfs mounts a tmpfs of the given size on a new folder, or skips
// the test where that is not allowed (it needs root).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file in dir until the disk is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
}

// bulkyRSS is longRSS(n) with 16 KiB of text that compresses badly
// in every item after the 20th: the items a poll writes on a sick disk
// need more space than the database and its write-ahead log already
// hold, stored compressed in 16 KiB pages.
func bulkyRSS(n int) []byte {
	doc := string(longRSS(n))
	for i := 20; i < n; i++ {
		old := fmt.Sprintf("<description>Item %d reports", i)
		sum := sha256.Sum256([]byte(old))
		var noise strings.Builder
		for range 256 {
			noise.WriteString(hex.EncodeToString(sum[:]) + " ")
			sum = sha256.Sum256(sum[:])
		}
		doc = strings.Replace(doc, old, old+" "+noise.String(), 1)
	}
	return []byte(doc)
}

// sickDiskService opens a service whose database lives in dir, with one
// feed at url.
func sickDiskService(t *testing.T, dir, url string) (*aggregator.Service, storage.Store, string) {
	t.Helper()
	db := filepath.Join(dir, "feedmerge.db")
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	y := fmt.Sprintf("database: %s\nschedule: \"@every 1m\"\nfetch:\n  host_delay: 0s\nfeeds:\n  - url: %s\n    title: Outlet\n", db, url)
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	svc, store := open(t, cfgPath)
	return svc, store, db
}

func get(t *testing.T, svc *aggregator.Service, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

// sickDisk runs the scenario both sick-disk tests share: a first poll
// stores 20 items; sicken makes the disk refuse writes; a poll of 200 new
// items fails, is reported (Result, Status, /healthz, one log line), keeps
// the feed scheduled and loses nothing; heal restores the disk and the
// next poll stores everything.
func sickDisk(t *testing.T, dir string, sicken, heal func(), want string) {
	f := newFarm(t)
	f.set("/rss", farmDoc{body: longRSS(20), contentType: "application/rss+xml"})
	svc, store, db := sickDiskService(t, dir, f.URL+"/rss")
	if r := svc.Poll(t.Context(), f.URL+"/rss", false); r.Outcome != aggregator.OutcomeFetched || r.New != 20 {
		t.Fatalf("first poll: %+v", r)
	}
	if code, _ := get(t, svc, "/healthz"); code != 200 {
		t.Fatalf("healthz on a healthy disk: %d", code)
	}

	sicken()
	f.set("/rss", farmDoc{body: bulkyRSS(220), contentType: "application/rss+xml"})
	start := time.Now()
	r := svc.Poll(t.Context(), f.URL+"/rss", true)
	if r.Outcome != aggregator.OutcomeFailed || r.Err == nil || !strings.Contains(r.Err.Error(), db) || !strings.Contains(r.Err.Error(), want) {
		t.Fatalf("poll on a sick disk: %+v; want failed, naming %s and %q", r, db, want)
	}
	t.Logf("poll on a sick disk: %v", r.Err)
	if r.NextPoll.IsZero() || r.NextPoll.After(start.Add(6*time.Minute)) {
		t.Errorf("next poll %v: want the feed kept scheduled within minutes", r.NextPoll)
	}
	rows, err := svc.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st := rows[0]; st.State != storage.StateError || st.Errors != 1 || !strings.Contains(st.LastError, want) {
		t.Errorf("status on a sick disk: state %s, %d errors, last error %q", st.State, st.Errors, st.LastError)
	}
	code, body := get(t, svc, "/healthz")
	if code != 503 || !strings.Contains(body, want) || !strings.Contains(body, db) {
		t.Errorf("healthz on a sick disk: %d %s; want 503 naming the database and the problem", code, body)
	}
	t.Logf("healthz on a sick disk: %d %s", code, body)
	if code, body := get(t, svc, "/feed.atom"); code != 200 || strings.Count(body, "<entry") != 20 {
		t.Errorf("merged feed on a sick disk: %d with %d entries, want the 20 stored", code, strings.Count(body, "<entry"))
	}
	// Not due yet: the scheduler would leave it alone until its backoff
	// ends; a poll that is not forced says so.
	if r := svc.Poll(t.Context(), f.URL+"/rss", false); r.Outcome != aggregator.OutcomeSkipped {
		t.Errorf("poll during backoff: %+v, want skipped", r)
	}

	heal()
	r = svc.Poll(t.Context(), f.URL+"/rss", true)
	if r.Outcome != aggregator.OutcomeFetched || r.New != 200 {
		t.Fatalf("poll after the disk recovered: %+v, want 200 new", r)
	}
	if code, body := get(t, svc, "/healthz"); code != 200 {
		t.Errorf("healthz after recovery: %d %s", code, body)
	}
	if n := storedItems(t, store); n != 220 {
		t.Errorf("stored %d items after recovery, want 220", n)
	}
	rows, _ = svc.Status(t.Context())
	if st := rows[0]; st.State != storage.StateOK || st.Errors != 0 {
		t.Errorf("status after recovery: %s, %d errors", st.State, st.Errors)
	}
}

// TestDiskFull fills the database's disk between two polls.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "16m")
	var filler string
	sickDisk(t, dir, func() { filler = fill(t, dir) }, func() {
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
	}, "full")
}

// TestReadOnlyDisk puts the database on a disk that has become
// read-only, as after an operator's mistake or a failing disk the kernel
// remounted: the daemon refuses to start with one line naming the file,
// and the file is left as it was. (The file is on a bind mount,
// remounted read-only while nothing on it is open for writing.)
func TestReadOnlyDisk(t *testing.T) {
	base := mountTmpfs(t, "16m")
	dir := t.TempDir()
	mount := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %v: %v %s", args, err, out)
		}
	}
	mount("--bind", base, dir)
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	db := filepath.Join(dir, "feedmerge.db")
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(t.Context(), func(tx storage.Tx) error { return tx.PutFeed(t.Context(), storage.Feed{URL: "https://a.example/rss"}) }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before, _ := os.ReadFile(db)
	mount("-o", "remount,ro,bind", dir)

	_, err = sqlite.Open(t.Context(), db)
	if err == nil || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "read-only") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Open on a read-only disk: %v; want one line naming the file as read-only", err)
	}
	t.Logf("Open on a read-only disk: %v", err)
	// Readers still work.
	ro, err := sqlite.OpenReadOnly(t.Context(), db)
	if err != nil {
		t.Fatalf("OpenReadOnly on a read-only disk: %v", err)
	}
	if s, err := ro.Stats(t.Context()); err != nil || s.Feeds != 1 {
		t.Errorf("Stats read-only: %+v %v", s, err)
	}
	ro.Close()
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Error("the file changed")
	}
}
