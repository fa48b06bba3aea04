package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

// Group commit.
//
// Every Update runs on one writer goroutine. The writer takes the next
// waiting call, begins a transaction and runs the call's function inside
// a savepoint; then, without waiting, it runs every call that has queued
// meanwhile, each in its own savepoint, and commits them together. A
// function that fails is rolled back to its savepoint alone, and its
// caller gets its error; the others commit. Update returns only after
// the commit, so each call still commits or rolls back as a whole, in
// call order, exactly as with one transaction per call; but the pages
// several calls touch (table and index leaves, the revision) are written
// to the WAL once per group rather than once per call, and readers'
// caches, which SQLite drops after every commit, are dropped less often.
const (
	maxGroup     = 32                    // calls committed together at most
	maxGroupTime = 25 * time.Millisecond // no call is added to a group older than this
)

// tx is the writer's transaction: the shared story algorithm, on the
// writer's connection, picking the IDs of new rows itself (only the
// writer writes), and recording changed stories for the window index.
type tx struct {
	sqlstore.Tx
	aborted error // the writer's transaction was lost; every call of its group fails
}

type writeReq struct {
	ctx  context.Context
	fn   func(storage.Tx) error
	done chan writeResult
}

type writeResult struct {
	err      error
	panicked bool
	panicVal any
}

// Update runs fn in one write transaction, committing when fn returns nil.
// Concurrent calls run one after another, in the order they arrive, and
// may commit together (see write.go); each commits or rolls back whole.
//
// Statements run with ctx's values but without its cancellation (a
// context that can be cancelled costs a goroutine per statement in the
// driver, and every statement here is short); each Tx method fails once
// ctx is done, which rolls the call back.
func (db *DB) Update(ctx context.Context, fn func(storage.Tx) error) error {
	if err := db.Enter(); err != nil {
		return err
	}
	defer db.Leave()
	if db.readOnly {
		return fmt.Errorf("sqlite: %s is open read-only", db.path)
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	select {
	case db.queue <- req:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: begin: %w", ctx.Err())
	}
	res := <-req.done
	if res.panicked {
		panic(res.panicVal)
	}
	return res.err
}

// writer runs the queued Update calls in groups until the queue is
// closed.
func (db *DB) writer() {
	for req := range db.queue {
		db.wsem <- struct{}{}
		db.group(req)
		<-db.wsem
		select {
		case db.kick <- struct{}{}:
		default:
		}
	}
}

// group runs first and the calls queued behind it in one transaction and
// answers them all.
func (db *DB) group(first *writeReq) {
	bg := context.Background()
	if _, err := db.wconn.ExecContext(bg, `BEGIN IMMEDIATE`); err != nil {
		first.done <- writeResult{err: fmt.Errorf("sqlite: begin: %w", wrap(err))}
		return
	}
	t := &tx{Tx: sqlstore.Tx{Dialect: dialect, Run: db.wstmts.On(nil), Now: db.Time(), PickIDs: true, Track: true, Index: writerIndex{db.wconn}}}
	var ok []*writeReq // calls whose function succeeded
	start := time.Now()
	for n, req := 1, first; req != nil; n, req = n+1, db.next(n, start) {
		res := db.run(t, req)
		if res.err != nil || res.panicked {
			req.done <- res
		} else {
			ok = append(ok, req)
		}
		if t.aborted != nil {
			break
		}
	}
	var rev int64
	changed := false
	err := t.aborted
	if err == nil {
		rev, changed, err = t.Finish(bg)
	}
	if err == nil {
		if _, cerr := db.wconn.ExecContext(bg, `COMMIT`); cerr != nil {
			err = fmt.Errorf("sqlite: commit: %w", wrap(cerr))
		}
	}
	if err != nil {
		db.wconn.ExecContext(bg, `ROLLBACK`)
	} else if changed {
		db.win.apply(t.Changes, rev, t.Now)
	}
	for _, req := range ok {
		req.done <- writeResult{err: err}
	}
}

// next returns a call that is waiting, unless the group has n calls or
// has run long enough, or nil.
func (db *DB) next(n int, start time.Time) *writeReq {
	if n >= maxGroup || time.Since(start) >= db.groupTime {
		return nil
	}
	select {
	case req := <-db.queue:
		return req
	default:
		return nil
	}
}

// run runs one call's function in a savepoint of the writer's
// transaction t, rolling the savepoint back when it fails or panics. If
// the transaction itself is lost (SQLite rolls it back on some errors,
// such as a full disk), it sets t.aborted.
func (db *DB) run(t *tx, req *writeReq) (res writeResult) {
	bg := context.Background()
	if _, err := db.wconn.ExecContext(bg, `SAVEPOINT call`); err != nil {
		t.aborted = fmt.Errorf("sqlite: savepoint: %w", wrap(err))
		return writeResult{err: t.aborted}
	}
	saved := *t
	t.Ctx = context.WithoutCancel(req.ctx)
	func() {
		defer func() {
			if v := recover(); v != nil {
				res = writeResult{panicked: true, panicVal: v}
			}
		}()
		res.err = req.fn(&t.Tx)
	}()
	if res.err == nil && !res.panicked {
		if _, err := db.wconn.ExecContext(bg, `RELEASE call`); err != nil {
			t.aborted = fmt.Errorf("sqlite: release savepoint: %w", wrap(err))
			res.err = t.aborted
		}
		return res
	}
	// Undo the call: its rows, and what t recorded of them.
	changes := t.Changes[:len(saved.Changes)]
	*t = saved
	t.Changes = changes
	if _, err := db.wconn.ExecContext(bg, `ROLLBACK TO call`); err != nil {
		t.aborted = errors.Join(res.err, fmt.Errorf("sqlite: transaction rolled back: %w", wrap(err)))
		return res
	}
	if _, err := db.wconn.ExecContext(bg, `RELEASE call`); err != nil {
		t.aborted = fmt.Errorf("sqlite: release savepoint: %w", wrap(err))
	}
	return res
}
