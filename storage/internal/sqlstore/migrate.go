package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

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
