package aggregator

import "golang.org/x/sync/semaphore"

// parseBudget bounds the bytes of fetched bodies being parsed at once,
// all feeds together. Parsing builds several times a document's size in
// memory; without a budget, Concurrency fetches of MaxBody each could
// all be parsed at the same moment.
type parseBudget struct {
	*semaphore.Weighted
	size int64 // the budget in bytes; a body larger than it takes all of it
}

// parseBudgetBodies is how many bodies of the largest allowed size may
// be parsed at once.
const parseBudgetBodies = 4

func newParseBudget(maxBody int64) *parseBudget {
	size := parseBudgetBodies * maxBody
	return &parseBudget{Weighted: semaphore.NewWeighted(size), size: size}
}
