package postgres

import "database/sql"

// pageQuery selects one page of stories, newest first; $1 is the tag or
// NULL, $2 the limit (NULL for all).
const pageQuery = `SELECT s.id, s.uid, s.rep_item_id, s.published, s.updated FROM stories s
	WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM items t WHERE t.story_id = s.id AND t.tags ? $1::text)
	ORDER BY s.published DESC, s.id DESC LIMIT $2`

// pageArgs returns the arguments of pageQuery.
func pageArgs(tag string, limit int) []any {
	var t sql.NullString
	if tag != "" {
		t = sql.NullString{String: tag, Valid: true}
	}
	var l sql.NullInt64
	if limit > 0 {
		l = sql.NullInt64{Int64: int64(limit), Valid: true}
	}
	return []any{t, l}
}
