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
// story from its representative's title key, then, for every item, the
// hash of its canonical URL and both keys packed (PackKey).
func fillLean(ctx context.Context, tx *sql.Tx, d *Dialect) error {
	type story struct{ id, hash int64 }
	var stories []story
	err := each(ctx, tx, `SELECT s.id, i.title_key FROM stories s JOIN items i ON i.id = s.rep_item_id
		WHERE i.title_key <> ''`, func(r *sql.Rows) error {
		var st story
		var key string
		err := r.Scan(&st.id, &key)
		st.hash = KeyHash(key)
		stories = append(stories, st)
		return err
	})
	if err == nil {
		err = updateAll(ctx, tx, d, `UPDATE stories SET title_hash = $1 WHERE id = $2`, len(stories), func(i int) []any {
			return []any{stories[i].hash, stories[i].id}
		})
	}
	if err != nil {
		return fmt.Errorf("title hashes: %w", err)
	}
	type item struct {
		id, hash     int64
		urlKey, tkey string
	}
	var items []item
	err = each(ctx, tx, `SELECT id, url, url_key, title, title_key FROM items`, func(r *sql.Rows) error {
		var it item
		var url, title string
		err := r.Scan(&it.id, &url, &it.urlKey, &title, &it.tkey)
		it.hash = KeyHash(it.urlKey)
		it.urlKey, it.tkey = PackKey(url, it.urlKey, false), PackKey(title, it.tkey, true)
		items = append(items, it)
		return err
	})
	if err == nil {
		err = updateAll(ctx, tx, d, `UPDATE items SET url_hash = $1, url_key = $2, title_key = $3 WHERE id = $4`,
			len(items), func(i int) []any {
				return []any{items[i].hash, items[i].urlKey, items[i].tkey, items[i].id}
			})
	}
	if err != nil {
		return fmt.Errorf("item keys: %w", err)
	}
	return nil
}

// each calls fn on every row of query, and closes the rows.
func each(ctx context.Context, tx *sql.Tx, query string, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// updateAll runs update (in the dialect's words) n times, with args(i)
// for i in [0, n).
func updateAll(ctx context.Context, tx *sql.Tx, d *Dialect, update string, n int, args func(i int) []any) error {
	st, err := tx.PrepareContext(ctx, d.SQL(update))
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range n {
		if _, err := st.ExecContext(ctx, args(i)...); err != nil {
			return err
		}
	}
	return nil
}
