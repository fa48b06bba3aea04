package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
)

// fakeService records the configurations it is given.
type fakeService struct {
	mu  sync.Mutex
	got []*aggregator.Config
	err error
}

func (s *fakeService) Reload(cfg *aggregator.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, cfg)
	return nil
}

// fail makes Reload return err from now on.
func (s *fakeService) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *fakeService) reloads() []*aggregator.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*aggregator.Config(nil), s.got...)
}

// watchFile is one config file under test, with a watcher on it. Every
// write gets its own modification time, a second after the last, so that
// versions differ even when the file system's clock is coarse.
type watchFile struct {
	t     *testing.T
	path  string
	mtime time.Time
	svc   *fakeService
	log   *syncBuffer
	hup   chan os.Signal
	w     *watcher
}

// Test timings: a poll every 10ms, a change settled after 40ms.
const (
	testPoll   = 10 * time.Millisecond
	testSettle = 40 * time.Millisecond
)

// newWatchFile writes initial to a config.yaml and starts a watcher on it
// until the test ends. Call it inside a synctest bubble.
func newWatchFile(t *testing.T, initial string) *watchFile {
	t.Helper()
	f := &watchFile{
		t:     t,
		path:  filepath.Join(t.TempDir(), "config.yaml"),
		mtime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		svc:   &fakeService{},
		log:   &syncBuffer{},
		hup:   make(chan os.Signal, 1),
	}
	f.write(initial)
	f.w = &watcher{path: f.path, svc: f.svc, log: slog.New(slog.NewTextHandler(f.log, nil)), hup: f.hup,
		poll: testPoll, settle: testSettle, checks: 2}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { f.w.run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	synctest.Wait() // the watcher has taken the file's first stamp
	return f
}

func (f *watchFile) write(data string) {
	f.t.Helper()
	if err := os.WriteFile(f.path, []byte(data), 0o644); err != nil {
		f.t.Fatal(err)
	}
	f.touch()
}

func (f *watchFile) touch() {
	f.t.Helper()
	f.mtime = f.mtime.Add(time.Second)
	if err := os.Chtimes(f.path, f.mtime, f.mtime); err != nil {
		f.t.Fatal(err)
	}
}

// settle lets the watcher notice and handle what was written.
func (f *watchFile) settle() {
	time.Sleep(testPoll + 2*testSettle)
	synctest.Wait()
}

// refusals returns the log lines of reloads that did not happen.
func (f *watchFile) refusals() []string {
	var lines []string
	for l := range strings.Lines(f.log.String()) {
		if strings.Contains(l, "config not reloaded") {
			lines = append(lines, l)
		}
	}
	return lines
}

const (
	oneFeed  = "feeds:\n  - url: https://a.example/rss.xml\n"
	twoFeeds = "feeds:\n  - url: https://a.example/rss.xml\n  - url: https://b.example/rss.xml\n"
)

func TestWatcherReload(t *testing.T) {
	tests := []struct {
		name    string
		edit    string // the file's new contents; "-" removes it
		svcErr  error
		reloads int    // configurations handed to the service
		why     string // in the one log line of a refused reload
	}{
		{name: "valid edit", edit: twoFeeds, reloads: 1},
		{name: "empty", edit: "", why: "config.yaml is empty; keeping the running configuration"},
		{name: "blank lines", edit: "\n  \n\t\n", why: "config.yaml is empty; keeping the running configuration"},
		{name: "only comments", edit: "# feeds:\n#  - url: https://a.example/rss.xml\n", why: "config.yaml is empty; keeping the running configuration"},
		{name: "unparsable", edit: "feeds:\n  - url: [https://a.exa", why: "config.yaml does not parse, perhaps half-written; keeping the running configuration: "},
		{name: "invalid", edit: oneFeed + "  - url: ftp://b.example/\n", why: `config.yaml:3: bad feed url "ftp://b.example/": scheme must be http or https; keeping the running configuration`},
		{name: "several problems on one line", edit: "listen: x\nfeeds: 1\n", why: `config.yaml:1: listen "x": want host:port, such as 127.0.0.1:8080; config.yaml:2: feeds: want a list, got "1"; keeping`},
		{name: "removed", edit: "-", why: "read config: "},
		{name: "refused by the service", edit: twoFeeds, svcErr: errors.New("feed https://b.example/rss.xml: nope"), why: "feed https://b.example/rss.xml: nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newWatchFile(t, oneFeed)
				f.svc.fail(tt.svcErr)
				if tt.edit == "-" {
					if err := os.Remove(f.path); err != nil {
						t.Fatal(err)
					}
				} else {
					f.write(tt.edit)
				}
				f.settle()
				if got := len(f.svc.reloads()); got != tt.reloads {
					t.Errorf("reloads = %d, want %d; log:\n%s", got, tt.reloads, f.log)
				}
				refusals := f.refusals()
				if tt.why == "" {
					if len(refusals) != 0 {
						t.Errorf("refused: %q", refusals)
					}
					return
				}
				if len(refusals) != 1 {
					t.Fatalf("got %d refusal lines, want 1; log:\n%s", len(refusals), f.log)
				}
				why := strings.ReplaceAll(tt.why, "config.yaml", f.path)
				if !strings.Contains(strings.ReplaceAll(refusals[0], `\"`, `"`), why) {
					t.Errorf("refusal %q does not say %q", refusals[0], why)
				}
			})
		})
	}
}

func TestWatcherWaitsForTheWriterToFinish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newWatchFile(t, oneFeed)
		// A slow writer: twenty feeds, one every 5ms, each write a
		// file that parses (with fewer feeds) or not (cut mid-line).
		var full strings.Builder
		full.WriteString("feeds:\n")
		for i := range 20 {
			fmt.Fprintf(&full, "  - url: https://%d.example/rss.xml\n", i)
		}
		lines := strings.SplitAfter(full.String(), "\n")
		var sofar string
		for _, l := range lines {
			half := len(l) / 2
			for _, part := range []string{l[:half], l[half:]} {
				sofar += part
				f.write(sofar)
				time.Sleep(testSettle / 8)
			}
		}
		f.settle()
		got := f.svc.reloads()
		if len(got) != 1 || len(got[0].Feeds) != 20 {
			n := -1
			if len(got) > 0 {
				n = len(got[len(got)-1].Feeds)
			}
			t.Errorf("got %d reloads, the last with %d feeds; want one with 20; log:\n%s", len(got), n, f.log)
		}
		if r := f.refusals(); len(r) != 0 {
			t.Errorf("refused a reload while the file was written: %q", r)
		}
	})
}

func TestWatcherHalfWrittenThenDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newWatchFile(t, oneFeed)
		// The writer stalls longer than the debounce half-way: the
		// half-written file is refused, the finished one taken.
		f.write("feeds:\n  - url: https://a.example/rss.xml\n  - url: \"https://b.exa")
		f.settle()
		if n := len(f.svc.reloads()); n != 0 {
			t.Fatalf("reloaded a half-written file (%d reloads)", n)
		}
		if r := f.refusals(); len(r) != 1 || !strings.Contains(r[0], "perhaps half-written") {
			t.Errorf("refusals = %q, want one saying the file is perhaps half-written", r)
		}
		f.write(twoFeeds)
		f.settle()
		if got := f.svc.reloads(); len(got) != 1 || len(got[0].Feeds) != 2 {
			t.Errorf("reloads = %d, want one with both feeds", len(got))
		}
	})
}

func TestWatcherReloadsOnSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newWatchFile(t, oneFeed)
		f.settle()
		if n := len(f.svc.reloads()); n != 0 {
			t.Fatalf("reloaded an unchanged file %d times", n)
		}
		f.hup <- os.Interrupt // any signal on the channel
		f.settle()
		if n := len(f.svc.reloads()); n != 1 {
			t.Errorf("reloads after a signal = %d, want 1", n)
		}
	})
}

func TestCheckRefusesEmptyConfig(t *testing.T) {
	for _, body := range []string{"", "\n\n", "# feeds:\n#  - url: https://a.example/rss.xml\n"} {
		path := writeConfig(t, body)
		code, _, errs := run(t, "check", "-config", path)
		if want := path + ":1: config is empty\n"; code != exitUsage || errs != want {
			t.Errorf("check of %q: code %d, stderr %q; want %d, %q", body, code, errs, exitUsage, want)
		}
	}
}
