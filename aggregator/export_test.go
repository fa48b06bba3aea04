package aggregator

import (
	"time"

	"github.com/feedmerge/feedmerge/aggregator/fetch"
)

// SetWriteBatch makes s store at most n items in one write, so tests
// can make a long feed of a few thousand items.
func SetWriteBatch(s *Service, n int) { s.writeBatch = n }

// SetClock makes s read the time from now instead of time.Now: the
// schedule, cache lifetimes, Retry-After and backoff all follow it. Call
// it before the first poll.
func (s *Service) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	s.fetchOp.Now = now
	s.fetch.Close()
	s.fetch = fetch.New(s.fetchOp)
}
