package sqlstore

import "sync"

// Gate counts the running calls of a store so that closing it can wait
// for them, and turns calls away once it is closed. The zero Gate is open.
type Gate struct {
	mu     sync.Mutex
	closed bool
	active sync.WaitGroup
}

// Enter registers a running call and reports true, or reports false once
// Close has been called. A call that entered must Leave.
func (g *Gate) Enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.active.Add(1)
	return true
}

// Leave ends a call registered by Enter.
func (g *Gate) Leave() { g.active.Done() }

// Close turns new calls away and waits for the running ones to leave. It
// reports false, without waiting, if the gate was already closed.
func (g *Gate) Close() bool {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false
	}
	g.closed = true
	g.mu.Unlock()
	g.active.Wait()
	return true
}
