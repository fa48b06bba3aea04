// Package sqlite stores feedmerge's feeds, items and stories in one SQLite
// file (modernc.org/sqlite, no cgo). *DB satisfies storage.Store.
//
// The database runs in WAL mode. All writes go through one connection that
// DB holds from Open to Close, on one writer goroutine, so concurrent
// Update calls queue instead of failing with "database is locked"; calls
// that queue while a transaction runs are committed with it, each in its
// own savepoint (write.go). Reads (View, Stories, Feeds, …) use a
// separate pool of read-only connections and never wait for a writer. A
// function passed to Update must not call Update itself. Candidate
// lookups for recent windows are answered from an in-memory index of the
// stories' keys (window.go).
//
// A story's Published is its representative's; its Updated starts as the
// later of its first item's Published and Updated and moves to the time of
// the change (DB.Now) whenever an item joins it or one of its items
// changes, so readers see the entry change. Times are stored as unix
// nanoseconds and come back exactly, in UTC.
//
// The schema's migrations (shared with storage/postgres) are applied in
// order at Open, each in its own transaction; the applied versions are
// kept in schema_migrations.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

var _ storage.Store = (*DB)(nil)

// dialect is SQLite's spelling of the shared schema and queries. SQLite
// has one integer type and keeps JSON as text; it answers candidate
// lookups without the band and title indexes (window.go), which
// migration 7 drops. The writer picks the IDs of new rows (write.go), so
// an insert binds them.
var dialect = &sqlstore.Dialect{Name: "sqlite", Positional: "?", Classify: wrap,
	Words: map[string]string{"int64": "INTEGER", "serial": "INTEGER", "bool": "INTEGER", "false": "0", "json": "TEXT", "blob": "BLOB",
		"cover": ", rep_item_id", "applied": "INTEGER NOT NULL",
		"candidate_indexes": `DROP INDEX stories_band0; DROP INDEX stories_band1; DROP INDEX stories_band2;
	DROP INDEX stories_band3; DROP INDEX stories_title; DROP INDEX stories_body_band0;
	DROP INDEX stories_body_band1; DROP INDEX stories_body_band2; DROP INDEX stories_body_band3;`,
		"now":        "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000",
		"greatest":   "max",
		"byte_order": "COLLATE BINARY",
		"guid_list":  "SELECT value FROM json_each($2)",
		"id_list":    "SELECT value FROM json_each($1)",
		"item_id":    "$1", "story_id": "$2",
		"rebuilt": ""},
	StoryPage: pageQuery, PageArgs: pageArgs,
}

// pragmas are applied to every connection. Temporary data (sorts) goes
// to temporary files, which the OS caches, not to SQLite's memory; but
// see writeTemp.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"

// writeTemp keeps the writer's temporary data in memory: the statement
// journals of the savepoints a group commit takes for each call, which
// in a file cost two pwrite calls for every page a call changes first
// (its number, then its content). On the regional farm of 1,000 feeds
// the first poll took 4.8-6.7 s of CPU instead of 6.6-8.1 (system time
// 0.6-0.7 s instead of 1.1-1.3; three runs each, alternating) and peaked
// 1.5-2.3 MiB higher; at 10,000 feeds system time fell by 4.5 s and the
// peak rose by under 1.2 MiB. Before migration 7 dropped the band
// indexes, a call changed many more pages, and its journals in memory
// peaked 9 MiB higher and were slower.
const writeTemp = "&_pragma=temp_store(MEMORY)"

// Page cache sizes in KiB. A reader's cache is dropped whenever another
// connection commits, so a large one buys little; on a farm of 2,000 feeds
// 32 MiB caches polled no faster than 8 MiB ones but peaked at 158 MiB
// resident instead of 110 MiB; at 10,000 feeds 4 MiB readers peak at
// 143 MiB against 165 MiB with 8 MiB ones, at the same speed. Dropping a
// cache frees its pages one by one, so with candidates looked up in
// memory (window.go) smaller readers are faster too: at 10,000 feeds the
// first poll took 90 s with 4 MiB readers, 72 s with 2 MiB and 74 s with
// 1 MiB, peaking at 147, 143 and 136 MiB.
//
// SQLite's caches live outside the Go heap (modernc.org/libc's
// allocator), where no Go memory limit reaches them. The writer's was
// 8 MiB and the checkpointer's 2 MiB; at 2 MiB and 256 KiB a first poll
// of 1,000 feeds peaks about 13 MiB lower, for somewhat more reads of
// pages the OS caches.
const (
	writeCache = "&_pragma=cache_size(-2000)"
	readCache  = "&_pragma=cache_size(-1000)"
	ckptCache  = "&_pragma=cache_size(-256)"
)

// pageSize is the page size in bytes of a new database. A page holds
// several items' rows (about 1 KB each, their texts compressed), and
// every page a commit changes is written whole to the WAL, so larger
// pages pack rows a little tighter but make every commit write more: on
// the regional farm of 10,000 feeds, 4 KiB pages made a database of
// 1,443 bytes an item and a first poll of 86.1–86.6 s of CPU (48 s
// wall), 8 KiB pages 1,343 bytes and 92.4–95.6 s (52–55 s); at 1,000
// feeds the CPU was the same. A database keeps the page size it was
// created with.
const pageSize = 4096

// DB is a feedmerge store in one SQLite file. It is safe for concurrent use.
type DB struct {
	// Reader answers View, Feed, Feeds, Stories, Revision and Stats on
	// the read-only connections, with statements prepared on them, and
	// holds Now. Candidates of a View come from the window index where
	// it can answer.
	sqlstore.Reader

	path     string
	readOnly bool           // opened with OpenReadOnly: no writer
	write    *sql.DB        // a pool of one connection, for migrations and Close
	wconn    *sql.Conn      // that connection, held for every Update
	wsem     chan struct{}  // held by the writer while it runs a transaction
	queue    chan *writeReq // Update calls waiting for the writer
	wrWG     sync.WaitGroup // the writer goroutine
	ckpt     *sql.DB        // one connection for background checkpoints

	kick   chan struct{} // a commit happened: checkpoint soon
	stop   context.CancelFunc
	ckptWG sync.WaitGroup

	wstmts *sqlstore.Statements // prepared on wconn

	restartFrames int // pages of walLimit in this database's page size

	groupTime time.Duration // maxGroupTime; tests on a busy machine lengthen it

	win windowIndex // candidate keys of recent stories (window.go)
}

// Open opens (creating if needed) the database at path and brings its
// schema up to date. It fails if the file is not a SQLite database or was
// written by a newer version of feedmerge.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open %q: invalid path", path)
	}
	if err := writable(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// A damaged file is found before anything is written to it.
	if err := checkExisting(ctx, path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := &DB{path: path, groupTime: maxGroupTime, wsem: make(chan struct{}, 1), kick: make(chan struct{}, 1), queue: make(chan *writeReq, maxGroup)}
	db.Reader = sqlstore.Reader{Dialect: dialect, Stmts: dialect.Statements(), Index: db.window}
	db.wstmts = dialect.Statements()
	var err error
	// The writer never checkpoints: the checkpointer goroutine does, off
	// the writer's path (see checkpointer).
	if err := create(ctx, path); err != nil {
		return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	db.write, err = sql.Open("sqlite", "file:"+path+"?_txlock=immediate&"+pragmas+writeCache+
		writeTemp+"&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit("+strconv.Itoa(walLimit)+")")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)
	if err := dialect.Migrate(ctx, db.write); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.Pool, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+readCache+"&_pragma=query_only(1)")
	if err != nil {
		db.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One reader per core: each holds its own cache, schema and
	// statements outside the Go heap, and with 4 on 2 cores a first poll
	// of 1,000 feeds peaked 3–4 MiB higher, no faster.
	n := max(2, runtime.GOMAXPROCS(0))
	db.Pool.SetMaxOpenConns(n)
	db.Pool.SetMaxIdleConns(n)
	if db.ckpt, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+ckptCache); err != nil {
		db.closeAll()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.ckpt.SetMaxOpenConns(1)
	if db.wconn, err = db.write.Conn(ctx); err != nil {
		db.closeAll()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	var page int
	if err = db.wconn.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&page); err == nil {
		db.restartFrames = walLimit / max(page, 512)
		err = db.wstmts.Prepare(ctx, db.wconn)
	}
	if err == nil {
		err = db.Stmts.Prepare(ctx, db.Pool)
	}
	if err != nil {
		db.closeAll()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	cctx, cancel := context.WithCancel(context.Background())
	db.stop = cancel
	db.ckptWG.Go(func() { db.checkpointer(cctx) })
	db.wrWG.Go(db.writer)
	return db, nil
}

// create gives a new (absent or empty) database at path its page size
// and incremental auto-vacuum (see pageSize and reclaim), which SQLite
// takes only before the file's first page is written, and puts it in WAL
// mode, which writes that page. The order matters: SQLite ignores a page
// size set after auto_vacuum, and the driver applies a DSN's _pragma list
// sorted by name (auto_vacuum, journal_mode, page_size), so this cannot
// be part of the connections' own DSNs.
func create(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, pragma := range []string{"page_size = " + strconv.Itoa(pageSize), "auto_vacuum = 2", "journal_mode = WAL"} {
		if _, err := db.ExecContext(ctx, "PRAGMA "+pragma); err != nil {
			return wrap(err)
		}
	}
	return wrap(db.Close())
}

// writable reports why the database at path, or the folder it and its
// WAL live in, cannot be written, or nil. SQLite would open a read-only
// file and fail only at the first write, or fail with "unable to open
// database file".
func writable(path string) error {
	const wOK = 2 // access(2) W_OK
	dir := filepath.Dir(path)
	for _, p := range []string{path, dir} {
		err := syscall.Access(p, wOK)
		switch {
		case err == nil, errors.Is(err, fs.ErrNotExist):
		case errors.Is(err, syscall.EROFS):
			return fmt.Errorf("the disk holding %s is read-only", p)
		default:
			return fmt.Errorf("%s is read-only for this user (%v)", p, err)
		}
	}
	return nil
}

// roPragmas are applied to every connection of a read-only DB.
const roPragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_pragma=query_only(1)"

// OpenReadOnly opens the existing database at path for reading, beside a
// process that may be writing it: it creates nothing, migrates nothing
// and takes no lock. Update fails. It fails with an error matching
// storage.ErrNotFound when there is no database at path, and when the
// file is not a feedmerge database of this version's schema.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open %q: invalid path", path)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sqlite: open %s: no database yet: %w", path, storage.ErrNotFound)
	}
	db := &DB{path: path, readOnly: true}
	db.win.readOnly = true // no commits of its own to wait for
	db.Reader = sqlstore.Reader{Dialect: dialect, Stmts: dialect.Statements(), Index: db.window}
	dsn := "file:" + path + "?mode=ro&" + roPragmas + readCache
	if errors.Is(syscall.Access(filepath.Dir(path), 2), syscall.EROFS) {
		// Nothing can change a file on a read-only disk, and SQLite
		// could not make the WAL index it needs otherwise.
		dsn += "&immutable=1"
	}
	var err error
	if db.Pool, err = sql.Open("sqlite", dsn); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.Pool.SetMaxOpenConns(n)
	db.Pool.SetMaxIdleConns(n)
	if err := dialect.CheckSchema(ctx, db.Pool); err != nil {
		db.Pool.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.Stmts.Prepare(ctx, db.Pool); err != nil {
		db.closeAll()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// errDamaged is returned, wrapped, by Open when the integrity check
// finds the file damaged.
var errDamaged = errors.New("database file is damaged")

// checkExisting runs quickCheck on the database at path, read-only, when
// there is one.
func checkExisting(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil // a new database
	}
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro&"+roPragmas)
	if err != nil {
		return err
	}
	defer ro.Close()
	return quickCheck(ctx, ro)
}

// quickCheck runs SQLite's quick integrity check, which reads every page
// once, so that a damaged file is reported at open rather than by the
// first query that reaches the damage.
func quickCheck(ctx context.Context, db *sql.DB) error {
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check(1)`).Scan(&res); err != nil {
		return fmt.Errorf("%w (%v); restore it from a backup or move it aside", errDamaged, wrap(err))
	}
	if res != "ok" {
		return fmt.Errorf("%w (%s); restore it from a backup or move it aside", errDamaged, strings.Join(strings.Fields(res), " "))
	}
	return nil
}

// checkpointInterval is the least time between two checkpoints.
const checkpointInterval = 100 * time.Millisecond

// walLimit is the size in bytes of the WAL from which the checkpointer
// makes the next writer start it from the beginning again, and the size
// the file is cut back to when one does. The WAL is disk space beside
// the database: with a limit of 64 MiB a database of 9 MiB kept a WAL of
// 29 MiB for good.
const walLimit = 16 << 20

// checkpointer copies committed pages from the WAL into the database file
// at most every checkpointInterval after a commit, until ctx is done. The
// copying (a passive checkpoint, which never blocks readers or the writer)
// and its fsync happen here rather than in the committing Update. A WAL
// is only reused from its start by a writer that finds it fully copied,
// which under steady writes a concurrent checkpoint never leaves it; so
// once the WAL is large, a second, short checkpoint runs while no Update
// can start. Errors are left for the next attempt; Close checkpoints once
// more and reports them.
func (db *DB) checkpointer(ctx context.Context) {
	t := time.NewTimer(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-db.kick:
		}
		if db.checkpoint(ctx) >= db.restartFrames {
			select {
			case <-ctx.Done():
				return
			case db.wsem <- struct{}{}:
			}
			db.checkpoint(ctx)
			<-db.wsem
		}
		db.reclaim(ctx)
		t.Reset(checkpointInterval)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reclaiming free pages.
const (
	reclaimAbove = 256 // free pages (1 MiB of 4 KiB pages) kept for reuse before some are given back
	reclaimStep  = 512 // pages given back at a time, so the writer waits briefly
)

// reclaim gives up to reclaimStep free pages back to the file system when
// more than reclaimAbove are free (after retention removed stories) and
// the database is in incremental auto-vacuum mode, while no Update runs.
// The file shrinks at the next checkpoint. Errors are left for the next
// attempt.
func (db *DB) reclaim(ctx context.Context) {
	var mode, free int
	if err := db.ckpt.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != 2 {
		return
	}
	if err := db.ckpt.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil || free <= reclaimAbove {
		return
	}
	select {
	case <-ctx.Done():
		return
	case db.wsem <- struct{}{}:
	}
	defer func() { <-db.wsem }()
	db.ckpt.ExecContext(ctx, `PRAGMA incremental_vacuum(`+strconv.Itoa(reclaimStep)+`)`)
	db.checkpoint(ctx)
}

// checkpoint runs a passive checkpoint and returns the number of pages in
// the WAL, or 0 if it failed.
func (db *DB) checkpoint(ctx context.Context) int {
	var busy, frames, copied int
	err := db.ckpt.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	if err != nil {
		return 0
	}
	return frames
}

// Close waits for running calls, checkpoints the WAL into the database
// file and closes it.
func (db *DB) Close() error {
	if !db.Gate.Close() {
		return nil
	}
	if db.readOnly {
		if err := db.closeAll(); err != nil {
			return fmt.Errorf("sqlite: close %s: %w", db.path, err)
		}
		return nil
	}
	close(db.queue)
	db.wrWG.Wait()
	db.stop()
	db.ckptWG.Wait()
	var errs []error
	errs = append(errs, db.wstmts.Close())
	errs = append(errs, db.wconn.Close())
	// Refresh the planner's statistics where needed (cheap, bounded),
	// then move the WAL into the database file.
	if _, err := db.write.Exec(`PRAGMA analysis_limit = 400; PRAGMA optimize`); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: optimize %s: %w", db.path, wrap(err)))
	}
	if _, err := db.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: checkpoint %s: %w", db.path, wrap(err)))
	}
	if err := db.closeAll(); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: close %s: %w", db.path, err))
	}
	return errors.Join(errs...)
}

func (db *DB) closeAll() error {
	var errs []error
	if db.wstmts != nil {
		errs = append(errs, db.wstmts.Close())
	}
	errs = append(errs, db.Stmts.Close())
	if db.wconn != nil {
		db.wconn.Close() // closed twice after Close: sql.ErrConnDone
	}
	if db.Pool != nil {
		errs = append(errs, db.Pool.Close())
	}
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// ErrFull-aware wrapping.

// fullError marks SQLITE_FULL: the disk or the database's size limit is
// full. It matches storage.ErrFull.
type fullError struct{ err error }

func (e fullError) Error() string        { return "database or disk is full" }
func (e fullError) Unwrap() error        { return e.err }
func (e fullError) Is(target error) bool { return target == storage.ErrFull }

// wrap turns SQLITE_FULL errors into fullError and returns others as is.
func wrap(err error) error {
	var se *msqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == 13 { // SQLITE_FULL
		return fullError{err}
	}
	return err
}
