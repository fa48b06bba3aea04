package aggregator

import (
	"fmt"
	"testing"
)

// TestSpreadOfSimilarURLs checks that feeds whose URLs differ only in
// their last characters (one host's /f0 … /f299) are spread over the
// whole interval, not bunched at one moment.
func TestSpreadOfSimilarURLs(t *testing.T) {
	const n = 300
	var deciles [10]int
	for i := range n {
		v := spread(fmt.Sprintf("http://127.0.0.1:8765/f%d", i))
		if v < 0 || v >= 1 {
			t.Fatalf("spread = %v, want [0, 1)", v)
		}
		deciles[int(v*10)]++
	}
	for d, c := range deciles {
		if c < n/10/3 || c > n/10*3 {
			t.Errorf("decile %d holds %d of %d feeds: %v", d, c, n, deciles)
		}
	}
}
