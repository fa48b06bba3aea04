package aggregator

import (
	"context"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// Retention runs in the background: every retainInterval (shorter when
// retention.max_age is, so that a story leaves the store and the served
// feed within a minute of expiring) it removes expired stories in
// batches of expireBatch, each batch its own short write, so that a poll
// waits for one batch at most.
const (
	retainInterval = time.Minute
	expireBatch    = 200
)

// retain removes expired stories until ctx ends.
func (s *Service) retain(ctx context.Context) {
	for {
		wait := retainInterval
		if age := s.Config().Retention.MaxAgeOrDefault(); age > 0 {
			wait = min(wait, max(age/10, time.Second))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		if _, err := s.Expire(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("retention failed", "database", s.dbName(), "err", oneLine(err.Error()))
		}
	}
}

// Expire removes, in batches, every story retention says to remove now:
// those whose newest copy was first seen longer ago than retention.max_age
// and, with retention.max_stories, the oldest beyond it. It returns how
// many it removed; it stops early when ctx ends, leaving the store
// consistent (every batch is one transaction).
func (s *Service) Expire(ctx context.Context) (int, error) {
	r := s.Config().Retention
	age := r.MaxAgeOrDefault()
	if age <= 0 && r.MaxStories <= 0 {
		return 0, nil
	}
	now := s.now()
	q := storage.ExpireQuery{MaxStories: r.MaxStories, Limit: expireBatch, Now: now}
	if age > 0 {
		q.Before = now.Add(-age)
		q.ForgetBefore = now.Add(-age) // a tombstone its feed stopped listing that long ago
	}
	total := 0
	wctx := context.WithoutCancel(ctx) // a batch, once begun, finishes
	for ctx.Err() == nil {
		var n int
		err := s.store.Update(wctx, func(tx storage.Tx) error {
			var err error
			n, err = tx.Expire(wctx, q)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		q.ForgetBefore = time.Time{} // once per pass is enough
		if n < q.Limit {
			break
		}
	}
	if total > 0 {
		s.log.Info("expired stories", "removed", total, "max_age", age.String(), "max_stories", r.MaxStories)
	}
	return total, nil
}
