package aggregator

import (
	"net/http"

	"github.com/feedmerge/feedmerge/aggregator/fetch"
)

// SetWriteBatch makes s store at most n items in one write, so tests
// can make a long feed of a few thousand items.
func SetWriteBatch(s *Service, n int) { s.writeBatch = n }

// SetHTTPClient makes s fetch with c, for tests that serve feeds without
// a network (under testing/synctest).
func SetHTTPClient(s *Service, c *http.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetchOp.Client = c
	s.fetch.Close()
	s.fetch = fetch.New(s.fetchOp)
}
