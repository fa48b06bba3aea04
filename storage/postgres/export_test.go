package postgres

import (
	"context"
	"database/sql"
)

// MigrateTo applies the schema's migrations up to version upto to the
// database at url.
func MigrateTo(ctx context.Context, url string, upto int) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	return dialect.MigrateTo(ctx, db, upto)
}
