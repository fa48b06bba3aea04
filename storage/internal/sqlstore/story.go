package sqlstore

import (
	"database/sql"

	"github.com/feedmerge/feedmerge/feeds"
)

// StoriesQuery returns the query whose rows Stories reads: the stories of
// page, a query of one page of stories with columns id, uid, rep_item_id,
// published and updated, each with its representative item and feed,
// newest first.
func StoriesQuery(page string) string {
	return `WITH page AS (` + page + `)
	SELECT p.id, p.uid, p.published, p.updated, i.title, i.url, i.texts, i.author, i.lang,
		i.categories, o.name, n.name, coalesce(f.site_url, '')
	FROM page p JOIN items i ON i.id = p.rep_item_id ` + ItemNames + ` LEFT JOIN feeds f ON f.url = n.name
	ORDER BY p.published DESC, p.id DESC`
}

// RelatedQuery returns the query of the related rows Stories reads: the
// other items of the stories of page (see StoriesQuery), by story and
// oldest first.
func RelatedQuery(page string) string {
	return `WITH page AS (` + page + `)
	SELECT i.story_id, i.url, o.name FROM page p JOIN items i ON i.story_id = p.id JOIN names o ON o.id = i.outlet_id
	WHERE i.id <> p.rep_item_id ORDER BY i.story_id, i.published, i.id`
}

// Stories reads the stories from rows of StoriesQuery and closes them;
// unless there are none, it then adds the links of their other copies
// from the rows that related returns (of RelatedQuery on the same page,
// in the same transaction). It returns the first error of a query, a scan
// or a list column.
func Stories(rows *sql.Rows, related func() (*sql.Rows, error)) ([]feeds.Story, error) {
	defer rows.Close()
	var stories []feeds.Story
	index := make(map[int64]int)
	for rows.Next() {
		var s feeds.Story
		var id, pub, upd int64
		var cats sql.NullString
		var texts []byte
		err := rows.Scan(&id, &s.ID, &pub, &upd, &s.Title, &s.URL, &texts, &s.Author,
			&s.Lang, &cats, &s.Source.Title, &s.Source.FeedURL, &s.Source.SiteURL)
		if err == nil {
			s.Summary, s.Content, err = UnpackTexts(texts)
		}
		if err != nil {
			return nil, err
		}
		s.Published, s.Updated = Time(pub), Time(upd)
		if s.Categories, err = Unlist(cats); err != nil {
			return nil, err
		}
		index[id] = len(stories)
		stories = append(stories, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(stories) == 0 {
		return nil, nil
	}
	rows, err := related()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var id int64
	var l feeds.Link
	for rows.Next() {
		if err := rows.Scan(&id, &l.URL, &l.Title); err != nil {
			return nil, err
		}
		n, ok := index[id]
		if !ok {
			continue
		}
		addRelated(&stories[n], l)
	}
	return stories, rows.Err()
}

// addRelated appends l to s.Related unless its URL is empty, the
// representative's, or already listed.
func addRelated(s *feeds.Story, l feeds.Link) {
	if l.URL == "" || l.URL == s.URL {
		return
	}
	for _, r := range s.Related {
		if r.URL == l.URL {
			return
		}
	}
	s.Related = append(s.Related, l)
}
