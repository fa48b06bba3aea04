package aggregator

import (
	"net/http"

	"github.com/feedmerge/feedmerge/aggregator/fetch"
)

// SetWriteBatch makes s store at most n items in one write, so tests
// can make a long feed of a few thousand items.
func SetWriteBatch(s *Service, n int) { s.writeBatch = n }

// SetRecentSize makes s remember at most n recently stored items (see
// recent), so that a test of a few hundred items sees the ring full.
// Call it before the first poll.
func SetRecentSize(s *Service, n int) { s.recent.size = n }

// SetHTTPClient makes s fetch with c, for tests that serve feeds without
// a network (under testing/synctest).
func SetHTTPClient(s *Service, c *http.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetchOp.Client = c
	s.fetch.Close()
	s.fetch = fetch.New(s.fetchOp)
}
