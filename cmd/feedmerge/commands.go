package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/postgres"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// Main holds what every command shares: where it writes.
type Main struct {
	Stdout, Stderr io.Writer
}

// errorf prints a one-line error and returns code.
func (m *Main) errorf(code int, format string, args ...any) int {
	fmt.Fprintf(m.Stderr, "feedmerge: "+format+"\n", args...)
	return code
}

func (m *Main) flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cfg := fs.String("config", "config.yaml", "configuration file")
	return fs, cfg
}

func (m *Main) parse(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 && fs.Name() != "explain" {
		return m.errorf(exitUsage, "%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return -1
}

// loadConfig reads the config; on problems it prints each on its own line
// and returns exit code 2.
func (m *Main) loadConfig(path string) (*aggregator.Config, int) {
	cfg, err := aggregator.LoadConfig(path)
	if err != nil {
		var ce *aggregator.ConfigError
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				fmt.Fprintln(m.Stderr, p)
			}
			return nil, exitUsage
		}
		return nil, m.errorf(exitUsage, "%v", err)
	}
	return cfg, -1
}

// storeMode says how a command uses the store.
type storeMode int

const (
	readOnly storeMode = iota // status, export, explain: beside a running daemon, creating nothing
	writer                    // run, once, demo: one process per SQLite file, which may be created
)

// openStore opens the backend the database setting selects. A SQLite
// writer first takes the file's lock, so two daemons never poll into one
// file; readers open an existing file read-only.
func openStore(ctx context.Context, cfg *aggregator.Config, mode storeMode) (storage.Store, error) {
	db := cfg.DatabasePath()
	if aggregator.IsPostgres(db) {
		return postgres.Open(ctx, db)
	}
	if mode == readOnly {
		return sqlite.OpenReadOnly(ctx, db)
	}
	lock, err := sqlite.Lock(db)
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &lockedStore{DB: st, lock: lock}, nil
}

// lockedStore is a SQLite store that holds its file's lock until Close.
type lockedStore struct {
	*sqlite.DB
	lock *sqlite.FileLock
}

func (s *lockedStore) Close() error {
	err := s.DB.Close()
	return errors.Join(err, s.lock.Close())
}

// openError is the one line for a store that did not open.
func (m *Main) openError(cfg *aggregator.Config, err error) int {
	switch {
	case errors.Is(err, sqlite.ErrLocked):
		return m.errorf(exitFailure, "%v", err)
	case errors.Is(err, storage.ErrNotFound):
		return m.errorf(exitFailure, "no database at %s yet: nothing has been polled; run 'feedmerge once' or 'feedmerge run' first", cfg.DatabasePath())
	}
	if strings.Contains(err.Error(), cfg.DatabasePath()) {
		return m.errorf(exitFailure, "%v", err) // it names the file already
	}
	return m.errorf(exitFailure, "open database %s: %v", cfg.Database, err)
}

func (m *Main) logger(debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
}

// setup loads the config and opens the store (see openStore for mode)
// and service.
func (m *Main) setup(ctx context.Context, path string, log *slog.Logger, mode storeMode) (*aggregator.Service, storage.Store, int) {
	cfg, code := m.loadConfig(path)
	if cfg == nil {
		return nil, nil, code
	}
	store, err := openStore(ctx, cfg, mode)
	if err != nil {
		return nil, nil, m.openError(cfg, err)
	}
	svc, err := aggregator.New(cfg, store, log)
	if err != nil {
		store.Close()
		return nil, nil, m.errorf(exitUsage, "%s: %v", path, err)
	}
	return svc, store, -1
}

// Daemon is `feedmerge run`.
func (m *Main) Daemon(ctx context.Context, args []string) int {
	fs, path := m.flags("run")
	debug := fs.Bool("debug", false, "log every poll")
	prof := addProfileFlags(fs)
	if c := m.parse(fs, args); c >= 0 {
		return c
	}
	if err := prof.start(); err != nil {
		return m.errorf(exitFailure, "%v", err)
	}
	defer m.stopProfiles(prof)
	log := m.logger(*debug)
	svc, store, code := m.setup(ctx, *path, log, writer)
	if svc == nil {
		return code
	}
	defer store.Close()
	cfg := svc.Config()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return m.errorf(exitFailure, "listen on %s (listen in %s): %v", cfg.Listen, *path, err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go watchConfig(rctx, *path, svc, log)
	log.Info("feedmerge started", "config", *path, "feeds", len(cfg.Feeds), "database", cfg.Database)
	if err := svc.Run(rctx, ln); err != nil {
		return m.errorf(exitFailure, "%v", err)
	}
	log.Info("feedmerge stopped")
	return exitOK
}

// Once is `feedmerge once`.
func (m *Main) Once(ctx context.Context, args []string) int {
	fs, path := m.flags("once")
	force := fs.Bool("force", false, "poll feeds the server asked us to leave alone too")
	debug := fs.Bool("debug", false, "log details")
	prof := addProfileFlags(fs)
	if c := m.parse(fs, args); c >= 0 {
		return c
	}
	if err := prof.start(); err != nil {
		return m.errorf(exitFailure, "%v", err)
	}
	defer m.stopProfiles(prof)
	svc, store, code := m.setup(ctx, *path, m.logger(*debug), writer)
	if svc == nil {
		return code
	}
	defer store.Close()
	start := time.Now()
	tty := isTerminal(m.Stderr)
	progress := progressLine(m.Stderr, len(svc.Config().Feeds), tty)
	results := svc.PollAllProgress(ctx, *force, progress)
	if tty {
		fmt.Fprint(m.Stderr, "\r\033[K") // clear the progress line
	}
	took := time.Since(start)
	m.stopProfiles(prof)
	runtime.KeepAlive(svc) // in the heap profile

	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tRESULT\tNEW\tUPDATED\tNOTE")
	var nNew, nUpd, failed, skipped int
	for _, r := range results {
		note := ""
		if r.Err != nil {
			note = r.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", r.URL, r.Outcome, r.New, r.Updated, note)
		nNew += r.New
		nUpd += r.Updated
		switch r.Outcome {
		case aggregator.OutcomeFailed:
			failed++
		case aggregator.OutcomeSkipped, aggregator.OutcomeThrottled:
			skipped++
		}
	}
	tw.Flush()
	fmt.Fprintf(m.Stdout, "%d feeds in %s: %d new items, %d updated, %d skipped, %d failed\n",
		len(results), took.Round(time.Millisecond), nNew, nUpd, skipped, failed)
	if skipped > 0 && !*force {
		fmt.Fprintln(m.Stdout, "skipped feeds asked to be left alone for now; -force polls them anyway")
	}
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressLine returns a function that reports on w the feeds polled so
// far, of total, the new items and the failures: on a terminal (tty) by
// redrawing one line as polls end; elsewhere (a pipe, a log) as a plain
// line every plainEvery, so a short run prints none.
func progressLine(w io.Writer, total int, tty bool) func(aggregator.Result) {
	done, items, failed := 0, 0, 0
	start := time.Now()
	last := start
	return func(r aggregator.Result) {
		done++
		items += r.New
		if r.Outcome == aggregator.OutcomeFailed {
			failed++
		}
		now := time.Now()
		switch {
		case tty && (done == total || now.Sub(last) >= 100*time.Millisecond):
			fmt.Fprintf(w, "\r\033[Kpolled %d of %d feeds: %d new items, %d failed", done, total, items, failed)
		case !tty && now.Sub(last) >= plainEvery:
			fmt.Fprintf(w, "polled %d of %d feeds in %s: %d new items, %d failed\n", done, total, now.Sub(start).Round(time.Second), items, failed)
		default:
			return
		}
		last = now
	}
}

// plainEvery is how often once reports its progress off a terminal.
const plainEvery = 10 * time.Second

// Check is `feedmerge check`.
func (m *Main) Check(ctx context.Context, args []string) int {
	fs, path := m.flags("check")
	if c := m.parse(fs, args); c >= 0 {
		return c
	}
	cfg, code := m.loadConfig(*path)
	if cfg == nil {
		return code
	}
	fmt.Fprintf(m.Stdout, "%s: ok, %d feeds\n", *path, len(cfg.Feeds))
	return exitOK
}

// Export is `feedmerge export`.
func (m *Main) Export(ctx context.Context, args []string) int {
	fs, path := m.flags("export")
	format := fs.String("format", "atom", "atom, rss or json; opml for the configured feeds")
	limit := fs.Int("limit", -1, "stories to write; 0 means every stored story (default output.items)")
	tag := fs.String("tag", "", "only stories from feeds with this tag")
	if c := m.parse(fs, args); c >= 0 {
		return c
	}
	if strings.EqualFold(strings.TrimSpace(*format), "opml") {
		return m.exportOPML(*path, *tag)
	}
	f, err := feeds.ParseFormat(*format)
	if err != nil {
		return m.errorf(exitUsage, "export: %v", err)
	}
	cfg, code := m.loadConfig(*path)
	if cfg == nil {
		return code
	}
	if *limit < 0 {
		*limit = cfg.Output.Items
	}
	store, err := openStore(ctx, cfg, readOnly)
	if err != nil {
		return m.openError(cfg, err)
	}
	defer store.Close()
	stories, err := store.Stories(ctx, storage.StoryQuery{Limit: *limit, Tag: *tag})
	if err != nil {
		return m.errorf(exitFailure, "export: %v", err)
	}
	meta := aggregator.Meta(cfg)
	meta.Fallback = aggregator.LastPoll(ctx, store)
	if err := feeds.Render(m.Stdout, meta, stories, f); err != nil {
		return m.errorf(exitFailure, "export: %v", err)
	}
	return exitOK
}

// Status is `feedmerge status`.
func (m *Main) Status(ctx context.Context, args []string) int {
	fs, path := m.flags("status")
	asJSON := fs.Bool("json", false, "print the report as JSON, as GET /status.json does")
	if c := m.parse(fs, args); c >= 0 {
		return c
	}
	svc, store, code := m.setup(ctx, *path, nil, readOnly)
	if svc == nil {
		return code
	}
	defer store.Close()
	rep, err := svc.Report(ctx)
	if err != nil {
		return m.errorf(exitFailure, "status: %v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return m.errorf(exitFailure, "status: %v", err)
		}
		return exitOK
	}
	now := time.Now()
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tSTATE\tITEMS\tERRORS\tLAST FETCH\tNEXT POLL\tLAST ERROR")
	for _, r := range rep.Feeds {
		state := r.State
		if r.Polling {
			state += " (polling)"
		}
		// The URL is in the first column already.
		lastErr := strings.TrimPrefix(strings.TrimPrefix(r.LastError, "fetch "+r.URL+": "), "parse "+r.URL+": ")
		if r.State == storage.StateMoved {
			lastErr = "moved to " + r.MovedTo + "; update config.yaml"
		}
		if r.State == storage.StateGone {
			lastErr = "410 Gone: no longer polled; remove it from config.yaml"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.URL, state, r.Items, r.Errors,
			ago(now, r.LastFetch), until(now, r.NextPoll, r.State), truncate(lastErr, 100))
	}
	tw.Flush()
	fmt.Fprintln(m.Stdout, databaseLine(svc.Config(), rep))
	return exitOK
}

// databaseLine says what is stored and, for SQLite, the file's size and
// the room left on its disk, warning when the disk is nearly full.
func databaseLine(cfg *aggregator.Config, rep aggregator.Report) string {
	line := fmt.Sprintf("database %s: %d stories, %d items", cfg.Database, rep.Stories, rep.Items)
	if db := cfg.DatabasePath(); !aggregator.IsPostgres(db) {
		line += ", " + mib(rep.DatabaseBytes)
		var fs syscall.Statfs_t
		if err := syscall.Statfs(filepath.Dir(db), &fs); err == nil {
			free := int64(fs.Bavail) * int64(fs.Bsize)
			line += ", " + mib(free) + " free on its disk"
			if total := int64(fs.Blocks) * int64(fs.Bsize); total > 0 && free < max(total/100, 64<<20) {
				line += " (nearly full: writes will fail)"
			}
		}
	}
	return line
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}

func until(now, t time.Time, state string) string {
	switch {
	case state == storage.StateGone:
		return "never"
	case !t.After(now):
		return "now"
	}
	return "in " + t.Sub(now).Round(time.Second).String()
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
