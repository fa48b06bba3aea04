package dedupe

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file builds testdata/news/items.json, the realistic labelled set,
// from the hand-written stories of testdata/news/*.txt (go test -run
// TestNews -update). The prose of every story, and every rewritten
// headline, lead and caption, is written by hand in those files; this
// code only applies what each outlet mechanically does to the copy it
// carries (decorations, datelines, diacritics, cut summaries, tracking
// parameters, mobile and AMP twins) and records which edits made each
// copy, so that missed merges can be traced to them. Every outlet, host,
// person and quote is invented. Each story draws from its own seeded
// source, so adding a story leaves the copies of the others unchanged.

// newsSet is the realistic labelled set.
type newsSet struct {
	Note          string          `json:"note"`
	Outlets       []newsOutletDoc `json:"outlets"`
	HardNegatives []newsNegative  `json:"hard_negatives"`
	Items         []newsItem      `json:"items"`
}

// newsOutletDoc describes an outlet of the set and its feeds.
type newsOutletDoc struct {
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Habits   string   `json:"habits"`
	Feeds    []string `json:"feeds"`
}

// newsNegative is a pair of stories that look alike and must stay apart,
// named by the original item of each and by story.
type newsNegative struct {
	A      string `json:"a"`
	B      string `json:"b"`
	StoryA string `json:"story_a"`
	StoryB string `json:"story_b"`
	Kind   string `json:"kind"` // event, number, place, country, column, followup, boilerplate
}

// newsItem is one copy of a story as an outlet's feed carried it.
type newsItem struct {
	ID        string    `json:"id"`
	Story     string    `json:"story"`
	Outlet    string    `json:"outlet"`
	Feed      string    `json:"feed"`
	GUID      string    `json:"guid"`
	Link      string    `json:"link"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary,omitempty"`
	Content   string    `json:"content,omitempty"`
	Published time.Time `json:"published"`
	Language  string    `json:"language"`
	Edits     []string  `json:"edits"` // what made this copy differ from the story's text
}

// newsNegativeKinds are the kinds of hard negatives, in report order.
var newsNegativeKinds = []string{"event", "number", "place", "country", "column", "followup", "boilerplate"}

// newsStory is one hand-written story.
type newsStory struct {
	id, lang, region, where, from string
	by                            []string
	at                            time.Time
	relTo                         string // at is relative to this story's time
	rel                           time.Duration
	title                         string
	alts                          []string // headlines with the same facts in other words
	figure                        string   // a headline that reports another figure of the story
	lead                          string   // the first paragraph rewritten by another desk
	caption                       string   // a photo caption a full text may open with
	update                        [2]string
	negs                          [][2]string // other story, kind
	paras                         []string
	pos                           string // file:line, for errors
}

// parseNewsStories reads stories in the format of testdata/news/README.
func parseNewsStories(name string, b []byte) ([]*newsStory, error) {
	var out []*newsStory
	var s *newsStory
	header := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t")
		pos := fmt.Sprintf("%s:%d", name, n)
		if id, ok := strings.CutPrefix(line, "== "); ok {
			s = &newsStory{id: strings.TrimSpace(id), pos: pos}
			switch {
			case strings.HasPrefix(s.id, "en-"):
				s.lang = "en"
			case strings.HasPrefix(s.id, "zh-"):
				s.lang = "zh"
			default:
				return nil, fmt.Errorf("%s: story id %q starts with neither en- nor zh-", pos, s.id)
			}
			out = append(out, s)
			header = true
			continue
		}
		if s == nil || strings.HasPrefix(line, "#") {
			continue
		}
		if line == "" {
			header = false
			continue
		}
		if !header {
			s.paras = append(s.paras, line)
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s: want key: value in the header of %s", pos, s.id)
		}
		val = strings.TrimSpace(val)
		switch key {
		case "at":
			if id, d, ok := strings.Cut(val, " +"); ok {
				dur, err := parseNewsDuration(d)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", pos, err)
				}
				s.relTo, s.rel = id, dur
				break
			}
			t, err := time.ParseInLocation("2006-01-02 15:04", "2026-"+val, newsZone(8))
			if err != nil {
				return nil, fmt.Errorf("%s: at: %v", pos, err)
			}
			s.at = t
		case "where":
			s.where = val
		case "region":
			s.region = val
		case "from":
			s.from = val
		case "by":
			s.by = strings.Fields(strings.ReplaceAll(val, ",", " "))
		case "title":
			s.title = val
		case "alt":
			s.alts = append(s.alts, val)
		case "figure":
			s.figure = val
		case "lead":
			s.lead = val
		case "caption":
			s.caption = val
		case "update":
			o, n, ok := strings.Cut(val, " => ")
			if !ok {
				return nil, fmt.Errorf("%s: update: want OLD => NEW", pos)
			}
			s.update = [2]string{o, n}
		case "neg":
			f := strings.Fields(val)
			if len(f) != 2 {
				return nil, fmt.Errorf("%s: neg: want STORY KIND", pos)
			}
			s.negs = append(s.negs, [2]string{f[0], f[1]})
		default:
			return nil, fmt.Errorf("%s: unknown key %q", pos, key)
		}
	}
	return out, sc.Err()
}

// parseNewsDuration parses a duration with an optional leading count of
// days: "26h", "1d2h30m".
func parseNewsDuration(s string) (time.Duration, error) {
	var d time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("duration %q: %v", s, err)
		}
		d, s = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	if s == "" {
		return d, nil
	}
	e, err := time.ParseDuration(s)
	return d + e, err
}

func newsZone(h int) *time.Location {
	return time.FixedZone(fmt.Sprintf("UTC%+d", h), h*3600)
}

// loadNewsStories reads every testdata/news/*.txt file and checks the
// stories: unique ids, a title, text, a time, known outlets and
// hard-negative partners.
func loadNewsStories() ([]*newsStory, error) {
	files, err := filepath.Glob(filepath.Join("testdata", "news", "*.txt"))
	if err != nil {
		return nil, err
	}
	var all []*newsStory
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s, err := parseNewsStories(filepath.Base(f), b)
		if err != nil {
			return nil, err
		}
		all = append(all, s...)
	}
	byID := map[string]*newsStory{}
	for _, s := range all {
		if byID[s.id] != nil {
			return nil, fmt.Errorf("%s: story %s also at %s", s.pos, s.id, byID[s.id].pos)
		}
		byID[s.id] = s
		switch {
		case s.title == "":
			return nil, fmt.Errorf("%s: %s has no title", s.pos, s.id)
		case len(s.paras) == 0:
			return nil, fmt.Errorf("%s: %s has no text", s.pos, s.id)
		case s.where == "":
			return nil, fmt.Errorf("%s: %s has no where", s.pos, s.id)
		case s.at.IsZero() && s.relTo == "":
			return nil, fmt.Errorf("%s: %s has no time", s.pos, s.id)
		}
		for _, k := range append([]string{s.from}, s.by...) {
			if k != "" && newsOutletByKey(k) == nil {
				return nil, fmt.Errorf("%s: %s: unknown outlet %q", s.pos, s.id, k)
			}
		}
		if s.update[0] != "" && !strings.Contains(s.title+strings.Join(s.paras, ""), s.update[0]) {
			return nil, fmt.Errorf("%s: %s: update: %q is not in the text", s.pos, s.id, s.update[0])
		}
	}
	var resolve func(s *newsStory, depth int) error
	resolve = func(s *newsStory, depth int) error {
		if !s.at.IsZero() {
			return nil
		}
		o := byID[s.relTo]
		if o == nil || depth > 20 {
			return fmt.Errorf("%s: %s: at: no story %q", s.pos, s.id, s.relTo)
		}
		if err := resolve(o, depth+1); err != nil {
			return err
		}
		s.at = o.at.Add(s.rel)
		return nil
	}
	for _, s := range all {
		if err := resolve(s, 0); err != nil {
			return nil, err
		}
		for _, n := range s.negs {
			if byID[n[0]] == nil {
				return nil, fmt.Errorf("%s: %s: neg: no story %q", s.pos, s.id, n[0])
			}
			if !slices.Contains(newsNegativeKinds, n[1]) {
				return nil, fmt.Errorf("%s: %s: neg: unknown kind %q", s.pos, s.id, n[1])
			}
		}
	}
	return all, nil
}

// newsOutlet is an invented outlet and its habits; copy renders its copy.
type newsOutlet struct {
	key, name, lang, habits string
	feeds                   []string
	zone                    *time.Location
	rewrites                bool // its desk rewrites headlines and leads of copies it carries
	content                 bool // its feed carries the full text
	republishes             bool // it republishes other outlets' stories hours to a day later
}

var newsOutlets = []*newsOutlet{
	{key: "lotus", name: "Lotus Daily", lang: "en", zone: newsZone(8), content: true,
		habits: "plain titles, lead paragraph as summary and full text (sometimes opening with a photo caption), utm_* links, an ASEAN section feed and a mobile feed on m. repeating some items",
		feeds:  []string{"https://www.lotusdaily.example/rss/regional.xml", "https://www.lotusdaily.example/rss/asean.xml", "https://m.lotusdaily.example/rss/regional.xml"}},
	{key: "harbour", name: "Harbour Wire", lang: "en", zone: newsZone(8), rewrites: true,
		habits: "agency: \"NANNING, Nov. 26 (Harbour Wire) -- \" datelines, \"…-Harbour Wire\" suffixes without spaces, summaries cut at 40-70 words, captions before the lead",
		feeds:  []string{"https://english.harbourwire.example/rss/asia-pacific.xml"}},
	{key: "meridian", name: "Meridian", lang: "en", zone: time.UTC, rewrites: true,
		habits: "agency: \"BANGKOK, Sept 26 (Meridian) - \" datelines, UPDATE n-/EXCLUSIVE- kickers, short cut summaries, later copies with updated figures",
		feeds:  []string{"https://www.meridian.test/arc/outboundfeeds/asia/?outputType=xml"}},
	{key: "redriver", name: "Red River Post", lang: "en", zone: newsZone(7),
		habits: "Vietnamese diacritics (Việt Nam, Hà Nội), \"HÀ NỘI — \" datelines, first paragraph as summary",
		feeds:  []string{"https://redriverpost.example/rss/economy.rss"}},
	{key: "saigon", name: "Saigon Ledger", lang: "en", zone: newsZone(7), rewrites: true,
		habits: "Title Case, no diacritics, summary often the second paragraph, ?src=rss links and a business feed repeating items with ?tbref=rss",
		feeds:  []string{"https://saigonledger.example/rss/home.rss", "https://saigonledger.example/rss/business.rss"}},
	{key: "peninsula", name: "Peninsula Courier", lang: "en", zone: newsZone(8), rewrites: true,
		habits: "Title Case, \"KUALA LUMPUR: \" datelines, ?tbref=rss links, an AMP feed repeating items under /amp/, agency credits at the end",
		feeds:  []string{"https://www.peninsulacourier.example/rss/business", "https://www.peninsulacourier.example/rss/amp/business"}},
	{key: "chaophraya", name: "Chao Phraya Times", lang: "en", zone: newsZone(7), rewrites: true,
		habits: "\"…|Chao Phraya Times\" suffixes, Exclusive: kickers, short standfirst summaries, long headlines cut",
		feeds:  []string{"https://www.chaophrayatimes.example/rss/business.xml"}},
	{key: "nusantara", name: "Nusantara Tribune", lang: "en", zone: newsZone(7), rewrites: true, content: true,
		habits: "\"Nanning (Nusantara Tribune) - \" datelines, full text opening with a photo or a photo credit, reporter and editor lines",
		feeds:  []string{"https://en.nusantaratribune.test/rss/world"}},
	{key: "beibu", name: "Beibu Gulf Herald", lang: "en", zone: newsZone(8), republishes: true,
		habits: "regional portal: \"Guangxi: \"/\"ASEAN: \" prefixes, the whole text republished hours to a day later with a Source: line and often a link to the original",
		feeds:  []string{"https://en.beibuherald.example/feed/"}},
	{key: "nanling", name: "南岭日报", lang: "zh", zone: newsZone(8), content: true,
		habits: "plain titles, \"本报南宁11月26日讯（记者 …）\" datelines, lead as summary, full text often opening with a photo caption, ?from= links and a second section feed",
		feeds:  []string{"https://www.nanlingdaily.example/rss/jingji.xml", "https://www.nanlingdaily.example/rss/dongmeng.xml"}},
	{key: "haiwan", name: "海湾通讯社", lang: "zh", zone: newsZone(8), rewrites: true,
		habits: "agency: \"海湾通讯社南宁11月26日电（记者 …）\" datelines, summaries cut at 80-150 characters",
		feeds:  []string{"https://cn.harbourwire.example/rss/gx.xml"}},
	{key: "lvcheng", name: "绿城新闻网", lang: "zh", zone: newsZone(8), republishes: true,
		habits: "\"_绿城新闻网\" suffixes, whole text republished hours later over http with 来源：/责任编辑： lines and sometimes a link to the original",
		feeds:  []string{"http://news.lvcheng.example/rss.xml"}},
	{key: "bagui", name: "八桂在线", lang: "zh", zone: newsZone(8),
		habits: "\"广西：\"/\"【广西】\" prefixes, full-width digits and punctuation, headlines cut mid-number, a mobile feed on m. repeating items with shorter titles",
		feeds:  []string{"http://www.baguionline.example/feed", "https://m.baguionline.example/rss"}},
	{key: "dongmeng", name: "东盟商讯", lang: "zh", zone: newsZone(8), rewrites: true, content: true,
		habits: "\"…-东盟商讯\" suffixes without spaces, summary often the second paragraph, full text opening with a picture credit, 来源： lines",
		feeds:  []string{"https://www.dongmeng.test/rss/news.xml"}},
}

func newsOutletByKey(k string) *newsOutlet {
	for _, o := range newsOutlets {
		if o.key == k {
			return o
		}
	}
	return nil
}

// Which outlets originate and carry stories of a region.
var (
	newsOrigins = map[string][]string{
		"gx": {"lotus", "lotus", "harbour", "beibu"},
		"vn": {"redriver", "redriver", "saigon", "harbour", "meridian"},
		"my": {"peninsula", "peninsula", "harbour", "meridian"},
		"th": {"chaophraya", "chaophraya", "meridian", "harbour"},
		"id": {"nusantara", "nusantara", "meridian", "harbour"},
		"as": {"harbour", "meridian", "lotus", "peninsula"},
		"zh": {"nanling", "nanling", "haiwan"},
	}
	newsCarriers = map[string][]string{
		"gx": {"lotus", "harbour", "beibu", "peninsula", "saigon", "chaophraya", "nusantara", "meridian", "redriver"},
		"vn": {"redriver", "saigon", "harbour", "beibu", "lotus", "meridian", "peninsula"},
		"my": {"peninsula", "harbour", "lotus", "beibu", "meridian", "nusantara", "saigon"},
		"th": {"chaophraya", "meridian", "harbour", "lotus", "peninsula", "beibu"},
		"id": {"nusantara", "meridian", "harbour", "lotus", "peninsula", "beibu"},
		"as": {"harbour", "meridian", "lotus", "peninsula", "chaophraya", "nusantara", "redriver", "saigon", "beibu"},
		"zh": {"nanling", "haiwan", "lvcheng", "bagui", "dongmeng"},
	}
)

// newsCopy is what one copy of a story is made of before its outlet's
// habits are applied.
type newsCopy struct {
	o        *newsOutlet
	origin   bool
	at       time.Time
	title    string
	paras    []string
	caption  string
	edits    []string
	credit   string // the outlet the copy credits
	origLink string // the original's link, for copies that link it
	kicker   string
}

func (c *newsCopy) edit(e ...string) { c.edits = append(c.edits, e...) }

// generateNews builds the set from the stories.
func generateNews(stories []*newsStory) (newsSet, error) {
	set := newsSet{Note: "Realistic labelled set for aggregator/dedupe: hand-written regional news (testdata/news/*.txt) as invented outlets carry it, built by news_gen_test.go (go test -run TestNews -update). All outlets, hosts, people and quotes are invented. Items are in publication order; edits say how each copy differs from the story's text."}
	for _, o := range newsOutlets {
		set.Outlets = append(set.Outlets, newsOutletDoc{Name: o.name, Language: o.lang, Habits: o.habits, Feeds: o.feeds})
	}
	origItem := map[string]string{}
	for _, s := range stories {
		items, err := newsCopies(s)
		if err != nil {
			return newsSet{}, err
		}
		origItem[s.id] = items[0].ID
		set.Items = append(set.Items, items...)
	}
	seen := map[[2]string]bool{}
	for _, s := range stories {
		for _, n := range s.negs {
			k := [2]string{min(s.id, n[0]), max(s.id, n[0])}
			if seen[k] || s.id == n[0] {
				continue
			}
			seen[k] = true
			set.HardNegatives = append(set.HardNegatives, newsNegative{A: origItem[s.id], B: origItem[n[0]], StoryA: s.id, StoryB: n[0], Kind: n[1]})
		}
	}
	slices.SortStableFunc(set.Items, func(a, b newsItem) int {
		if c := a.Published.Compare(b.Published); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return set, nil
}

// newsCopies renders every copy of s: the original first.
func newsCopies(s *newsStory) ([]newsItem, error) {
	h := fnv.New64a()
	h.Write([]byte(s.id))
	r := rand.New(rand.NewPCG(h.Sum64(), 2026))
	region := s.region
	if s.lang == "zh" {
		region = "zh"
	}
	if newsCarriers[region] == nil {
		return nil, fmt.Errorf("%s: %s: unknown region %q", s.pos, s.id, s.region)
	}
	from := s.from
	if from == "" {
		o := newsOrigins[region]
		from = o[r.IntN(len(o))]
	}
	by := s.by
	if by == nil {
		// 1 to 5 outlets in all.
		n := []int{0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4}[r.IntN(13)]
		if r.IntN(8) == 0 {
			n = 0
		}
		pool := slices.DeleteFunc(slices.Clone(newsCarriers[region]), func(k string) bool { return k == from })
		r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		by = pool[:min(n, len(pool))]
	}
	orig := newsOutletByKey(from)
	if orig.lang != s.lang {
		return nil, fmt.Errorf("%s: %s: outlet %s writes %s", s.pos, s.id, from, orig.lang)
	}
	copies := []*newsCopy{{o: orig, origin: true, at: s.at}}
	for _, k := range by {
		o := newsOutletByKey(k)
		if o.lang != s.lang {
			return nil, fmt.Errorf("%s: %s: outlet %s writes %s", s.pos, s.id, k, o.lang)
		}
		var lag time.Duration
		switch {
		case r.IntN(10) == 0:
			lag = time.Duration(20*60+r.IntN(30*60)) * time.Minute // a day or two later
		case o.republishes:
			lag = time.Duration(3*60+r.IntN(24*60)) * time.Minute
		case o.rewrites && r.IntN(2) == 0:
			lag = time.Duration(15+r.IntN(4*60)) * time.Minute
		default:
			lag = time.Duration(30+r.IntN(9*60)) * time.Minute
		}
		c := &newsCopy{o: o, at: s.at.Add(lag), credit: orig.name}
		if lag >= 12*time.Hour {
			c.edit("late")
		}
		copies = append(copies, c)
	}
	for _, c := range copies {
		c.title = s.title
		c.paras = slices.Clone(s.paras)
	}
	rest := copies[1:]
	// Rewritten headlines and leads go to desks that rewrite, if any
	// carry the story, else to any copy.
	pickCopy := func(ok func(*newsCopy) bool) *newsCopy {
		var pref, any []*newsCopy
		for _, c := range rest {
			if !ok(c) {
				continue
			}
			any = append(any, c)
			if c.o.rewrites {
				pref = append(pref, c)
			}
		}
		if len(pref) > 0 && r.IntN(4) > 0 {
			return pref[r.IntN(len(pref))]
		}
		if len(any) > 0 {
			return any[r.IntN(len(any))]
		}
		return nil
	}
	lacks := func(e string) func(*newsCopy) bool {
		return func(c *newsCopy) bool { return !slices.Contains(c.edits, e) }
	}
	for _, alt := range s.alts {
		if c := pickCopy(lacks("alt-headline")); c != nil {
			c.title = alt
			c.edit("alt-headline")
		}
	}
	if s.figure != "" {
		if c := pickCopy(lacks("alt-headline")); c != nil {
			c.title = s.figure
			c.edit("figure-headline")
		}
	}
	if s.lead != "" {
		if c := pickCopy(lacks("lead-rewrite")); c != nil {
			c.paras[0] = s.lead
			c.edit("lead-rewrite")
		}
	}
	if s.update[0] != "" && len(rest) > 0 {
		last := rest[0]
		for _, c := range rest {
			if c.at.After(last.at) {
				last = c
			}
		}
		last.title = strings.ReplaceAll(last.title, s.update[0], s.update[1])
		for i := range last.paras {
			last.paras[i] = strings.ReplaceAll(last.paras[i], s.update[0], s.update[1])
		}
		last.edit("updated-figure")
		if last.o.key == "meridian" {
			last.kicker = "UPDATE 2-"
		}
	}
	if s.caption != "" {
		var with []*newsCopy
		for _, c := range copies {
			if c.o.content || c.o.republishes || c.o.key == "harbour" || c.o.key == "haiwan" {
				with = append(with, c)
			}
		}
		if len(with) > 0 {
			c := with[r.IntN(len(with))]
			c.caption = s.caption
			c.edit("caption")
		}
	}
	origLink := ""
	var items []newsItem
	for i, c := range copies {
		c.origLink = origLink
		its := renderNews(s, c, r)
		if i == 0 {
			origLink = its[0].Link
		}
		items = append(items, its...)
	}
	return items, nil
}

// renderNews applies the outlet's habits to the copy c of s and returns
// its item, followed by any twin the outlet's other feeds carry.
func renderNews(s *newsStory, c *newsCopy, r *rand.Rand) []newsItem {
	o := c.o
	at := c.at.In(o.zone)
	day := s.at.In(o.zone)
	id := s.id + "." + o.key
	num := 1_000_000 + r.IntN(9_000_000)
	hex := fmt.Sprintf("%08x", r.Uint32())
	if c.origin {
		c.edit("original")
	}
	title, paras := c.title, c.paras
	it := newsItem{ID: id, Story: s.id, Outlet: o.name, Feed: o.feeds[0], Published: at, Language: s.lang}
	var twins []newsItem
	credit := ""
	if !c.origin {
		credit = c.credit
	}
	lead := paras[0]
	switch o.key {
	case "lotus":
		path := fmt.Sprintf("/a/%d%02d/%02d/WS%s.html", at.Year(), int(at.Month()), at.Day(), hex)
		it.GUID = "https://www.lotusdaily.example" + path
		it.Link = it.GUID + "?utm_source=rss&utm_medium=feed"
		it.Title = title
		it.Summary = "<p>" + newsEscape(lead) + "</p>"
		var b strings.Builder
		if c.caption != "" {
			fmt.Fprintf(&b, "<figure><img src=\"https://img.lotusdaily.example/%s.jpg\" alt=\"\"><figcaption>%s</figcaption></figure>", hex, newsEscape(c.caption))
		} else if r.IntN(5) == 0 {
			cr := "Lotus Daily"
			if credit != "" {
				cr = credit
			}
			b.WriteString("<p>(Photo: " + cr + ")</p>")
			c.edit("photo-credit")
		}
		b.WriteString(newsParas(paras))
		if credit != "" && r.IntN(2) == 0 {
			b.WriteString("<p>Source: " + credit + "</p>")
			c.edit("source-line")
		}
		it.Content = b.String()
		if r.IntN(4) == 0 {
			tw := it
			tw.ID, tw.Feed = id+"~asean", o.feeds[1]
			tw.Link = it.GUID + "?utm_source=rss&utm_medium=feed&utm_campaign=asean"
			tw.Edits = append(slices.Clone(c.edits), "twin-section", "tracking-utm")
			twins = append(twins, tw)
		}
		if r.IntN(5) == 0 {
			tw := newsItem{ID: id + "~m", Story: s.id, Outlet: o.name, Feed: o.feeds[2], Published: at.Add(time.Duration(r.IntN(40)) * time.Minute), Language: s.lang}
			tw.Link = "https://m.lotusdaily.example" + path
			tw.GUID = tw.Link
			tw.Title = title
			tw.Summary, _ = newsCut(lead, 22+r.IntN(12), false, r)
			tw.Summary = newsEscape(tw.Summary)
			tw.Edits = append(newsWithout(c.edits, "caption", "photo-credit", "source-line"), "twin-mobile", "cut")
			twins = append(twins, tw)
		}
	case "harbour":
		it.Link = fmt.Sprintf("https://english.harbourwire.example/%d%02d%02d/%s%s/c.html", at.Year(), int(at.Month()), at.Day(), hex, hex[:4])
		it.GUID = it.Link
		it.Title = title
		if r.IntN(5) < 3 {
			it.Title += "-Harbour Wire"
			c.edit("suffix-nospace")
		}
		dl := fmt.Sprintf("%s, %s %d (Harbour Wire) -- ", newsUpperPlace(s.where), newsMonthAP[day.Month()-1], day.Day())
		c.edit("dateline-agency")
		text := lead
		if len(paras) > 1 && r.IntN(2) == 0 {
			text += " " + paras[1]
		}
		cut, ok := newsCut(text, 40+r.IntN(30), false, r)
		if ok {
			c.edit("cut")
		}
		it.Summary = newsEscape(dl + cut)
		if c.caption != "" {
			it.Summary = "<p>" + newsEscape(c.caption) + "</p><p>" + it.Summary + "</p>"
		}
	case "meridian":
		it.Link = fmt.Sprintf("https://www.meridian.test/world/asia-pacific/%s-%s/", newsSlug(title, 8), at.Format("2006-01-02"))
		it.GUID = it.Link
		k := c.kicker
		if k == "" {
			switch n := r.IntN(10); {
			case n < 2:
				k = "UPDATE 1-"
			case n == 2 && c.origin:
				k = "EXCLUSIVE-"
			}
		}
		if k != "" {
			c.edit("kicker")
		}
		it.Title = k + title
		dl := fmt.Sprintf("%s, %s %d (Meridian) - ", newsUpperPlace(s.where), newsMonthR[day.Month()-1], day.Day())
		c.edit("dateline-reuters")
		cut, ok := newsCut(lead, 25+r.IntN(25), false, r)
		if ok {
			c.edit("cut")
		}
		it.Summary = newsEscape(dl + cut)
	case "redriver":
		vi := newsDiacritics
		it.Link = fmt.Sprintf("https://redriverpost.example/economy/%d/%s.html", num, newsSlug(title, 10))
		it.GUID = strconv.Itoa(num)
		it.Title = vi.Replace(title)
		dl := vi.Replace(newsUpperPlace(s.where)) + " — "
		if vt := vi.Replace(title + strings.Join(paras, "")); vt != title+strings.Join(paras, "") {
			c.edit("diacritics")
		}
		c.edit("dateline-dash")
		it.Summary = newsEscape(dl + vi.Replace(lead))
		if credit != "" && r.IntN(2) == 0 {
			it.Summary += " — " + credit
			c.edit("source-line")
		}
	case "saigon":
		slug := newsSlug(title, 9)
		base := fmt.Sprintf("https://saigonledger.example/business/%s-%d.html", slug, num%100000)
		it.Link = base + "?src=rss"
		it.GUID = it.Link
		it.Title = newsTitleCase(title)
		c.edit("title-case")
		if len(paras) > 1 && r.IntN(2) == 0 {
			it.Summary = newsEscape(paras[1])
			c.edit("second-para")
			c.edits = newsWithout(c.edits, "lead-rewrite") // not shown
		} else {
			cut, ok := newsCut(lead, 30+r.IntN(20), false, r)
			if ok {
				c.edit("cut")
			}
			it.Summary = newsEscape(cut)
		}
		if r.IntN(3) == 0 {
			tw := it
			tw.ID, tw.Feed = id+"~business", o.feeds[1]
			tw.Link = base + "?tbref=rss"
			tw.GUID = tw.Link
			tw.Published = at.Add(time.Duration(r.IntN(90)) * time.Minute)
			tw.Edits = append(slices.Clone(c.edits), "twin-section", "tracking-other")
			twins = append(twins, tw)
		}
	case "peninsula":
		path := fmt.Sprintf("/business/%d/%02d/%02d/%s", at.Year(), int(at.Month()), at.Day(), newsSlug(title, 10))
		it.Link = "https://www.peninsulacourier.example" + path + "?tbref=rss"
		it.GUID = it.Link
		it.Title = title
		if r.IntN(5) < 3 {
			it.Title = newsTitleCase(title)
			c.edit("title-case")
		}
		c.edit("dateline-colon")
		cut, ok := newsCut(lead, 30+r.IntN(25), false, r)
		if ok {
			c.edit("cut")
		}
		it.Summary = newsUpperPlace(s.where) + ": " + cut
		if credit != "" && !ok && r.IntN(2) == 0 {
			it.Summary += " — " + credit
			c.edit("source-line")
		}
		it.Summary = newsEscape(it.Summary)
		if r.IntN(3) == 0 {
			tw := it
			tw.ID, tw.Feed = id+"~amp", o.feeds[1]
			tw.Link = "https://www.peninsulacourier.example/amp" + path
			tw.GUID = tw.Link
			tw.Edits = append(slices.Clone(c.edits), "twin-amp")
			twins = append(twins, tw)
		}
	case "chaophraya":
		it.Link = fmt.Sprintf("https://www.chaophrayatimes.example/business/general/%d/%s", num%10_000_000, newsSlug(title, 8))
		it.GUID = strconv.Itoa(num % 10_000_000)
		t := title
		if tr, ok := newsTruncateNumber(t); ok && r.IntN(3) == 0 {
			t = tr
			c.edit("truncated-headline")
		} else if utf8.RuneCountInString(t) > 64 && r.IntN(2) == 0 {
			t = newsCutRunes(t, 58) + "..."
			c.edit("truncated-headline")
		}
		if c.origin && r.IntN(6) == 0 {
			t = "Exclusive: " + t
			c.edit("kicker")
		}
		it.Title = t
		if r.IntN(2) == 0 {
			it.Title += "|Chao Phraya Times"
			c.edit("suffix-nospace")
		}
		cut, ok := newsCut(lead, 18+r.IntN(14), false, r)
		if ok {
			cut = strings.TrimSuffix(strings.TrimSuffix(cut, "..."), "…")
			c.edit("cut")
		}
		it.Summary = newsEscape(cut)
	case "nusantara":
		it.Link = fmt.Sprintf("https://en.nusantaratribune.test/news/%d/%s", num%1_000_000, newsSlug(title, 9))
		it.GUID = it.Link
		it.Title = title
		dl := newsTitlePlace(s.where) + " (Nusantara Tribune) - "
		c.edit("dateline-antara")
		cut, ok := newsCut(lead, 30+r.IntN(30), false, r)
		if ok {
			c.edit("cut")
		}
		it.Summary = newsEscape(dl + cut)
		var b strings.Builder
		if c.caption != "" {
			fmt.Fprintf(&b, "<p><img src=\"https://img.nusantaratribune.test/%s.jpg\"></p><p>%s (NUSANTARA/%s)</p>", hex, newsEscape(c.caption), newsPick(r, "Andi Pratama", "Rizky Hidayat", "Putri Handayani"))
		} else if credit != "" && r.IntN(3) == 0 {
			b.WriteString("<p>(Photo: " + credit + ")</p>")
			c.edit("photo-credit")
		}
		ps := slices.Clone(paras)
		ps[0] = dl + ps[0]
		b.WriteString(newsParas(ps))
		fmt.Fprintf(&b, "<p>Reporter: %s<br>Editor: %s</p>", newsPick(r, "Dimas Prakoso", "Sari Wulandari", "Hendro Gunawan"), newsPick(r, "Wahyu Kurniawan", "Lina Marlina", "Rudi Hartanto"))
		it.Content = b.String()
	case "beibu":
		it.Link = fmt.Sprintf("https://en.beibuherald.example/%d-%02d/%02d/c_%d.htm", at.Year(), int(at.Month()), at.Day(), num)
		it.GUID = strconv.Itoa(num)
		it.Title = title
		if r.IntN(10) < 7 && !strings.HasPrefix(title, "Guangxi") {
			if s.region == "gx" {
				it.Title = "Guangxi: " + title
			} else {
				it.Title = "ASEAN: " + title
			}
			c.edit("prefix")
		}
		var b strings.Builder
		if c.caption != "" {
			b.WriteString("<p>" + newsEscape(c.caption) + "</p>")
		} else if credit != "" && r.IntN(5) == 0 {
			b.WriteString("<p>(Photo: " + credit + ")</p>")
			c.edit("photo-credit")
		}
		b.WriteString(newsParas(paras))
		if credit != "" {
			b.WriteString("<p>Source: " + credit + "</p>")
			c.edit("source-line")
			if c.origLink != "" && r.IntN(2) == 0 {
				fmt.Fprintf(&b, "<p><a href=\"%s\">Read the original article</a></p>", newsEscape(c.origLink))
				c.edit("link-original")
			}
		}
		it.Summary = "<div class=\"txt\">" + b.String() + "</div>"
	case "nanling":
		path := fmt.Sprintf("/content/%d-%02d/%02d/content_%d.htm", at.Year(), int(at.Month()), at.Day(), num)
		it.Link = "https://www.nanlingdaily.example" + path + "?from=jingji"
		it.GUID = fmt.Sprintf("content_%d", num)
		it.Title = title
		ps := slices.Clone(paras)
		if r.IntN(2) == 0 {
			ps[0] = fmt.Sprintf("本报%s%d月%d日讯（记者 %s）", s.where, int(day.Month()), day.Day(), newsPick(r, "黄丽", "覃思远", "陆晓彤", "韦一鸣")) + ps[0]
			c.edit("dateline-zh")
		}
		it.Summary = "<p>" + newsEscape(ps[0]) + "</p>"
		var b strings.Builder
		if c.caption != "" {
			fmt.Fprintf(&b, "<p style=\"text-align:center\"><img src=\"https://img.nanlingdaily.example/%s.jpg\"></p><p>%s</p>", hex, newsEscape(c.caption))
		}
		b.WriteString(newsParas(ps))
		if credit != "" {
			b.WriteString("<p>来源：" + credit + "</p>")
			c.edit("source-line")
		}
		it.Content = b.String()
		if r.IntN(5) == 0 {
			tw := it
			tw.ID, tw.Feed = id+"~dongmeng", o.feeds[1]
			tw.Link = "https://www.nanlingdaily.example" + path + "?from=dongmeng"
			tw.Edits = append(slices.Clone(c.edits), "twin-section", "tracking-known")
			twins = append(twins, tw)
		}
	case "haiwan":
		it.Link = fmt.Sprintf("https://cn.harbourwire.example/local/%d-%02d/%02d/c_%d.htm", at.Year(), int(at.Month()), at.Day(), num)
		it.GUID = it.Link
		it.Title = title
		dl := fmt.Sprintf("海湾通讯社%s%d月%d日电（记者 %s）", s.where, int(day.Month()), day.Day(), newsPick(r, "王强", "李明远", "蒙晓燕", "廖辉"))
		c.edit("dateline-zh")
		text := lead
		if len(paras) > 1 {
			text += paras[1]
		}
		cut, ok := newsCut(text, 80+r.IntN(70), true, r)
		if ok {
			c.edit("cut")
		}
		it.Summary = newsEscape(dl + cut)
		if c.caption != "" {
			it.Summary = "<p>" + newsEscape(c.caption) + "</p><p>" + it.Summary + "</p>"
		}
	case "lvcheng":
		it.Link = fmt.Sprintf("http://news.lvcheng.example/gx/%s/news%s.shtml", at.Format("20060102"), hex)
		it.GUID = strconv.Itoa(num)
		it.Title = title + "_绿城新闻网"
		c.edit("suffix")
		var b strings.Builder
		if c.caption != "" {
			b.WriteString("<p>" + newsEscape(c.caption) + "</p>")
		}
		b.WriteString(newsParas(paras))
		if credit != "" {
			b.WriteString("<p>来源：" + credit + "</p>")
			c.edit("source-line")
			if c.origLink != "" && r.IntN(3) == 0 {
				fmt.Fprintf(&b, "<p><a href=\"%s\">原文链接</a></p>", newsEscape(c.origLink))
				c.edit("link-original")
			}
		}
		b.WriteString("<p>责任编辑：" + newsPick(r, "韦丽", "黄海燕", "农家宝") + "</p>")
		it.Summary = b.String()
	case "bagui":
		path := fmt.Sprintf("/%d/%02d%02d/%d.shtml", at.Year(), int(at.Month()), at.Day(), num%100000)
		it.Link = "http://www.baguionline.example" + path
		it.GUID = it.Link
		t := title
		if tr, ok := newsTruncateNumber(t); ok && r.IntN(2) == 0 {
			t = tr
			c.edit("truncated-headline")
		}
		switch r.IntN(5) {
		case 0, 1:
			t = "广西：" + t
			c.edit("prefix")
		case 2:
			t = "【广西】" + t
			c.edit("prefix")
		}
		it.Title = newsFullwidth(t)
		if it.Title != t {
			c.edit("fullwidth")
		}
		cut, ok := newsCut(strings.Join(paras, ""), 60+r.IntN(60), true, r)
		if ok {
			c.edit("cut")
		}
		it.Summary = newsEscape(newsFullwidth(cut))
		if r.IntN(5) < 2 {
			tw := newsItem{ID: id + "~m", Story: s.id, Outlet: o.name, Feed: o.feeds[1], Published: at.Add(time.Duration(r.IntN(30)) * time.Minute), Language: s.lang}
			tw.Link = "https://m.baguionline.example" + path
			tw.GUID = tw.Link
			tt := title
			if tr, ok := newsTruncateNumber(tt); ok {
				tt = tr
			} else if utf8.RuneCountInString(tt) > 16 {
				tt = newsCutRunes(tt, 15) + "…"
			}
			tw.Title = newsFullwidth(tt)
			sm, cut := newsCut(lead, 40+r.IntN(30), true, r)
			tw.Summary = newsEscape(newsFullwidth(sm))
			tw.Edits = append(newsWithout(c.edits, "prefix", "fullwidth", "cut", "truncated-headline"), "twin-mobile")
			if tt != title {
				tw.Edits = append(tw.Edits, "truncated-headline")
			}
			if cut {
				tw.Edits = append(tw.Edits, "cut")
			}
			if tw.Title != tt || newsFullwidth(sm) != sm {
				tw.Edits = append(tw.Edits, "fullwidth")
			}
			twins = append(twins, tw)
		}
	case "dongmeng":
		it.Link = fmt.Sprintf("https://www.dongmeng.test/news/%s/%s.html?utm_source=rss", at.Format("20060102"), hex)
		it.GUID = it.Link
		it.Title = title
		if r.IntN(5) < 3 {
			it.Title += "-东盟商讯"
			c.edit("suffix-nospace")
		}
		if len(paras) > 1 && r.IntN(2) == 0 {
			it.Summary = newsEscape(paras[1])
			c.edit("second-para")
		} else {
			it.Summary = newsEscape(lead)
		}
		var b strings.Builder
		if c.caption != "" {
			fmt.Fprintf(&b, "<p><img src=\"https://pic.dongmeng.test/%s.jpg\"></p><p>%s</p>", hex, newsEscape(c.caption))
		} else if credit != "" && r.IntN(3) == 0 {
			b.WriteString("<p>（图片来源：" + credit + "）</p>")
			c.edit("photo-credit")
		}
		b.WriteString(newsParas(paras))
		if credit != "" {
			b.WriteString("<p>来源：" + credit + "</p>")
			c.edit("source-line")
		}
		it.Content = b.String()
	}
	it.Edits = c.edits
	out := append([]newsItem{it}, twins...)
	for i := range out {
		if out[i].Edits == nil {
			out[i].Edits = []string{}
		}
		slices.Sort(out[i].Edits)
		out[i].Edits = slices.Compact(out[i].Edits)
	}
	return out
}

var (
	newsMonthAP = []string{"Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."}
	newsMonthR  = []string{"Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"}
)

// newsDiacritics puts back the Vietnamese spelling of places and people,
// as Vietnamese outlets write them. Longer names come first.
var newsDiacritics = strings.NewReplacer(
	"Vietnamese", "Vietnamese",
	"VIETNAM", "VIỆT NAM", "Vietnam", "Việt Nam",
	"HANOI", "HÀ NỘI", "Hanoi", "Hà Nội",
	"HO CHI MINH CITY", "HCM CITY", "Ho Chi Minh City", "HCM City",
	"HAIPHONG", "HẢI PHÒNG", "Haiphong", "Hải Phòng", "Hai Phong", "Hải Phòng",
	"DA NANG", "ĐÀ NẴNG", "Da Nang", "Đà Nẵng",
	"LANG SON", "LẠNG SƠN", "Lang Son", "Lạng Sơn",
	"QUANG NINH", "QUẢNG NINH", "Quang Ninh", "Quảng Ninh",
	"MONG CAI", "MÓNG CÁI", "Mong Cai", "Móng Cái",
	"LAO CAI", "LÀO CAI", "Lao Cai", "Lào Cai",
	"CAN THO", "CẦN THƠ", "Can Tho", "Cần Thơ",
	"Ha Long", "Hạ Long", "Huong", "Hương",
	"Cao Bang", "Cao Bằng", "Bac Ninh", "Bắc Ninh", "Binh Duong", "Bình Dương",
	"Dong Nai", "Đồng Nai", "Dak Lak", "Đắk Lắk", "Tien Giang", "Tiền Giang",
	"Nghe An", "Nghệ An", "Thanh Hoa", "Thanh Hóa", "Quang Nam", "Quảng Nam",
	"Huu Nghi", "Hữu Nghị", "Tan Thanh", "Tân Thanh", "Hue", "Huế",
	"Noi Bai", "Nội Bài", "Cat Lai", "Cát Lái", "Lach Huyen", "Lạch Huyện",
	"Nguyen", "Nguyễn", "Tran ", "Trần ", "Pham ", "Phạm ", "Le Thi", "Lê Thị",
	"Hoang", "Hoàng", "Vu ", "Vũ ", "Dang ", "Đặng ", "Do Van", "Đỗ Văn",
	" Van ", " Văn ", " Thi ", " Thị ",
	"Duc", "Đức", "Quoc", "Quốc", "Thu Ha", "Thu Hà", "Hai Yen", "Hải Yến",
	"Phuong", "Phương", "Tuan", "Tuấn", "Hung", "Hùng", "Dung", "Dũng",
)

// newsUpperPlace returns the place of a dateline in capitals.
func newsUpperPlace(p string) string { return strings.ToUpper(p) }

// newsTitlePlace writes a place as a name: "Kuala Lumpur".
func newsTitlePlace(p string) string {
	w := strings.Fields(strings.ToLower(p))
	for i, x := range w {
		r, n := utf8.DecodeRuneInString(x)
		w[i] = string(unicode.ToUpper(r)) + x[n:]
	}
	return strings.Join(w, " ")
}

var newsSmallWords = map[string]bool{"a": true, "an": true, "the": true, "of": true, "in": true, "on": true, "for": true, "to": true, "and": true, "at": true, "with": true, "by": true, "as": true, "from": true, "or": true, "but": true, "vs": true, "into": true}

// newsTitleCase capitalises every word but short function words.
func newsTitleCase(s string) string {
	w := strings.Split(s, " ")
	for i, x := range w {
		if x == "" || i > 0 && newsSmallWords[x] {
			continue
		}
		parts := strings.Split(x, "-")
		for j, p := range parts {
			r, n := utf8.DecodeRuneInString(p)
			if n > 0 {
				parts[j] = string(unicode.ToUpper(r)) + p[n:]
			}
		}
		w[i] = strings.Join(parts, "-")
	}
	return strings.Join(w, " ")
}

func newsSlug(s string, words int) string {
	var b strings.Builder
	n := 0
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
				n++
				if n >= words {
					return b.String()[:b.Len()-1]
				}
			}
			dash = false
			b.WriteRune(r)
		case r == '\'' || r == '’' || r == ',':
		default:
			dash = true
		}
	}
	if b.Len() == 0 {
		return "story"
	}
	return b.String()
}

// newsWithout returns a copy of edits without the ones given.
func newsWithout(edits []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(edits), func(e string) bool { return slices.Contains(drop, e) })
}

func newsEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func newsParas(ps []string) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("<p>" + newsEscape(p) + "</p>")
	}
	return b.String()
}

func newsPick(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

// newsCut cuts an English text after n words, or a Chinese one after n
// characters, ending it the way feeds do; it reports whether it cut.
func newsCut(s string, n int, zh bool, r *rand.Rand) (string, bool) {
	if zh {
		if utf8.RuneCountInString(s) <= n {
			return s, false
		}
		return newsCutRunes(s, n) + newsPick(r, "……", "...", "…"), true
	}
	w := strings.Fields(s)
	if len(w) <= n {
		return s, false
	}
	return strings.Join(w[:n], " ") + newsPick(r, "...", " ...", "…", " [...]"), true
}

func newsCutRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// newsTruncateNumber cuts a headline in the middle of its first number
// of three or more digits, as a feed that limits the title's length does:
// "预计2026年通航" becomes "预计202…".
func newsTruncateNumber(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			continue
		}
		j := i
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ',' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9') {
			j++
		}
		if j-i >= 3 && i >= 6 {
			return s[:i+(j-i+1)/2] + "…", true
		}
		i = j
	}
	return s, false
}

// newsFullwidth writes ASCII digits and punctuation of a Chinese text in
// their full-width forms, as some Chinese outlets do.
func newsFullwidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r - '0' + '０'
		case r == '%':
			return '％'
		case r == ':':
			return '：'
		case r == ',':
			return '，'
		case r == '!':
			return '！'
		case r == '?':
			return '？'
		case r == '(':
			return '（'
		case r == ')':
			return '）'
		case r == ' ':
			return '　'
		}
		return r
	}, s)
}
