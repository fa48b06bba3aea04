package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// Tombstones implements storage.Tx.
func (t *Tx) Tombstones(ctx context.Context, feedURL string, guids []string, now time.Time) (map[string]bool, error) {
	if len(guids) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: tombstones of %s: %w", t.Dialect.Name, feedURL, err)
	}
	list, err := GUIDList(guids)
	if err != nil {
		return nil, fmt.Errorf("%s: tombstones of %s: %w", t.Dialect.Name, feedURL, err)
	}
	rows, err := t.Run.Query(t.ctx(ctx), StTombstones, feedURL, list, Nanos(now))
	if err != nil {
		return nil, t.Dialect.errorf(err, "tombstones of %s", feedURL)
	}
	defer rows.Close()
	var out map[string]bool
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, t.Dialect.errorf(err, "tombstones of %s", feedURL)
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[g] = true
	}
	if err := rows.Err(); err != nil {
		return nil, t.Dialect.errorf(err, "tombstones of %s", feedURL)
	}
	return out, nil
}

// Expire implements storage.Tx.
func (t *Tx) Expire(ctx context.Context, q storage.ExpireQuery) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("%s: expire: %w", t.Dialect.Name, err)
	}
	ctx = t.ctx(ctx)
	var ids []int64
	if q.Limit > 0 && !q.Before.IsZero() {
		got, err := t.storyIDs(ctx, StExpiredStories, Nanos(q.Before), q.Limit)
		if err != nil {
			return 0, t.Dialect.errorf(err, "expired stories")
		}
		ids = got
	}
	if q.MaxStories > 0 && len(ids) < q.Limit {
		var feeds, items, stories int64
		if err := t.Run.QueryRow(ctx, StStats).Scan(&feeds, &items, &stories); err != nil {
			return 0, t.Dialect.errorf(err, "count stories")
		}
		// The oldest stories go first, expired or not, so the expired
		// ones lead this list too.
		if excess := int(stories) - q.MaxStories; excess > len(ids) {
			got, err := t.storyIDs(ctx, StOldestStories, min(excess, q.Limit))
			if err != nil {
				return 0, t.Dialect.errorf(err, "stories beyond %d", q.MaxStories)
			}
			for _, id := range got {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	now := Nanos(q.Now)
	for _, id := range ids {
		if _, err := t.Run.Exec(ctx, StBury, id, now); err != nil {
			return 0, t.Dialect.errorf(err, "tombstones of story %d", id)
		}
		if _, err := t.Run.Exec(ctx, StDeleteItems, id); err != nil {
			return 0, t.Dialect.errorf(err, "items of story %d", id)
		}
		if _, err := t.Run.Exec(ctx, StDeleteStory, id); err != nil {
			return 0, t.Dialect.errorf(err, "story %d", id)
		}
	}
	if len(ids) > 0 {
		t.dirty = true // the served feeds change
	}
	if !q.ForgetBefore.IsZero() {
		if _, err := t.Run.Exec(ctx, StForget, Nanos(q.ForgetBefore)); err != nil {
			return 0, t.Dialect.errorf(err, "forget tombstones")
		}
	}
	return len(ids), nil
}

func (t *Tx) storyIDs(ctx context.Context, st Stmt, args ...any) ([]int64, error) {
	rows, err := t.Run.Query(ctx, st, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
