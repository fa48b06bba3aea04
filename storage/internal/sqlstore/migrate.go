package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// schema holds the migrations every SQL backend applies, in the
// dialect's words (Dialect.SQL).
//
//go:embed migrations/*.sql
var schema embed.FS

// Migration is one schema migration, a file migrations/NNNN_name.sql.
type Migration struct {
	Version int    // NNNN
	Name    string // the file's name
	SQL     string // its content
}

// Pending returns the migrations in fsys (migrations/NNNN_name.sql) newer
// than version have, ordered by version. It fails if a file's name does
// not start with a positive version number, if there are none, or if have
// is newer than the latest (the database was written by a newer
// feedmerge).
func Pending(fsys fs.FS, have int) ([]Migration, error) {
	ms, err := load(fsys)
	if err != nil {
		return nil, err
	}
	if latest := ms[len(ms)-1].Version; have > latest {
		return nil, fmt.Errorf("database schema version %d is newer than this feedmerge supports (%d); upgrade feedmerge", have, latest)
	}
	i := sort.Search(len(ms), func(i int) bool { return ms[i].Version > have })
	return ms[i:], nil
}

// Step returns the name of m without its version and extension: the
// key of the Go step that completes it, if any.
func (m Migration) Step() string {
	_, name, _ := strings.Cut(m.Name, "_")
	return strings.TrimSuffix(name, ".sql")
}

// steps complete the migrations whose conversion SQL cannot spell (a hash
// of each row, say), in the migration's transaction after its SQL, keyed
// by Migration.Step so that renumbering a migration keeps its step.
var steps = map[string]func(ctx context.Context, tx *sql.Tx, d *Dialect) error{
	"lean":  fillLean,
	"texts": fillTexts,
}

// load reads NNNN_name.sql files from fsys, ordered by version.
func load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		base := name[strings.LastIndexByte(name, '/')+1:]
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name does not start with a version number", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Conn is a *sql.DB or *sql.Conn: what the migrator runs on.
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Querier runs queries: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Migrate applies every embedded migration newer than the version
// recorded in schema_migrations (created if missing), each in its own
// transaction, in order. It fails if the database was written by a newer
// feedmerge. Several processes must not run it at once: a backend shared
// by several takes a lock around it.
func (d *Dialect) Migrate(ctx context.Context, c Conn) error { return d.MigrateTo(ctx, c, 0) }

// MigrateTo is Migrate up to version upto only, or every version if upto
// is 0: tests build databases of earlier versions with it.
func (d *Dialect) MigrateTo(ctx context.Context, c Conn, upto int) error {
	if _, err := c.ExecContext(ctx, d.SQL(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied {{applied}}
	)`)); err != nil {
		return fmt.Errorf("create migrations table: %w", d.wrap(err))
	}
	have, err := d.version(ctx, c)
	if err != nil {
		return err
	}
	pending, err := Pending(schema, have)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if upto > 0 && m.Version > upto {
			break
		}
		if err := d.apply(ctx, c, m); err != nil {
			return fmt.Errorf("migrate to %s: %w", m.Name, err)
		}
	}
	return nil
}

// CheckSchema reports why a reader of this feedmerge cannot use the
// database as it is, or nil: its schema is older or newer than this
// feedmerge's, or has no version (not a feedmerge database).
func (d *Dialect) CheckSchema(ctx context.Context, q Querier) error {
	have, err := d.version(ctx, q)
	if err != nil {
		return err
	}
	pending, err := Pending(schema, have)
	if err == nil && len(pending) > 0 {
		err = fmt.Errorf("database schema version %d is older than this feedmerge's; the daemon (feedmerge run or once) upgrades it", have)
	}
	return err
}

func (d *Dialect) version(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int, error) {
	var have int
	if err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return 0, fmt.Errorf("read schema version: %w", d.wrap(err))
	}
	return have, nil
}

func (d *Dialect) apply(ctx context.Context, c Conn, m Migration) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return d.wrap(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, d.SQL(m.SQL)); err != nil {
		return d.wrap(err)
	}
	if step := steps[m.Step()]; step != nil {
		if err := step(ctx, tx, d); err != nil {
			return d.wrap(err)
		}
	}
	if _, err := tx.ExecContext(ctx, d.SQL(`INSERT INTO schema_migrations (version, applied) VALUES ($1, {{now}})`),
		m.Version); err != nil {
		return d.wrap(err)
	}
	return d.wrap(tx.Commit())
}
