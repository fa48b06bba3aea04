package sqlite

import (
	"strings"
	"unicode/utf8"
)

// pageQuery selects one page of stories, newest first; $1 is the tag or
// NULL, $2 the limit (-1 for all), $3 a substring every item with the tag
// has in its tags column (see tagFilter).
const pageQuery = `SELECT s.id, s.uid, s.rep_item_id, s.published, s.updated FROM stories s
	WHERE $1 IS NULL OR EXISTS (SELECT 1 FROM items t WHERE t.story_id = s.id AND instr(t.tags, $3) > 0
		AND EXISTS (SELECT 1 FROM json_each(t.tags) j WHERE j.value = $1))
	ORDER BY s.published DESC, s.id DESC LIMIT $2`

// pageArgs returns the arguments of pageQuery.
func pageArgs(tag string, limit int) []any {
	var t any
	if tag != "" {
		t = tag
	}
	if limit <= 0 {
		limit = -1
	}
	return []any{t, int64(limit), tagFilter(tag)}
}

// tagFilter returns the text that the JSON tags column of an item tagged
// tag contains (sqlstore.List writes plain strings verbatim between quotes), or ""
// (which every column contains) when tag would be escaped. It spares most
// items the cost of json_each.
func tagFilter(tag string) string {
	if !utf8.ValidString(tag) || strings.ContainsAny(tag, "\"\\\u2028\u2029") {
		return ""
	}
	for _, r := range tag {
		if r < 0x20 {
			return ""
		}
	}
	return `"` + tag + `"`
}
