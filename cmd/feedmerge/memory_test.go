package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTuneMemory checks that feedmerge collects at gcPercent unless GOGC
// is set, and samples heap allocations only for -memprofile.
func TestTuneMemory(t *testing.T) {
	rate := runtime.MemProfileRate
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev); runtime.MemProfileRate = rate })

	tuneMemory(func(string) string { return "" })
	if got := debug.SetGCPercent(77); got != gcPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, gcPercent)
	}
	if runtime.MemProfileRate != 0 {
		t.Errorf("MemProfileRate %d after tuneMemory, want 0", runtime.MemProfileRate)
	}

	tuneMemory(func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 77 {
		t.Errorf("GOGC set: GC percent changed to %d, want it left at 77", got)
	}

	p := &profiles{mem: t.TempDir() + "/mem.prof"}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	if runtime.MemProfileRate != heapSampling {
		t.Errorf("-memprofile: MemProfileRate %d, want %d", runtime.MemProfileRate, heapSampling)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}
