package dedupe

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

var update = flag.Bool("update", false, "rewrite testdata/eval.json from the generator")

// Quality bars of the evaluation set.
const (
	minPrecision = 0.99
	minRecall    = 0.95
)

func loadEval(t *testing.T) evalSet {
	t.Helper()
	path := filepath.Join("testdata", "eval.json")
	if *update {
		b, err := json.MarshalIndent(generateEval(), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read evaluation set: %v (run go test -run TestEval -update)", err)
	}
	var set evalSet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return set
}

// evalResult is the outcome of running a set through the deduper.
type evalResult struct {
	tp, fp, fn  int
	hardMerged  int // item pairs of hard-negative stories put together
	hardPairs   int
	story       []int64 // predicted story of each item
	decisions   []Decision
	items       []storage.Item
	hardMax     float64 // highest confirm score of a hard-negative item pair
	hardMaxPair string
}

func (r evalResult) precision() float64 { return float64(r.tp) / float64(max(r.tp+r.fp, 1)) }
func (r evalResult) recall() float64    { return float64(r.tp) / float64(max(r.tp+r.fn, 1)) }

// runEval feeds the items of set, in arrival order, through Keys, Assign
// and PutItem of an in-memory store and scores the clustering pairwise.
func runEval(t *testing.T, set evalSet, o Options) evalResult {
	t.Helper()
	d := New(o)
	tx := newFakeTx()
	ctx := t.Context()
	var r evalResult
	for _, e := range set.Items {
		it := storage.Item{
			Item: feeds.Item{
				GUID: e.GUID, URL: e.URL, Title: e.Title, Summary: e.Summary, Content: e.Content,
				Published: e.Published,
			},
			FeedURL:   e.Feed,
			FeedTitle: e.Outlet,
			FirstSeen: e.Arrival,
			Hash:      e.GUID,
		}
		it.Keys = d.Keys(&it.Item)
		dec, err := d.Assign(ctx, tx, &it)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.PutItem(ctx, &it); err != nil {
			t.Fatal(err)
		}
		r.story = append(r.story, it.StoryID)
		r.decisions = append(r.decisions, dec)
		r.items = append(r.items, it)
	}
	hard := map[[2]string]bool{}
	for _, h := range set.HardNegatives {
		hard[[2]string{h.A, h.B}] = true
		hard[[2]string{h.B, h.A}] = true
	}
	for i := range set.Items {
		for j := i + 1; j < len(set.Items); j++ {
			same := set.Items[i].Story == set.Items[j].Story
			merged := r.story[i] == r.story[j]
			switch {
			case same && merged:
				r.tp++
			case same:
				r.fn++
			case merged:
				r.fp++
			}
			if hard[[2]string{set.Items[i].Story, set.Items[j].Story}] {
				r.hardPairs++
				if merged {
					r.hardMerged++
				}
				var fa, fb features
				fa.extract(&r.items[i])
				fb.extract(&r.items[j])
				var dec Decision
				confirm(&fa, &fb, &dec)
				if dec.Score > r.hardMax {
					r.hardMax = dec.Score
					r.hardMaxPair = set.Items[i].Title + " / " + set.Items[j].Title
				}
			}
		}
	}
	return r
}

func TestEval(t *testing.T) {
	set := loadEval(t)
	outlets, langs, stories := map[string]bool{}, map[bool]bool{}, map[string]bool{}
	for _, e := range set.Items {
		outlets[e.Outlet] = true
		langs[e.Story[:2] == "zh"] = true
		stories[e.Story] = true
	}
	if len(set.Items) < 400 || len(outlets) < 8 || len(langs) < 2 {
		t.Fatalf("evaluation set has %d items from %d outlets in %d languages, want at least 400, 8 and 2", len(set.Items), len(outlets), len(langs))
	}
	r := runEval(t, set, DefaultOptions())
	t.Logf("%d items, %d stories, %d outlets, %d hard-negative story pairs (%d item pairs)",
		len(set.Items), len(stories), len(outlets), len(set.HardNegatives), r.hardPairs)
	t.Logf("pairwise precision %.4f, recall %.4f (tp %d, fp %d, fn %d), hard negatives merged %d",
		r.precision(), r.recall(), r.tp, r.fp, r.fn, r.hardMerged)
	t.Logf("highest confirm score of a hard-negative pair, window ignored: %.2f (threshold %.2f): %s", r.hardMax, DefaultThreshold, r.hardMaxPair)
	if testing.Verbose() || r.precision() < minPrecision || r.recall() < minRecall || r.hardMerged > 0 {
		logErrors(t, set, r, 15)
	}
	if r.precision() < minPrecision {
		t.Errorf("precision %.4f, want at least %.2f", r.precision(), minPrecision)
	}
	if r.recall() < minRecall {
		t.Errorf("recall %.4f, want at least %.2f", r.recall(), minRecall)
	}
	if r.hardMerged > 0 {
		t.Errorf("%d item pairs of hard-negative stories merged, want 0", r.hardMerged)
	}

	// Margins: the best-scoring pair of different stories published within
	// the window, and the worst-scoring pair of copies with comparable bodies.
	fs := make([]features, len(r.items))
	for i := range r.items {
		fs[i].extract(&r.items[i])
	}
	negMax, posMin := 0.0, 1.0
	for i := range r.items {
		for j := i + 1; j < len(r.items); j++ {
			if dt := r.items[i].Published.Sub(r.items[j].Published).Abs(); dt > DefaultWindow {
				continue
			}
			var d Decision
			confirm(&fs[i], &fs[j], &d)
			if set.Items[i].Story != set.Items[j].Story {
				negMax = max(negMax, d.Score)
			} else if d.Body >= 0 {
				posMin = min(posMin, d.Score)
			}
		}
	}
	t.Logf("closest pair of different stories within the window scores %.2f; the least similar pair of copies with bodies %.2f; threshold %.2f",
		negMax, posMin, DefaultThreshold)

	// Exact dedupe alone must stay precise.
	exact := runEval(t, set, Options{Near: false})
	t.Logf("exact URL/GUID dedupe only: precision %.4f, recall %.4f", exact.precision(), exact.recall())
	if exact.precision() < minPrecision || exact.hardMerged > 0 {
		t.Errorf("exact dedupe: precision %.4f, hard negatives merged %d", exact.precision(), exact.hardMerged)
	}
}

// logErrors logs wrong merges and missed merges, one line each.
func logErrors(t *testing.T, set evalSet, r evalResult, limit int) {
	t.Helper()
	wrong, missed := 0, 0
	for i, e := range set.Items {
		dec := r.decisions[i]
		if dec.Match != nil {
			// Find the label of the matched item.
			for j := range r.items {
				if r.items[j].ID == dec.Match.ID && set.Items[j].Story != e.Story && wrong < limit {
					wrong++
					t.Logf("wrong merge: %s %q (%s) into %s: %v", e.Story, e.Title, e.Outlet, set.Items[j].Story, dec)
				}
			}
		}
	}
	// Missed: items that started a new story although an earlier-arrived
	// item of their story exists.
	seen := map[string]int{}
	for i, e := range set.Items {
		if j, ok := seen[e.Story]; ok && r.story[i] != r.story[j] && missed < limit {
			missed++
			d := Decision{Distance: distance(r.items[i].Keys.SimHash, r.items[j].Keys.SimHash)}
			var fa, fb features
			fa.extract(&r.items[i])
			fb.extract(&r.items[j])
			confirm(&fa, &fb, &d)
			t.Logf("missed: %s %q (%s, %s) not with %q (%s, %s): %v; against it: score=%.2f title=%.2f body=%.2f dist=%d keys %q / %q",
				e.Story, e.Title, e.Outlet, e.Variation,
				set.Items[j].Title, set.Items[j].Outlet, set.Items[j].Variation, r.decisions[i],
				d.Score, d.Title, d.Body, d.Distance, r.items[i].Keys.Title, r.items[j].Keys.Title)
		}
		if _, ok := seen[e.Story]; !ok {
			seen[e.Story] = i
		}
	}
}
