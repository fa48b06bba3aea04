package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
)

// KeyHash returns the 64-bit hash by which the title and URL keys are
// indexed (stories.title_hash, items.url_hash): FNV-1a, never 0, and 0
// for the empty key, which matches nothing.
func KeyHash(key string) int64 {
	if key == "" {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return int64(h.Sum64() | 1)
}

// fillLean completes migrations/NNNN_lean.sql: the title hash of every
// story from its representative's title key, and the URL hash of every
// item.
func fillLean(ctx context.Context, tx *sql.Tx, d *Dialect) error {
	if err := fillHashes(ctx, tx, d, `SELECT s.id, i.title_key FROM stories s JOIN items i ON i.id = s.rep_item_id
		WHERE i.title_key <> ''`, `UPDATE stories SET title_hash = $1 WHERE id = $2`); err != nil {
		return fmt.Errorf("title hashes: %w", err)
	}
	if err := fillHashes(ctx, tx, d, `SELECT id, url_key FROM items WHERE url_key <> ''`,
		`UPDATE items SET url_hash = $1 WHERE id = $2`); err != nil {
		return fmt.Errorf("URL hashes: %w", err)
	}
	return nil
}

// fillHashes sets, by update, the KeyHash of the key of every row of
// query (ID, key). The rows are read before the first update: a
// connection runs one statement at a time.
func fillHashes(ctx context.Context, tx *sql.Tx, d *Dialect, query, update string) error {
	type row struct{ id, hash int64 }
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	var all []row
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return err
		}
		all = append(all, row{id, KeyHash(key)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, d.SQL(update))
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range all {
		if _, err := st.ExecContext(ctx, r.hash, r.id); err != nil {
			return err
		}
	}
	return nil
}
