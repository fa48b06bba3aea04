//go:build race

package aggregator_test

// raceEnabled reports whether the race detector is on; it slows the
// pure-Go SQLite down by two orders of magnitude.
const raceEnabled = true
