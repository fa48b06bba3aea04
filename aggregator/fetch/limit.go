package fetch

import (
	"context"
	"math/rand/v2"
	"time"
)

// acquire waits, within ctx, for a slot of host h, then for a global slot,
// then until h's spacing allows the next request to start. The returned
// function gives both slots back.
func (f *Fetcher) acquire(ctx context.Context, h *host) (release func(), err error) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case f.global <- struct{}{}:
	case <-ctx.Done():
		<-h.sem
		return nil, ctx.Err()
	}
	release = func() {
		<-f.global
		<-h.sem
	}
	// The global slot is taken before the spacing wait so that the
	// spacing holds between actual request starts. A host holds at most
	// PerHost global slots while it waits.
	for {
		f.mu.Lock()
		now := time.Now()
		if !now.Before(h.next) {
			h.next = now.Add(f.gap())
			f.mu.Unlock()
			return release, nil
		}
		wait := h.next.Sub(now)
		f.mu.Unlock()
		if err := sleep(ctx, wait); err != nil {
			release()
			return nil, err
		}
	}
}

// gap returns the spacing before the next request to a host: HostDelay
// plus a random jitter of up to half of it, so that the feeds of one host
// drift apart instead of firing together.
func (f *Fetcher) gap() time.Duration {
	d := f.o.HostDelay
	if d <= 0 {
		return 0
	}
	return d + rand.N(d/2+1)
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
