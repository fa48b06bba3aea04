package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnceProfiles checks that once writes the CPU and heap profiles it
// is asked for, and fails in one line when it cannot.
func TestOnceProfiles(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>P</title><item><guid>1</guid><link>https://example.test/1</link><title>Hello</title></item></channel></rss>`)
	}))
	defer srv.Close()
	cfg := writeConfig(t, fmt.Sprintf("database: t.db\nfetch:\n  host_delay: 0s\nfeeds:\n  - url: %s/feed.xml\n", srv.URL))
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	if code, out, errs := run(t, "once", "-config", cfg, "-cpuprofile", cpu, "-memprofile", mem); code != exitOK {
		t.Fatalf("once: code %d\n%s%s", code, out, errs)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) { // pprof's gzipped protobuf
			t.Errorf("%s: not a profile (%d bytes)", filepath.Base(p), len(b))
		}
	}

	missing := filepath.Join(dir, "no", "such", "dir", "cpu.prof")
	code, _, errs := run(t, "once", "-config", cfg, "-cpuprofile", missing)
	if code != exitFailure || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, missing) {
		t.Errorf("unwritable -cpuprofile: code %d, stderr %q; want 1 and one line naming it", code, errs)
	}
}
