// Package postgres stores feedmerge's feeds, items and stories in
// PostgreSQL (pgx), for several feedmerge instances sharing one database.
// *DB satisfies storage.Store with the same behaviour as storage/sqlite.
//
// Concurrency: every Update takes the transaction-level advisory lock
// pg_advisory_xact_lock(writeLock) before it runs, so write transactions
// of all instances run one at a time. The dedupe step of the aggregator
// (Candidates, then PutItem into the story it found or a new one) is
// therefore never raced by another instance: two instances fetching the
// same story at once cannot both start a new story for it. Reads (View,
// Stories, …) take no lock and see a consistent snapshot.
//
// The schema, the story algorithm and the readers are storage/sqlite's
// (storage/internal/sqlstore); this package supplies PostgreSQL's
// spelling, its locks and its sequences. Migrations are applied at Open
// under the session advisory lock migrateLock, so instances starting
// together migrate once.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/internal/sqlstore"
)

var _ storage.Store = (*DB)(nil)

// dialect is PostgreSQL's spelling of the shared schema and queries:
// sequences allocate the IDs of new rows.
var dialect = &sqlstore.Dialect{
	Name:       "postgres",
	Positional: "$",
	Words: map[string]string{
		"int64": "BIGINT", "serial": "BIGSERIAL", "bool": "BOOLEAN", "false": "false", "json": "JSONB", "blob": "BYTEA", "cover": "",
		"candidate_indexes": "SELECT 1", // kept: lookups use them
		"applied":           "TIMESTAMPTZ NOT NULL DEFAULT now()", "now": "now()",
		"greatest": "greatest", "byte_order": `COLLATE "C"`, "guid_list": "SELECT jsonb_array_elements_text($2::jsonb)",
		"id_list":  "SELECT jsonb_array_elements_text($1::jsonb)::bigint",
		"item_id":  "coalesce($1, nextval(pg_get_serial_sequence('items', 'id')))",
		"story_id": "coalesce($2, nextval(pg_get_serial_sequence('stories', 'id')))",
		// Tables rebuilt by a migration: check the rows copied now (an
		// index cannot be built on a table with checks pending) and carry
		// on the sequences of their IDs.
		"rebuilt": `SET CONSTRAINTS ALL IMMEDIATE;
			SELECT setval(pg_get_serial_sequence('items', 'id'), coalesce(max(id), 0) + 1, false) FROM items;
			SELECT setval(pg_get_serial_sequence('stories', 'id'), coalesce(max(id), 0) + 1, false) FROM stories;`,
	},
	StoryPage: pageQuery,
	PageArgs:  pageArgs,
	Classify:  wrap,
}

// Advisory lock keys ("feedmerg" and "feedmigr" as big-endian int64).
const (
	writeLock   int64 = 0x666565646d657267
	migrateLock int64 = 0x666565646d696772
)

// DB is a feedmerge store in a PostgreSQL database. It is safe for
// concurrent use, also by several processes.
type DB struct {
	// Reader answers View (in repeatable-read snapshots), Feed, Feeds,
	// Stories, Revision and Stats, and holds Now; pgx prepares and
	// caches each statement per connection on first use.
	sqlstore.Reader

	db    *sql.DB
	stmts *sqlstore.Statements
}

// Open connects to the database at url (postgres://…; a search_path
// parameter selects the schema) and brings its schema up to date. It fails
// if the server is unreachable or the schema was written by a newer
// version of feedmerge.
func Open(ctx context.Context, url string) (*DB, error) {
	sqldb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	sqldb.SetMaxOpenConns(16)
	sqldb.SetMaxIdleConns(16)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	stmts := dialect.Statements()
	db := &DB{db: sqldb, stmts: stmts, Reader: sqlstore.Reader{Dialect: dialect, Pool: sqldb, Stmts: stmts,
		ReadTx: &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}}}
	if err := db.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return db, nil
}

// migrate applies the schema's migrations newer than the database's
// version, each in its own transaction, holding migrateLock.
func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("lock for migration: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	return dialect.Migrate(ctx, conn)
}

// Update runs fn in one write transaction, committing when fn returns nil.
// Write transactions of every instance run one at a time (see the package
// documentation).
func (db *DB) Update(ctx context.Context, fn func(storage.Tx) error) error {
	if err := db.Enter(); err != nil {
		return err
	}
	defer db.Leave()
	sqltx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", wrap(err))
	}
	defer sqltx.Rollback()
	if _, err := sqltx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
		return fmt.Errorf("postgres: lock for writing: %w", wrap(err))
	}
	t := &sqlstore.Tx{Dialect: dialect, Run: db.stmts.On(sqltx), Now: db.Time()}
	if err := fn(t); err != nil {
		return err
	}
	if _, _, err := t.Finish(ctx); err != nil {
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit: %w", wrap(err))
	}
	return nil
}

// Close waits for running calls and closes the connections.
func (db *DB) Close() error {
	if !db.Gate.Close() {
		return nil
	}
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("postgres: close: %w", err)
	}
	return nil
}

// fullError marks a server out of disk space (SQLSTATE 53100). It
// matches storage.ErrFull.
type fullError struct{ err error }

func (e fullError) Error() string        { return "database or disk is full: " + e.err.Error() }
func (e fullError) Unwrap() error        { return e.err }
func (e fullError) Is(target error) bool { return target == storage.ErrFull }

func wrap(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" {
		return fullError{err}
	}
	return err
}
