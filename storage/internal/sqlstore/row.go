package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// FeedCols are the columns ScanFeed reads, of the feeds table aliased f,
// ending with the feed's item count.
const FeedCols = `f.url, f.fetch_url, f.title, f.site_url, f.etag, f.last_modified, f.body_hash, f.state,
	f.http_status, f.errors, f.last_error, f.last_fetch, f.last_success, f.next_poll,
	(SELECT count(*) FROM items i WHERE i.feed_id = (SELECT n.id FROM names n WHERE n.name = f.url))`

// ItemCols are the columns ScanItem reads, of ItemFrom.
const ItemCols = `i.id, i.story_id, n.name, i.guid, i.url, i.url_key, i.title, i.texts,
	i.author, i.lang, i.categories, i.tags, i.hash, i.title_key, i.simhash, i.published, i.updated,
	i.first_seen, o.name, i.title_derived, i.body`

// ItemFrom is the items table aliased i with the names of its feed (n)
// and outlet (o), the tables ItemCols reads.
const ItemFrom = `items i ` + ItemNames

// ItemNames joins the names of the feed (n) and outlet (o) of the items
// aliased i.
const ItemNames = `JOIN names n ON n.id = i.feed_id JOIN names o ON o.id = i.outlet_id`

// Scanner is *sql.Row or *sql.Rows.
type Scanner interface{ Scan(...any) error }

// ScanFeed reads a row of FeedCols. It returns the error of r.Scan, such
// as sql.ErrNoRows.
func ScanFeed(r Scanner) (storage.Feed, error) {
	var f storage.Feed
	var fetch, success, next int64
	err := r.Scan(&f.URL, &f.FetchURL, &f.Title, &f.SiteURL, &f.ETag, &f.LastModified, &f.BodyHash, &f.State,
		&f.HTTPStatus, &f.Errors, &f.LastError, &fetch, &success, &next, &f.Items)
	f.LastFetch, f.LastSuccess, f.NextPoll = Time(fetch), Time(success), Time(next)
	return f, err
}

// Feeds reads every row of FeedCols from rows and closes them. err is the
// error of the query that returned rows; Feeds returns it when it is not
// nil, so that a query's results can be passed on as they are.
func Feeds(rows *sql.Rows, err error) ([]storage.Feed, error) {
	return scanAll(rows, err, ScanFeed)
}

// FeedArgs returns the values of f to store, in the order of the feeds
// table's columns url, fetch_url, title, site_url, etag, last_modified,
// body_hash, state, http_status, errors, last_error, last_fetch,
// last_success and next_poll. An empty State is stored as
// storage.StateNew.
func FeedArgs(f storage.Feed) []any {
	state := f.State
	if state == "" {
		state = storage.StateNew
	}
	return []any{f.URL, f.FetchURL, f.Title, f.SiteURL, f.ETag,
		f.LastModified, f.BodyHash, state, f.HTTPStatus, f.Errors, f.LastError,
		Nanos(f.LastFetch), Nanos(f.LastSuccess), Nanos(f.NextPoll)}
}

// ScanItem reads a row of ItemCols. It returns the error of r.Scan, such
// as sql.ErrNoRows, or of decoding a list column.
func ScanItem(r Scanner) (storage.Item, error) { return scanItem(r, nil) }

// scanItem reads a row of ItemCols, leaving Summary and Content empty
// when known, asked with every other field read, reports true
// (storage.CandidateQuery.Known).
func scanItem(r Scanner, known func(*storage.Item) bool) (storage.Item, error) {
	var it storage.Item
	var cats, tags sql.NullString
	var simhash, pub, upd, seen, body int64
	var texts []byte
	err := r.Scan(&it.ID, &it.StoryID, &it.FeedURL, &it.GUID, &it.URL, &it.Keys.URL, &it.Title, &texts,
		&it.Author, &it.Lang, &cats, &tags, &it.Hash, &it.Keys.Title, &simhash, &pub, &upd,
		&seen, &it.FeedTitle, &it.TitleDerived, &body)
	if err != nil {
		return it, err
	}
	it.Keys.URL, it.Keys.Title = UnpackKey(it.URL, it.Keys.URL, false), UnpackKey(it.Title, it.Keys.Title, true)
	it.Keys.SimHash, it.Keys.Body = uint64(simhash), uint64(body)
	it.Published, it.Updated, it.FirstSeen = Time(pub), Time(upd), Time(seen)
	if it.Categories, err = Unlist(cats); err == nil {
		it.Tags, err = Unlist(tags)
	}
	if err == nil && (known == nil || !known(&it)) {
		it.Summary, it.Content, err = UnpackTexts(texts)
	}
	return it, err
}

// Items reads every row of ItemCols from rows and closes them. err is the
// error of the query that returned rows; Items returns it when it is not
// nil, so that a query's results can be passed on as they are.
func Items(rows *sql.Rows, err error) ([]storage.Item, error) {
	return scanAll(rows, err, ScanItem)
}

// scanAll reads every row with scan and closes rows, or returns err.
func scanAll[T any](rows *sql.Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		all = append(all, v)
	}
	return all, rows.Err()
}

// Times are stored as unix nanoseconds in UTC; 0 is the zero time. Times
// outside the years 1678–2262 are clamped.
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// Nanos returns t as stored: unix nanoseconds, 0 for the zero time, and
// times outside the years 1678–2262 clamped to the nearest that fits.
func Nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Time returns the time stored as n by Nanos, in UTC.
func Time(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// List encodes a string list as a JSON array, nil (NULL) when empty. It
// writes strings without escaping <, > and &, so a plain string stands
// verbatim between quotes in the result.
func List(s []string) any {
	if len(s) == 0 {
		return nil
	}
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// Unlist decodes a list written by List; NULL or empty is an empty list.
// It fails if s is not a JSON array of strings.
func Unlist(s sql.NullString) ([]string, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s.String), &l); err != nil {
		return nil, fmt.Errorf("decode list %.40q: %w", s.String, err)
	}
	return l, nil
}

// ByGUID reads every row of ItemCols from rows, closes them and returns
// the items keyed by GUID. err is the error of the query that returned
// rows, returned when not nil.
func ByGUID(rows *sql.Rows, err error) (map[string]storage.Item, error) {
	items, err := Items(rows, err)
	if err != nil {
		return nil, err
	}
	m := make(map[string]storage.Item, len(items))
	for _, it := range items {
		m[it.GUID] = it
	}
	return m, nil
}

// idList returns ids as the JSON array {{id_list}} reads.
func idList(ids []int64) string {
	b := []byte{'['}
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// GUIDList returns guids as the JSON array the ItemsByGUID queries read.
func GUIDList(guids []string) (string, error) {
	if guids == nil {
		guids = []string{} // [], not null
	}
	b, err := json.Marshal(guids)
	return string(b), err
}
