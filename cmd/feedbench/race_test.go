//go:build race

package main

// raceEnabled reports whether the race detector is on; it slows the
// pure-Go SQLite down so much that the smoke test skips the store fills.
const raceEnabled = true
