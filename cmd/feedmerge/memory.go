package main

import (
	"runtime"
	"runtime/debug"
)

// gcPercent is the collector's target when the environment sets no
// GOGC: the heap may grow 30 % past what is live before a collection,
// not Go's 100 %. feedmerge's live heap is small (18 MB at the peak of
// a first poll of 1,000 feeds, 33 MB at 10,000), so collecting more
// often costs little: on the regional farm the first poll of 10,000
// feeds peaked at 82-83 MiB resident instead of 103, its CPU within the
// runs' noise, and that of 1,000 at 59-61 MiB instead of 72-74 for about
// 12 % more CPU. At 20 % the collector cost a third more CPU at 10,000.
const gcPercent = 30

// tuneMemory sets the collector's target to gcPercent unless getenv
// finds GOGC, which the runtime has applied, and stops sampling heap
// allocations, whose stacks the runtime would otherwise keep (about
// 2 MiB at the peak of 10,000 feeds) for a profile no one asks for;
// -memprofile samples them again.
func tuneMemory(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	runtime.MemProfileRate = 0
}
