package dedupe

import "testing"

// TestEvalSeeds runs evaluation sets generated from other seeds than the
// committed one, so that the rules are not tuned to one draw.
func TestEvalSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and scores several evaluation sets")
	}
	for s := range uint64(6) {
		set := generateEvalSeed(s, s*7+1)
		r := runEval(t, set, DefaultOptions())
		t.Logf("seed %d: %d items, precision %.4f, recall %.4f, hard negatives merged %d", s, len(set.Items), r.precision(), r.recall(), r.hardMerged)
		if r.precision() < minPrecision || r.recall() < minRecall || r.hardMerged > 0 {
			t.Errorf("seed %d: precision %.4f, recall %.4f, hard negatives merged %d", s, r.precision(), r.recall(), r.hardMerged)
			logErrors(t, set, r, 10)
		}
	}
}
