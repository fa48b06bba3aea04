package dedupe

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/feeds"
	"github.com/feedmerge/feedmerge/storage"
)

// Bars of the realistic set (testdata/news), those of the template set:
// the test fails below pairwise precision 0.99 or recall 0.95
// (minPrecision, minRecall) or on any hard-negative pair merged. The
// algorithm measures precision 1.0000 and recall 0.9507, with none of
// the 80 hard-negative pairs merged; what it still misses is mostly
// copies that share no text with the story's representative, and
// stories split in two that a later copy confirms.
const (
	newsMinPrecision  = minPrecision
	newsMinRecall     = minRecall
	newsMaxHardMerged = 0
)

// loadNews returns testdata/news/items.json, after checking that it is
// what the hand-written stories of testdata/news/*.txt generate; with
// -update it rewrites the file first.
func loadNews(t *testing.T) newsSet {
	t.Helper()
	stories, err := loadNewsStories()
	if err != nil {
		t.Fatal(err)
	}
	gen, err := generateNews(stories)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(gen, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	path := filepath.Join("testdata", "news", "items.json")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the realistic set: %v (run go test -run TestNews -update)", err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("%s is not what testdata/news/*.txt generate: run go test -run TestNews -update", path)
	}
	var set newsSet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return set
}

// newsPoll is one item as a poll delivers it.
type newsPoll struct {
	item int       // index in the set
	at   time.Time // when the poll fetched it
}

// newsPollEpoch is when the simulated poller starts.
var newsPollEpoch = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// newsPolls orders the items of set as a poller would deliver them: each
// feed is polled every 1 to 6 hours, at a phase of its own (both chosen
// by its URL); a poll returns the items published since the previous
// one, newest first as feeds list them, and polls are handled in time
// order, as a store sees them.
func newsPolls(set newsSet) []newsPoll {
	out := make([]newsPoll, len(set.Items))
	for i, e := range set.Items {
		h := fnv.New32a()
		h.Write([]byte(e.Feed))
		sum := h.Sum32()
		every := []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 6 * time.Hour}[sum%5]
		phase := time.Duration(sum/5%uint32(every/time.Minute)) * time.Minute
		since := e.Published.Sub(newsPollEpoch.Add(phase))
		n := (since + every - 1) / every
		out[i] = newsPoll{item: i, at: newsPollEpoch.Add(phase + n*every)}
	}
	slices.SortStableFunc(out, func(a, b newsPoll) int {
		x, y := &set.Items[a.item], &set.Items[b.item]
		return cmp.Or(a.at.Compare(b.at), strings.Compare(x.Feed, y.Feed), y.Published.Compare(x.Published), strings.Compare(x.ID, y.ID))
	})
	return out
}

// newsResult is the outcome of running the realistic set.
type newsResult struct {
	tp, fp, fn int
	story      []int64        // predicted story of each item, by index in the set
	items      []storage.Item // each item as stored, with its keys
	d          *Deduper
	tx         *fakeTx // the store after the last poll
}

func (r newsResult) precision() float64 { return float64(r.tp) / float64(max(r.tp+r.fp, 1)) }
func (r newsResult) recall() float64    { return float64(r.tp) / float64(max(r.tp+r.fn, 1)) }

// runNews feeds the items of set, as polls deliver them, through Keys,
// Assign and PutItem of an in-memory store, and scores the clustering
// pairwise.
func runNews(t *testing.T, set newsSet, o Options) newsResult {
	t.Helper()
	d := New(o)
	tx := newFakeTx()
	ctx := t.Context()
	n := len(set.Items)
	r := newsResult{story: make([]int64, n), items: make([]storage.Item, n), d: d, tx: tx}
	for _, p := range newsPolls(set) {
		e := &set.Items[p.item]
		it := storage.Item{
			Item: feeds.Item{
				GUID: e.GUID, URL: e.Link, Title: e.Title, Summary: e.Summary, Content: e.Content,
				Published: e.Published,
			},
			FeedURL:   e.Feed,
			FeedTitle: e.Outlet,
			FirstSeen: p.at,
			Hash:      e.ID,
		}
		it.Keys = d.Keys(&it.Item)
		if _, err := d.Assign(ctx, tx, &it); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.PutItem(ctx, &it); err != nil {
			t.Fatal(err)
		}
		r.story[p.item], r.items[p.item] = it.StoryID, it
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
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
		}
	}
	return r
}

// newsHardMerged returns how many hard-negative pairs of set r merged (a
// pair merges when any item of one story shares a predicted story with
// any item of the other), how many item pairs that puts together, and
// the merged pairs by kind.
func newsHardMerged(set newsSet, r newsResult) (pairs, itemPairs int, byKind map[string]int, merged []newsNegative) {
	idx := map[string][]int{}
	for i, e := range set.Items {
		idx[e.Story] = append(idx[e.Story], i)
	}
	byKind = map[string]int{}
	for _, h := range set.HardNegatives {
		m := 0
		for _, i := range idx[h.StoryA] {
			for _, j := range idx[h.StoryB] {
				if r.story[i] == r.story[j] {
					m++
				}
			}
		}
		if m > 0 {
			pairs++
			itemPairs += m
			byKind[h.Kind]++
			merged = append(merged, h)
		}
	}
	return pairs, itemPairs, byKind, merged
}

// newsTally counts pairs under a label.
type newsTally struct {
	label       string
	pairs, hits int
}

type newsTallies map[string]*newsTally

func (m newsTallies) add(label string, hit bool) {
	v := m[label]
	if v == nil {
		v = &newsTally{label: label}
		m[label] = v
	}
	v.pairs++
	if hit {
		v.hits++
	}
}

// sorted returns the tallies, most hits first.
func (m newsTallies) sorted() []*newsTally {
	var out []*newsTally
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *newsTally) int {
		return cmp.Or(b.hits-a.hits, b.pairs-a.pairs, strings.Compare(a.label, b.label))
	})
	return out
}

// newsEditOrder ranks edits from the most to the least disruptive, for
// attributing a missed pair to one of them: rewritten text first, then
// decorations and datelines today's normaliser does not know, then the
// ones it handles.
var newsEditOrder = []string{
	"lead-rewrite", "second-para", "caption", "photo-credit", "figure-headline", "alt-headline",
	"updated-figure", "truncated-headline", "kicker", "diacritics",
	"dateline-dash", "dateline-colon", "dateline-reuters", "dateline-antara", "dateline-zh", "dateline-agency",
	"suffix-nospace", "suffix", "prefix", "title-case", "fullwidth", "cut", "source-line", "link-original",
	"twin-amp", "twin-mobile", "tracking-other", "tracking-utm", "tracking-known", "twin-section", "late",
}

// newsPrimaryEdit returns the most disruptive of edits, "none" if there
// are none.
func newsPrimaryEdit(edits []string) string {
	best := len(newsEditOrder)
	for _, e := range edits {
		if i := slices.Index(newsEditOrder, e); i >= 0 && i < best {
			best = i
		}
	}
	switch {
	case best < len(newsEditOrder):
		return newsEditOrder[best]
	case len(edits) > 0:
		return edits[0]
	}
	return "none"
}

// newsWhyMissed explains, against the store after the last poll, why
// the copies i and j ended in different stories: whether either, looked
// up again, finds the other's story among its candidates at all, and if
// so how it scores. It returns the reason and the closest decision.
func newsWhyMissed(t *testing.T, r newsResult, i, j int) (string, Decision) {
	t.Helper()
	var best Decision
	found := false
	for _, p := range [][2]int{{i, j}, {j, i}} {
		it := r.items[p[0]]
		all, err := r.d.Explain(t.Context(), r.tx, &it)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range all[1:] {
			if d.StoryID == r.story[p[1]] && (!found || d.Score > best.Score) {
				best, found = d, true
			}
		}
	}
	switch {
	case !found:
		return "never a candidate", best
	case best.Reason == ReasonURL:
		return "same URL, yet apart", best
	case best.Veto != "":
		return "vetoed: " + best.Veto, best
	case best.Reason == ReasonReject:
		return "a candidate scoring below the threshold", best
	}
	return "a candidate that confirms, outscored by another story", best
}

// logNewsErrors logs the missed pairs of copies by why they were missed
// and by the edits that made the copies differ, and the wrong merges by
// what the two stories are to each other; with -v, examples of both.
func logNewsErrors(t *testing.T, set newsSet, r newsResult) {
	t.Helper()
	hardKind := map[[2]string]string{}
	for _, h := range set.HardNegatives {
		hardKind[[2]string{h.StoryA, h.StoryB}] = h.Kind
		hardKind[[2]string{h.StoryB, h.StoryA}] = h.Kind
	}
	why, primary, any, wrong := newsTallies{}, newsTallies{}, newsTallies{}, newsTallies{}
	var missed, merged []string
	for i := range set.Items {
		a := &set.Items[i]
		for j := i + 1; j < len(set.Items); j++ {
			b := &set.Items[j]
			together := r.story[i] == r.story[j]
			if a.Story != b.Story {
				if together {
					k := cmp.Or(hardKind[[2]string{a.Story, b.Story}], "not listed")
					wrong.add(k, true)
					merged = append(merged, fmt.Sprintf("wrong merge (%s): %s %q / %s %q", k, a.ID, a.Title, b.ID, b.Title))
				}
				continue
			}
			var edits []string
			for _, e := range append(slices.Clone(a.Edits), b.Edits...) {
				if e != "original" && !slices.Contains(edits, e) {
					edits = append(edits, e)
				}
			}
			for _, e := range edits {
				any.add(e, !together)
			}
			if together {
				continue
			}
			primary.add(newsPrimaryEdit(edits), true)
			reason, d := newsWhyMissed(t, r, i, j)
			why.add(reason, true)
			dec := "not considered"
			if d.Match != nil {
				dec = d.String()
			}
			missed = append(missed, fmt.Sprintf("missed (%s; %s): %s %q [%s] / %s %q [%s]: %s",
				newsPrimaryEdit(edits), reason, a.ID, a.Title, strings.Join(a.Edits, ","), b.ID, b.Title, strings.Join(b.Edits, ","), dec))
		}
	}
	for _, v := range why.sorted() {
		t.Logf("missed pairs, %s: %d", v.label, v.hits)
	}
	t.Logf("missed pairs by the most disruptive edit of either copy:")
	for _, v := range primary.sorted() {
		t.Logf("  %-20s %4d", v.label, v.hits)
	}
	t.Logf("missed pairs by any edit of either copy (missed/pairs with it):")
	for _, v := range any.sorted() {
		t.Logf("  %-20s %4d/%-4d %5.1f%%", v.label, v.hits, v.pairs, 100*float64(v.hits)/float64(v.pairs))
	}
	for _, v := range wrong.sorted() {
		t.Logf("wrong-merge item pairs, %s: %d", v.label, v.hits)
	}
	if testing.Verbose() {
		for _, s := range merged[:min(len(merged), 20)] {
			t.Log(s)
		}
		for _, s := range missed[:min(len(missed), 40)] {
			t.Log(s)
		}
	}
}

// TestNews runs the realistic labelled set (testdata/news) as polls
// would deliver it and measures the clustering: pairwise precision and
// recall, hard-negative pairs merged, and where the misses come from.
// go test -run TestNews -v prints the figures.
func TestNews(t *testing.T) {
	set := loadNews(t)
	stories := map[string]string{}
	outlets := map[string]bool{}
	items := map[string]int{}
	for _, e := range set.Items {
		stories[e.Story] = e.Language
		outlets[e.Outlet] = true
		items[e.Language]++
	}
	byLang := map[string]int{}
	for _, l := range stories {
		byLang[l]++
	}
	negKinds := map[string]int{}
	for _, h := range set.HardNegatives {
		negKinds[h.Kind]++
	}
	if len(stories) < 300 || byLang["zh"]*4 < len(stories) || len(set.HardNegatives) < 60 || len(outlets) < 12 {
		t.Errorf("the realistic set has %d stories (%d Chinese), %d outlets and %d hard-negative pairs, want at least 300 (a quarter Chinese), 12 and 60",
			len(stories), byLang["zh"], len(outlets), len(set.HardNegatives))
	}
	t.Logf("%d items (%d English, %d Chinese) of %d stories (%d English, %d Chinese) from %d outlets",
		len(set.Items), items["en"], items["zh"], len(stories), byLang["en"], byLang["zh"], len(outlets))
	var kinds []string
	for _, k := range newsNegativeKinds {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, negKinds[k]))
	}
	t.Logf("%d hard-negative story pairs: %s", len(set.HardNegatives), strings.Join(kinds, ", "))

	r := runNews(t, set, DefaultOptions())
	hard, hardItems, byKind, merged := newsHardMerged(set, r)
	t.Logf("pairwise precision %.4f, recall %.4f (tp %d, fp %d, fn %d); hard-negative pairs merged %d of %d (%d item pairs)",
		r.precision(), r.recall(), r.tp, r.fp, r.fn, hard, len(set.HardNegatives), hardItems)
	kinds = kinds[:0]
	for _, k := range newsNegativeKinds {
		kinds = append(kinds, fmt.Sprintf("%s %d/%d", k, byKind[k], negKinds[k]))
	}
	t.Logf("hard-negative pairs merged by kind: %s", strings.Join(kinds, ", "))
	for _, h := range merged {
		t.Logf("hard negative merged (%s): %s / %s", h.Kind, h.StoryA, h.StoryB)
	}
	logNewsErrors(t, set, r)

	exact := runNews(t, set, Options{Near: false})
	t.Logf("exact URL/GUID dedupe only: precision %.4f, recall %.4f", exact.precision(), exact.recall())
	if exact.precision() < minPrecision {
		t.Errorf("exact dedupe: precision %.4f, want at least %.2f", exact.precision(), minPrecision)
	}

	if r.precision() < newsMinPrecision {
		t.Errorf("precision %.4f, want at least %.3f", r.precision(), newsMinPrecision)
	}
	if r.recall() < newsMinRecall {
		t.Errorf("recall %.4f, want at least %.3f", r.recall(), newsMinRecall)
	}
	if hard > newsMaxHardMerged {
		t.Errorf("%d hard-negative pairs merged, want at most %d", hard, newsMaxHardMerged)
	}
}
