package dedupe

import (
	"bytes"
	"cmp"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/feedmerge/feedmerge/storage"
)

const (
	// leadTokens is how many leading tokens of the body the SimHash covers:
	// few enough that summaries cut at different lengths share them.
	leadTokens = 16
	// minShingles is the least number of shingles a body needs for the
	// containment score to count; shorter bodies are judged by title.
	minShingles = 10
	// minTitleWords is the least number of title words (without
	// stopwords; two CJK characters count as one) for a title alone to
	// confirm a match.
	minTitleWords = 5
)

// features are what the confirm step compares of an item.
type features struct {
	title  []uint64             // sorted, unique hashes of title tokens without stopwords
	words  float64              // length of the title in words; a CJK bigram counts half
	tseq   []uint32             // the title tokens without stopwords, in order, as vocab hashes them (at most 64)
	tpair  uint64               // bit i: tseq[i] is a CJK character pair
	tcont  uint64               // bit i: the pair tseq[i] overlaps the one before it in a run
	nums   []uint64             // sorted, unique hashes of the numbers in the title
	body   []uint32             // sorted, unique hashes of 3-token shingles of the body
	rest   []uint32             // those of them after the first sentence
	vocab  []uint32             // sorted, unique hashes of the body's words without stopwords, plurals folded
	bnums  []uint32             // sorted, unique hashes of the numbers in the body
	figs   []uint64             // sorted, unique figures of the body: unit hash << 32 | number hash
	head   [headShingles]uint32 // the body's first shingles, in order
	nhead  int                  // how many of head are set
	paras  int                  // paragraphs (lines) of the body; 0 when the body was cut short
	cut    bool                 // the title was cut short: its last token was left out
	source string               // normalised name credited by a "Source:" line
	outlet string               // normalised name of the item's feed
	host   string               // host of the canonical URL, dots removed
	url    string               // canonical URL
	links  []string             // canonical URLs the body links to
	pub    time.Time
	src    source // what the features were extracted from

	raw             []string // scratch for hrefs
	sbuf            []uint32 // scratch for sorting shingles
	buf, nbuf, tbuf []byte
}

func (f *features) reset() {
	f.title, f.nums, f.body, f.rest, f.links, f.raw = f.title[:0], f.nums[:0], f.body[:0], f.rest[:0], f.links[:0], f.raw[:0]
	f.vocab, f.bnums, f.figs = f.vocab[:0], f.bnums[:0], f.figs[:0]
	f.nhead = 0
	f.paras, f.cut = 0, false
	f.source, f.outlet, f.host, f.url = "", "", "", ""
	f.words = 0
	f.tseq, f.tpair, f.tcont = f.tseq[:0], 0, 0
}

// scratch is the reusable state of one confirmation.
type scratch struct{ a, b features }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// bodyHTML returns the text an item is compared by: its content when
// longer than its summary, else its summary.
func bodyHTML(it *storage.Item) string {
	if len(it.Content) > len(it.Summary) {
		return it.Content
	}
	return it.Summary
}

// extract fills f from it.
func (f *features) extract(it *storage.Item) {
	f.reset()
	// Title; one cut short ("… 超过２０…") loses its last, maybe partial,
	// token.
	f.tbuf = append(f.tbuf[:0], cleanTitle(it.Title)...)
	title := f.tbuf
	if b, ok := cutEllipsis(title); ok {
		title, f.cut = dropLastToken(b), true
	}
	t := newTokenizer(title)
	for {
		tok, kind, ok := t.next()
		if !ok {
			break
		}
		if kind == kindWord && stopwords[string(tok)] {
			continue
		}
		if kind == kindCJK {
			f.words += 0.5
		} else {
			f.words++
		}
		if kind == kindWord {
			tok = stem(tok) // "trains" and "train" are one word
		}
		h := hashBytes(tok)
		f.title = append(f.title, h)
		if kind == kindNumber {
			f.nums = append(f.nums, h)
		}
		if i := len(f.tseq); i < 64 {
			f.tseq = append(f.tseq, uint32(mix(h)>>32))
			if kind == kindCJK && len(tok) > utf8.RuneLen(firstRune(tok)) {
				f.tpair |= 1 << i
				if !t.runStart {
					f.tcont |= 1 << i
				}
			}
		}
	}
	f.title = sortUnique(f.title)
	f.nums = sortUnique(f.nums)

	// Body shingles.
	txt := cleanBody(bodyHTML(it), &f.buf, &f.nbuf, &f.raw)
	t = newTokenizer(txt.body)
	var w [3]uint64
	n := 0
	lastNum := false
	var pending uint32 // the hash of a number waiting for its unit
	havePending := false
	restStart, restToken := firstSentence(txt.body), -1
	for n < maxScan {
		tok, kind, ok := t.next()
		if !ok {
			break
		}
		if restToken < 0 && t.i > restStart {
			restToken = n
		}
		if n >= 3 {
			sh := shingle(w)
			f.body = append(f.body, sh)
			if restToken >= 0 && n-3 >= restToken {
				f.rest = append(f.rest, sh)
			}
			if f.nhead < headShingles {
				f.head[f.nhead] = sh
				f.nhead++
			}
		}
		h := hashBytes(tok)
		if havePending {
			f.figs = append(f.figs, figure(pending, unitHash(tok, kind, h)))
			havePending = false
		}
		switch {
		case kind != kindWord:
			f.vocab = append(f.vocab, uint32(mix(h)>>32))
		case !stopwords[string(tok)]:
			f.vocab = append(f.vocab, uint32(mix(hashBytes(stem(tok)))>>32))
		}
		lastNum = kind == kindNumber
		if lastNum {
			v := uint32(mix(h) >> 32)
			f.bnums = append(f.bnums, v)
			if t.i < len(t.s) && t.s[t.i] == '%' {
				f.figs = append(f.figs, figure(v, percentUnit))
			} else {
				pending, havePending = v, true
			}
		}
		w[0], w[1], w[2] = w[1], w[2], h
		n++
	}
	// The last token is kept only when the text was not cut mid-word.
	if n >= 3 && !txt.cut {
		f.body = append(f.body, shingle(w))
		if restToken >= 0 && n-3 >= restToken {
			f.rest = append(f.rest, shingle(w))
		}
	}
	if txt.cut && lastNum && n < maxScan {
		f.bnums = f.bnums[:len(f.bnums)-1] // "2,0…" is not 2,000
		if !havePending && len(f.figs) > 0 {
			f.figs = f.figs[:len(f.figs)-1] // nor is "1,2…%"
		}
	} else if havePending && !txt.cut {
		f.figs = append(f.figs, figure(pending, 0)) // a figure ending the text
	}
	f.bnums = sortShingles(f.bnums, &f.sbuf)
	f.vocab = sortShingles(f.vocab, &f.sbuf)
	f.rest = sortShingles(f.rest, &f.sbuf)
	f.figs = sortUnique(f.figs)
	if !txt.cut {
		f.paras = paragraphs(txt.body)
	}
	f.body = sortShingles(f.body, &f.sbuf)
	if txt.source != nil {
		f.source = nameKey(string(txt.source))
	}
	f.pub = it.Published
	f.src = sourceOf(it)
	f.outlet = nameKey(it.FeedTitle)
	f.url = it.Keys.URL
	if f.url == "" {
		f.url = CanonicalURL(it.URL)
	}
	f.host = hostKey(f.url)
	for i, l := range f.raw {
		if i == 8 {
			break
		}
		f.links = append(f.links, CanonicalURL(l))
	}
}

// cutEllipsis returns the title b without a closing ellipsis, and whether
// it had one.
func cutEllipsis(b []byte) ([]byte, bool) {
	for _, e := range [...]string{"…", "..."} {
		if bytes.HasSuffix(b, []byte(e)) {
			return bytes.TrimRight(b[:len(b)-len(e)], " .…"), true
		}
	}
	return b, false
}

// dropLastToken returns b without its last token: a word or number, or
// the last character of a run of CJK characters.
func dropLastToken(b []byte) []byte {
	t := newTokenizer(b)
	end, cjk := 0, false
	for {
		_, kind, ok := t.next()
		if !ok {
			break
		}
		end, cjk = t.i, kind == kindCJK
	}
	if cjk {
		return b[:end] // t.i is past a bigram's first character
	}
	for end > 0 {
		r, size := utf8.DecodeLastRune(b[:end])
		if isCJK(r) || !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == ',' || r == '.') {
			break
		}
		end -= size
	}
	return b[:end]
}

// paragraphs counts the non-empty lines of b.
func paragraphs(b []byte) int {
	n := 0
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n
}

// shingle hashes a window of three token hashes to 32 bits: a body has
// at most maxScan shingles, so collisions are rare enough not to move a
// score, and half-size hashes sort and compare faster.
func shingle(w [3]uint64) uint32 {
	return uint32(mix(w[0]*31*31+w[1]*31+w[2]) >> 32)
}

func sortUnique[T cmp.Ordered](s []T) []T {
	slices.Sort(s)
	return slices.Compact(s)
}

// sortShingles sorts the shingle hashes s, drops duplicates and returns
// the result in s's memory. Longer bodies are sorted by radix, a byte at a
// time, using tmp as scratch space: several times faster than comparison
// sorting for the few hundred shingles of a body.
func sortShingles(s []uint32, tmp *[]uint32) []uint32 {
	if len(s) < 64 {
		return sortUnique(s)
	}
	if cap(*tmp) < len(s) {
		*tmp = make([]uint32, len(s))
	}
	src, dst := s, (*tmp)[:len(s)]
	for shift := 0; shift < 32; shift += 8 {
		var start [256]int
		for _, v := range src {
			start[v>>shift&0xff]++
		}
		n := 0
		for i, c := range start {
			start[i] = n
			n += c
		}
		for _, v := range src {
			b := v >> shift & 0xff
			dst[start[b]] = v
			start[b]++
		}
		src, dst = dst, src
	}
	// Four passes: the sorted values are back in s.
	return slices.Compact(s)
}

// nameKey folds an outlet name for comparison: lower case letters and
// digits only ("China Daily" → "chinadaily").
func nameKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 0x80 && isCJK(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hostKey returns the host of the canonical URL u with dots removed
// ("chinadaily.com.cn" → "chinadailycomcn").
func hostKey(u string) string {
	h, ok := strings.CutPrefix(u, "https://")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(h, '/'); i >= 0 {
		h = h[:i]
	}
	return strings.ReplaceAll(h, ".", "")
}

// intersect counts the values present in both sorted slices.
func intersect[T cmp.Ordered](a, b []T) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}

// credits reports whether the source credited by f names the outlet of g.
func credits(f, g *features) bool {
	if len(f.source) < 4 {
		return false
	}
	return strings.Contains(g.outlet, f.source) || strings.Contains(g.host, f.source) ||
		len(g.outlet) >= 4 && strings.Contains(f.source, g.outlet)
}

// links reports whether the body of f links to the page of g.
func links(f, g *features) bool {
	if g.url == "" {
		return false
	}
	for _, l := range f.links {
		if l == g.url {
			return true
		}
	}
	return false
}

// Score weights.
const (
	titleWeight       = 0.3
	bodyWeight        = 0.7
	attributionBonus  = 0.1
	linkBonus         = 0.2
	titleOnlyScore    = 0.9 // score of identical titles when bodies are too short to compare
	titleOnlyFraction = 0.5 // scale of other title similarities when bodies are too short
	minEvidence       = 0.5 // body (or, without bodies, title) similarity for the bonuses to count
	titleOnlyWindow   = 36 * time.Hour
	copyWindow        = 48 * time.Hour // how late a republished copy of a text comes
	sameTitleScore    = 0.75           // score of identical long titles whose bodies differ
	columnGap         = 18 * time.Hour
	minVocab          = 0.2 // share of words the texts under one headline share
	minSharedTitle    = 0.3 // title overlap below which one shared paragraph counts less
	maxParagraphBody  = 0.7
	numberPenalty     = 0.3
	copyContainment   = 0.9 // share of the shorter text in the longer that makes it a copy
	minCopyShingles   = 20  // shingles of text (a sentence and more) a copy must have
	copyScore         = 0.8 // score of a text found whole at the start of the other
	minSupport        = 0.5 // share of a headline's words the lead it is written for holds
)

// vocabOverlap returns the share of the words of the body with fewer
// distinct words found in the other body.
func vocabOverlap(a, c *features) float64 { return shorterShare(a.vocab, c.vocab, 0) }

// shorterShare returns the share of the shorter of two sorted sets found
// in the longer, or empty when the shorter is empty.
func shorterShare(a, b []uint32, empty float64) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) == 0 {
		return empty
	}
	return float64(intersect(a, b)) / float64(len(a))
}

// support returns the share of the words of the title of f that the text
// vocab holds: a headline written for a text takes most of its words
// from it, one over shared background does not. A Chinese headline,
// read as overlapping character pairs, is measured by its characters: a
// character counts as held when a pair it is part of is in the text, so
// that the pairs that straddle two words ("市卖" in "上市卖好价") do not
// count against it.
func support(f *features, vocab []uint32) float64 {
	var units, held float64
	in := func(i int) bool {
		_, ok := slices.BinarySearch(vocab, f.tseq[i])
		return ok
	}
	for i := 0; i < len(f.tseq); i++ {
		if f.tpair&(1<<i) == 0 {
			units++
			if in(i) {
				held++
			}
			continue
		}
		// A run of overlapping pairs p_i … p_j holds j-i+2 characters.
		j := i
		for j+1 < len(f.tseq) && f.tcont&(1<<(j+1)) != 0 {
			j++
		}
		prev := false
		for k := i; k <= j; k++ {
			cur := in(k)
			units += 0.5 // the first character of p_k
			if cur || prev {
				held += 0.5
			}
			prev = cur
		}
		units += 0.5 // the last character of p_j
		if prev {
			held += 0.5
		}
		i = j
	}
	if units == 0 {
		return 0
	}
	return held / units
}

// firstRune returns the first rune of b.
func firstRune(b []byte) rune {
	r, _ := utf8.DecodeRune(b)
	return r
}

// reported reports whether every number of nums is in the text of f.
func reported(nums []uint64, f *features) bool {
	for _, n := range nums {
		if _, ok := slices.BinarySearch(f.bnums, uint32(mix(n)>>32)); !ok {
			return false
		}
	}
	return true
}

// headShingles is how many of a body's first shingles are kept to tell
// whether two texts start alike.
const headShingles = 16

// percentUnit is the unit of a figure followed by "%" or "percent".
const percentUnit = 1

// figure packs the hash of a number and the hash of its unit, the word
// after it, into one value that sorts by unit.
func figure(num, unit uint32) uint64 { return uint64(unit)<<32 | uint64(num) }

// unitHash returns the unit hash of tok, the token after a number:
// percentUnit for "percent" and "pct", 0 (no unit) for a function word
// or another number, else the hash of the word without a plural "s", so
// that "1 container" and "46 containers" measure the same thing.
func unitHash(tok []byte, kind tokenKind, h uint64) uint32 {
	switch {
	case kind == kindNumber:
		return 0
	case kind == kindCJK:
		return max(uint32(mix(h)>>32), 2)
	case string(tok) == "percent" || string(tok) == "pct":
		return percentUnit
	case stopwords[string(tok)] || unitless[string(tok)]:
		return 0
	}
	return max(uint32(mix(hashBytes(stem(tok)))>>32), 2)
}

// unitless are words after a number that say nothing about what it
// counts ("300 more rangers", "20 or so").
var unitless = map[string]bool{"more": true, "less": true, "fewer": true, "so": true, "per": true, "am": true, "pm": true}

// stem returns an English word without its inflection, as far as it
// matters for telling that two headlines use one word: a plural "s"
// ("trains" → "train"), "ies" and a final "y" ("cities", "city" →
// "cit"), a past "ed" ("exported" → "export") and then a silent "e"
// ("closed", "close" → "clos"). Words of three letters and words in
// "ss", "us" and "is" are kept; so is "ing", which as often makes
// another word ("training" is not "trains"). What matters is that each
// form of a word gives the same, not that the result is a word.
func stem(w []byte) []byte {
	n := len(w)
	if n < 4 || w[n-1] == 's' && (w[n-2] == 's' || w[n-2] == 'u' || w[n-2] == 'i') {
		return w
	}
	switch {
	case n > 4 && w[n-1] == 's' && w[n-2] == 'e' && w[n-3] == 'i':
		return w[:n-3]
	case w[n-1] == 's':
		w = w[:n-1]
	case n > 4 && w[n-2] == 'e' && w[n-1] == 'd':
		w = w[:n-2]
		if m := len(w); m > 3 && w[m-1] == 'i' { // "carried" → "carri" → "carr"
			return w[:m-1]
		}
	}
	n = len(w)
	switch {
	case n > 3 && w[n-1] == 'y' && !vowel(w[n-2]):
		return w[:n-1]
	case n > 3 && w[n-1] == 'e':
		return w[:n-1]
	}
	return w
}

// figures compares the figures of the texts of a and c: agree is how
// many numbers both report, conflict how many quantities (a unit both
// report, "agreements", "percent", "个项") they report only with
// different numbers, neither of which the other text has at all: "560
// agreements" and "56 agreements". A number a text cut short may have
// cut is never extracted, so it never conflicts.
func figures(a, c *features) (agree, conflict int) {
	agree = intersect(a.bnums, c.bnums)
	i, j := 0, 0
	for i < len(a.figs) && j < len(c.figs) {
		ua, uc := a.figs[i]>>32, c.figs[j]>>32
		switch {
		case ua < uc:
			i++
			continue
		case ua > uc:
			j++
			continue
		}
		ie, je := i, j
		for ie < len(a.figs) && a.figs[ie]>>32 == ua {
			ie++
		}
		for je < len(c.figs) && c.figs[je]>>32 == uc {
			je++
		}
		if ua != 0 && !anyNumberIn(a.figs[i:ie], c.bnums) && !anyNumberIn(c.figs[j:je], a.bnums) {
			conflict++
		}
		i, j = ie, je
	}
	return agree, conflict
}

func vowel(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }

// anyNumberIn reports whether the number of any of figs is in nums.
func anyNumberIn(figs []uint64, nums []uint32) bool {
	for _, f := range figs {
		if _, ok := slices.BinarySearch(nums, uint32(f)); ok {
			return true
		}
	}
	return false
}

// startAlike reports whether the texts of a and c begin with the same
// words: seven of the first eight shingles of a (ten words) are among
// the first headShingles of c. A lead rewritten by another desk may keep
// its first few words, not ten. Copies start alike, however they were cut; two stories that
// share a background paragraph seldom both open with it.
func startAlike(a, c *features) bool {
	if a.nhead < 8 || c.nhead < 8 {
		return false
	}
	n := 0
	for _, x := range a.head[:8] {
		if slices.Contains(c.head[:c.nhead], x) {
			n++
		}
	}
	return n >= 7
}

// rewrittenLead reports whether the text of a or c after its first
// sentence, of at least minCopyShingles shingles, is found in the other
// whole: the lead was rewritten and the rest kept. What is shared must
// be what one of the headlines reports, or the headlines must share
// half their words, else it may be background that two stories share.
func rewrittenLead(a, c *features, titles bool) bool {
	for _, p := range [...][2]*features{{a, c}, {c, a}} {
		f, g := p[0], p[1]
		if len(f.rest) < minCopyShingles || float64(intersect(f.rest, g.body)) < copyContainment*float64(len(f.rest)) {
			continue
		}
		if titles || max(support(f, g.vocab), support(g, f.vocab)) >= minSupport {
			return true
		}
	}
	return false
}

// partAfterOpening reports whether texts that start alike share little
// beyond their opening: of the shingles of the shorter text after its
// first headShingles, fewer than half are in the other, as in two issues
// of a column that open with the same sentence. Copies, however cut,
// go on alike. Too short a text to tell is judged by its containment.
func partAfterOpening(a, c *features, containment float64) bool {
	short, long := a, c
	if len(short.body) > len(long.body) {
		short, long = long, short
	}
	rest := len(short.body) - short.nhead
	if rest < minShingles {
		return containment < copyContainment
	}
	head := 0
	for _, x := range short.head[:short.nhead] {
		if _, ok := slices.BinarySearch(long.body, x); ok {
			head++
		}
	}
	shared := intersect(short.body, long.body) - head
	return float64(shared) < 0.5*float64(rest)
}

// recurring reports whether a and c, with the same title, may be two
// issues of one outlet's column: the same outlet (by name or host), hours
// apart.
func recurring(a, c *features) bool {
	same := a.host != "" && a.host == c.host || a.outlet != "" && a.outlet == c.outlet
	return same && a.pub.Sub(c.pub).Abs() >= columnGap
}

// confirm scores the candidate representative c against the new item a
// and records the scores, and every signal that moved them, in d.
func confirm(a, c *features, d *Decision) {
	d.Title = -1
	d.Body = -1
	inter := intersect(a.title, c.title)
	if n := len(a.title) + len(c.title); n > 0 {
		d.Title = 2 * float64(inter) / float64(n)
	}
	// A title cut short is compared by how much of it the other holds.
	for _, f := range [...]*features{a, c} {
		if f.cut && len(f.title) >= 4 && !(a.cut && c.cut) {
			d.Title = float64(inter) / float64(len(f.title))
		}
	}
	d.Attributed = credits(a, c) || credits(c, a)
	d.Linked = links(a, c) || links(c, a)
	// Titles with figures the other lacks are two stories, unless one
	// title's figures are in the other's text: two headlines on one story
	// ("7,100 trips" and "up 15 percent"), of which a summary may report
	// only one.
	if len(a.nums) > 0 && len(c.nums) > 0 {
		common := intersect(a.nums, c.nums)
		if common < len(a.nums) && common < len(c.nums) && !reported(a.nums, c) && !reported(c.nums, a) {
			d.Veto = "numbers"
		}
	}
	short, long := a.body, c.body
	if len(short) > len(long) {
		short, long = long, short
	}
	// Figures of the text as evidence: copies report the same ones; the
	// issues of a column, which share their first sentence, report other
	// figures of the same things.
	d.Agree, d.Conflict = figures(a, c)
	numConflict := d.Conflict > 0 && d.Conflict >= d.Agree
	d.Aligned = startAlike(a, c)
	recur := recurring(a, c)
	fresh := a.pub.Sub(c.pub).Abs() <= copyWindow
	var s float64
	bodyScore := -1.0 // the score of the texts alone
	evidence := false // enough similarity for attribution and links to count
	// An outlet may give every item the same boilerplate summary; its own
	// items with different titles are not judged by their text.
	boilerplate := a.host != "" && a.host == c.host && max(d.Title, 0) < minEvidence
	if len(short) >= minShingles && !boilerplate {
		// Copies carry the same text, so containment is near 1; text that
		// is only partly shared is weak evidence, hence the square.
		d.Body = float64(intersect(short, long)) / float64(len(short))
		body := d.Body
		// Both texts open with the same words within two days, and what they
		// share is what one of the headlines reports: the lead of one
		// story, not background that two stories share.
		sv := a.vocab
		if len(c.body) < len(a.body) {
			sv = c.vocab
		}
		d.Support = max(support(a, sv), support(c, sv))
		lead := d.Aligned && fresh && d.Support >= minSupport
		// One whole paragraph found in a text of several, under another
		// headline, may be background that stories share, unless it is
		// the lead of both.
		if min(a.paras, c.paras) == 1 && max(a.paras, c.paras) >= 3 && max(d.Title, 0) < minSharedTitle && !lead {
			d.Background = body > maxParagraphBody
			body = min(body, maxParagraphBody)
		}
		if numConflict && body < 0.95 {
			body = min(body, 1-numberPenalty)
		}
		s = titleWeight*max(d.Title, 0) + bodyWeight*body*body
		bodyScore = bodyWeight * body * body
		// A text found whole at the start of the other is a copy, whatever
		// its headline: desks rewrite headlines more often than two
		// stories open with the same sentences.
		if d.Body >= copyContainment && lead && len(short) >= minCopyShingles && !numConflict && !recur {
			s = max(s, copyScore)
		}
		// A copy whose lead another desk rewrote keeps the sentences after
		// it: all of them found in the other text, within two days, and what
		// one of the headlines reports.
		if d.Body >= 0 && fresh && !numConflict && !recur && rewrittenLead(a, c, d.Title >= minEvidence) {
			d.Rewritten = true
			s = max(s, copyScore)
		}
		evidence = d.Body >= minEvidence
	} else {
		// Identical titles alone are trusted only when long and close in
		// time: a column keeps its short title from one issue to the next.
		if d.Title == 1 && min(a.words, c.words) >= minTitleWords && a.pub.Sub(c.pub).Abs() <= titleOnlyWindow {
			s = titleOnlyScore
		} else {
			s = titleOnlyFraction * max(d.Title, 0)
		}
		evidence = d.Title >= minEvidence
	}
	// A long headline that two outlets give within two days is one story,
	// whatever their leads: desks rewrite leads and summarise other
	// paragraphs far more often than two stories share a headline. Not so
	// for one outlet's headline on two days, which is a column's, nor
	// for two texts that open alike and then part, as the issues of a
	// column do.
	if d.Title == 1 && d.Body >= 0 && min(a.words, c.words) >= minTitleWords && a.pub.Sub(c.pub).Abs() <= copyWindow &&
		!recur && !numConflict {
		switch {
		case d.Aligned && partAfterOpening(a, c, d.Body):
			d.Column = true
		case vocabOverlap(a, c) >= minVocab || min(support(a, a.vocab)*float64(len(a.title)), support(c, c.vocab)*float64(len(c.title))) >= 2:
			// The texts share a fifth of their words, or each is about the
			// headline: not a text that a feed put under the wrong one.
			s = max(s, sameTitleScore)
		}
	}
	if recur && d.Title == 1 {
		d.Column = true
	}
	// A column's title says nothing about which issue a text is: the
	// texts alone must show a copy.
	if d.Column && d.Body >= 0 {
		s = min(s, max(bodyScore, 0))
	}
	if evidence && d.Attributed {
		s += attributionBonus
	}
	if evidence && d.Linked {
		s += linkBonus
	}
	d.Score = min(s, 1)
	if d.Veto != "" {
		d.Score = 0
	}
}

// simHash returns the 64-bit SimHash of the first leadTokens tokens of
// the cleaned body text, or of the title tokens as well when the body has
// fewer than half that many. A partial last word of a cut body is left out.
func simHash(body text, title []byte) uint64 {
	var v [64]int32
	n := addTokens(&v, body.body, leadTokens, body.cut)
	if n < leadTokens/2 {
		addTokens(&v, title, leadTokens, false)
	}
	var h uint64
	for i, x := range v {
		if x > 0 {
			h |= 1 << i
		}
	}
	return h
}

// bodyHash returns the 64-bit SimHash of the text beyond the lead: the
// first leadTokens tokens after the first sentence of body, fingerprinted
// as simHash does the lead, or 0 when fewer than leadTokens/2 tokens
// follow it. A copy whose lead was rewritten keeps the sentences after
// it, and a summary taken from the second paragraph has them as its
// lead, so the fingerprints of copies meet where their leads do not.
func bodyHash(body text) uint64 {
	b := body.body[firstSentence(body.body):]
	var v [64]int32
	if addTokens(&v, b, leadTokens, body.cut) < leadTokens/2 {
		return 0
	}
	var h uint64
	for i, x := range v {
		if x > 0 {
			h |= 1 << i
		}
	}
	return max(h, 1)
}

// firstSentence returns the length of the first sentence of b: up to a
// line break, a Chinese full stop, or a ".", "!" or "?" followed by a
// space and a capital letter or digit; len(b) when b has no other.
func firstSentence(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\n':
			return i + 1
		case '.', '!', '?':
			if i+2 < len(b) && b[i+1] == ' ' && (b[i+2] >= 'A' && b[i+2] <= 'Z' || b[i+2] >= '0' && b[i+2] <= '9' || b[i+2] == '"') &&
				!abbreviation(b[:i]) {
				return i + 2
			}
		case 0xe3: // 。 is E3 80 82
			if i+2 < len(b) && b[i+1] == 0x80 && b[i+2] == 0x82 {
				return i + 3
			}
		case 0xef: // ！ EF BC 81, ？ EF BC 9F
			if i+2 < len(b) && b[i+1] == 0xbc && (b[i+2] == 0x81 || b[i+2] == 0x9f) {
				return i + 3
			}
		}
	}
	return len(b)
}

// abbreviation reports whether b ends in a word that a full stop after
// it abbreviates rather than ends a sentence with: a single letter
// ("U.S.") or a short capitalised word ("Nov.", "Mr.").
func abbreviation(b []byte) bool {
	j := len(b)
	for j > 0 && isASCIILetter(b[j-1]) {
		j--
	}
	w := b[j:]
	return len(w) == 1 || len(w) > 1 && len(w) <= 4 && w[0] >= 'A' && w[0] <= 'Z'
}

// addTokens adds up to limit (at most leadTokens) tokens of s to the
// SimHash accumulator v and returns how many it added; with dropLast the
// last token of s is skipped. The first token counts alone and each other
// one paired with the token before it: pairs of words are far less common
// than words, so the fingerprints of different texts that share common
// words ("the", "said") agree on fewer bits, and fewer of them share a band
// by chance, while copies, which share the text, still agree.
func addTokens(v *[64]int32, s []byte, limit int, dropLast bool) int {
	var hs [leadTokens + 1]uint64
	var stop [leadTokens + 1]bool
	limit = min(limit, leadTokens)
	t := newTokenizer(s)
	n := 0
	for n <= limit {
		tok, kind, ok := t.next()
		if !ok {
			break
		}
		hs[n] = hashBytes(tok)
		stop[n] = kind == kindWord && stopwords[string(tok)]
		n++
	}
	if n > limit {
		n = limit // the last token of s was not reached
	} else if dropLast && n > 0 {
		n--
	}
	for i := range n {
		h := hs[i]
		if i > 0 {
			if stop[i-1] && stop[i] {
				continue
			}
			h = hs[i-1]*1099511628211 ^ h
		}
		addHash(v, mix(h))
	}
	return n
}

// addHash adds the bits of h to the SimHash accumulator v.
func addHash(v *[64]int32, h uint64) {
	for i := range v {
		v[i] += int32(h>>i&1)*2 - 1
	}
}

// distance is the Hamming distance of two SimHashes.
func distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }
