package sqlite

import (
	"context"
	"database/sql"
)

// MigrateTo creates the database at path and applies the schema's
// migrations up to version upto only, for tests of later migrations.
func MigrateTo(ctx context.Context, path string, upto int) error {
	if err := create(ctx, path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err != nil {
		return err
	}
	defer db.Close()
	return dialect.MigrateTo(ctx, db, upto)
}
