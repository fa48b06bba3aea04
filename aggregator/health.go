package aggregator

import (
	"net/url"
	"sync"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// health remembers how the service's writes have gone of late: the last
// one that failed, the last that succeeded, and the state of every feed
// whose write failed, which the store does not hold. It is what Status
// and /healthz add to what the store says.
type health struct {
	mu       sync.Mutex
	pending  map[string]storage.Feed // by feed URL: states not yet written
	failedAt time.Time
	err      error
	storedAt time.Time // the last write that succeeded
}

// pendingState returns the state of the feed at u whose write failed, if
// there is one; it is newer than the stored state.
func (h *health) pendingState(u string) (storage.Feed, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.pending[u]
	return st, ok
}

// failed records a write that failed and the feed state it did not write.
func (h *health) failed(st storage.Feed, now time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending == nil {
		h.pending = map[string]storage.Feed{}
	}
	h.pending[st.URL] = st
	h.failedAt, h.err = now, err
}

// stored records that the state of the feed at u was written.
func (h *health) stored(u string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.pending, u)
	h.storedAt = now
}

// problem returns the last write failure and when it happened, while no
// write has succeeded since; else the zero time and nil.
func (h *health) problem() (time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil || h.storedAt.After(h.failedAt) {
		return time.Time{}, nil
	}
	return h.failedAt, h.err
}

// redactDatabase returns a database setting fit for logs: a PostgreSQL
// URL without its password, a SQLite path as it is.
func redactDatabase(db string) string {
	if !IsPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres database"
	}
	return u.Redacted()
}
