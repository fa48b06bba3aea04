package fetch

import (
	"net/url"
	"time"
)

// ThrottledUntil returns the time until which the host of rawURL is
// throttled after a 429 or 503 with Retry-After, or the zero time if it is
// not, for tests.
func (f *Fetcher) ThrottledUntil(rawURL string) time.Time {
	u, err := url.Parse(rawURL)
	if err != nil {
		return time.Time{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[hostKey(u)]
	if h == nil || !h.until.After(f.o.Now()) {
		return time.Time{}
	}
	return h.until
}
