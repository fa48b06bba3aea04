package feedfarm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"
)

// Invented word lists: every title, outlet and sentence the farm serves is
// made from these, never taken from real articles.
var (
	places = []string{"Northvale", "Kestrel Bay", "Amberfield", "Lowmarsh", "Tarnhollow", "Glasswick",
		"Pellmoor", "Ravenscar Isles", "Oxbridge Flats", "Saltmere", "Duskport", "Brackenridge",
		"Cindervale", "Mistral Coast", "Highgate Plains", "Fernhollow", "Stonereach", "Quillmarsh"}
	subjects = []string{"regional council", "port authority", "science park", "rail operator",
		"trade delegation", "university consortium", "water board", "solar cooperative",
		"fisheries agency", "customs office", "health ministry", "logistics hub", "farmers' union",
		"startup incubator", "shipping line", "tourism bureau"}
	verbs = []string{"signs", "announces", "approves", "opens", "expands", "launches", "reviews",
		"completes", "suspends", "funds", "plans", "doubles"}
	objects = []string{"agreements", "research projects", "cargo routes", "training centres",
		"solar farms", "bridge repairs", "export licences", "clinic upgrades", "digital kiosks",
		"port cranes", "water pipelines", "seed banks", "data centres", "ferry links"}
	outletWords = []string{"Courier", "Herald", "Gazette", "Chronicle", "Post", "Observer", "Tribune",
		"Dispatch", "Ledger", "Monitor", "Daily", "Bulletin", "Review", "Wire"}
	fillers = []string{"officials said", "according to a statement", "the plan says", "organisers added",
		"local residents noted", "analysts expect", "a spokesperson confirmed", "documents show"}
	details = []string{"the first phase runs until next spring", "funding comes from a joint budget",
		"work starts after the rainy season", "several partners from the coast joined",
		"a public hearing is planned for next month", "costs were lower than forecast",
		"the project employs about two hundred people", "a second round is under discussion",
		"the timetable was agreed last week", "exports rose for the third quarter in a row"}

	zhPlaces   = []string{"青川", "南屿", "白沙湾", "云岭", "东湖新区", "石溪", "北港", "绿洲镇", "金滩", "西岭"}
	zhSubjects = []string{"科技园区", "港务局", "农业合作社", "交通部门", "高校联盟", "贸易代表团", "卫生部门", "物流中心"}
	zhVerbs    = []string{"签署", "启动", "完成", "扩建", "发布", "批准", "推进", "新增"}
	zhObjects  = []string{"合作协议", "研究项目", "货运航线", "培训中心", "光伏电站", "桥梁维修", "数字服务站", "供水管网"}
	zhDetails  = []string{"第一阶段将于明年春季完成", "资金来自联合预算", "多个沿海伙伴参与其中",
		"下月将举行公开听证会", "成本低于预期", "项目雇用约两百人", "第二轮合作正在讨论中", "时间表已于上周确定"}
)

// story is one invented news story; copies of it appear in 1 to 4 feeds.
type story struct {
	id        int
	zh        bool
	region    string
	title     string
	lead      string   // first sentence
	body      []string // paragraphs, lead first
	slug      string
	published time.Time
	origin    int // feed index of the first outlet
	originURL string
}

// item is one feed's copy of a story.
type item struct {
	guid      string
	title     string
	link      string
	summary   string
	content   string
	published time.Time
}

// Syllables and function words for invented vocabulary: real news text
// is diverse, so stories must not all share a handful of words or every
// story would look like a candidate duplicate of every other.
var (
	onsets   = []string{"b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pr", "r", "s", "sh", "st", "t", "tr", "v", "w", "z"}
	nuclei   = []string{"a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"}
	codas    = []string{"", "", "n", "r", "l", "s", "th", "nd", "m", "x"}
	function = []string{"the", "of", "and", "to", "in", "for", "with", "on", "at", "from", "after", "near", "over", "new", "local", "first"}
	zhChars  = []rune("国家城市发展经济合作项目科技教育文化交通能源农业工业企业市场服务社会健康环境水利港口铁路公路桥梁学校医院研究中心政府部门会议计划建设投资贸易出口进口资金技术人才创新数字网络平台标准质量安全生态旅游产品生产销售增长提高推动加强完善实施开展举行签署启动完成扩大支持服务")
)

// vocabulary is where a farm's words come from: invented afresh for
// every use (nil pools), or, for a regional farm, drawn from small fixed
// pools, so that stories share places, names, numbers and most of their
// words as the news of one region does.
type vocabulary struct {
	words, names, zhWords []string
	numbers               int // story numbers are 2…numbers+1
}

// regional returns the pools of a regional farm, the same for every seed.
func regional() *vocabulary {
	r := rand.New(rand.NewPCG(7, 7))
	v := &vocabulary{numbers: 40}
	for range 150 {
		v.words = append(v.words, word(r))
	}
	for range 30 {
		v.names = append(v.names, name(r))
	}
	for range 150 {
		v.zhWords = append(v.zhWords, zhWord(r))
	}
	return v
}

func (v *vocabulary) word(r *rand.Rand) string {
	if v == nil {
		return word(r)
	}
	return pick(r, v.words)
}

func (v *vocabulary) name(r *rand.Rand) string {
	if v == nil {
		return name(r)
	}
	return pick(r, v.names)
}

func (v *vocabulary) zhWord(r *rand.Rand) string {
	if v == nil {
		return zhWord(r)
	}
	return pick(r, v.zhWords)
}

func (v *vocabulary) number(r *rand.Rand) int {
	if v == nil {
		return 2 + r.IntN(700)
	}
	return 2 + r.IntN(v.numbers)
}

// word invents a lowercase pseudo-word of 1 to 3 syllables.
func word(r *rand.Rand) string {
	var b strings.Builder
	for range 1 + r.IntN(3) {
		b.WriteString(pick(r, onsets))
		b.WriteString(pick(r, nuclei))
	}
	b.WriteString(pick(r, codas))
	return b.String()
}

// name invents a capitalised name.
func name(r *rand.Rand) string {
	w := word(r)
	return strings.ToUpper(w[:1]) + w[1:]
}

// phrase makes n words of text, mixing function words in.
func (v *vocabulary) phrase(r *rand.Rand, n int) string {
	ws := make([]string, n)
	for i := range ws {
		if r.IntN(3) == 0 {
			ws[i] = pick(r, function)
		} else {
			ws[i] = v.word(r)
		}
	}
	return strings.Join(ws, " ")
}

// zhWord invents a Chinese word of 2 to 4 characters.
func zhWord(r *rand.Rand) string {
	n := 2 + r.IntN(3)
	w := make([]rune, n)
	for i := range w {
		w[i] = zhChars[r.IntN(len(zhChars))]
	}
	return string(w)
}

func (v *vocabulary) zhPhrase(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(v.zhWord(r))
	}
	return b.String()
}

// newStory invents story id published at pub, first carried by feed origin.
func (v *vocabulary) newStory(r *rand.Rand, id int, zh bool, pub time.Time, origin *feedInfo) *story {
	s := &story{id: id, zh: zh, published: pub, origin: origin.idx}
	n := v.number(r)
	if zh {
		s.region = pick(r, zhPlaces) + v.zhWord(r)
		s.title = fmt.Sprintf("%s%s%s%d项%s%s", s.region, pick(r, zhSubjects), pick(r, zhVerbs), n, v.zhWord(r), pick(r, zhObjects))
		s.lead = s.title + "。" + v.zhPhrase(r, 6) + "，" + pick(r, zhDetails) + "。"
		s.body = []string{s.lead}
		for range 2 + r.IntN(3) {
			s.body = append(s.body, v.zhPhrase(r, 5)+"，"+v.zhPhrase(r, 4)+"。")
		}
		s.slug = fmt.Sprintf("zh-%d", id)
	} else {
		s.region = pick(r, places)
		if r.IntN(2) == 0 {
			s.region = v.name(r)
		}
		subj, verb, obj := v.word(r)+" "+pick(r, subjects), pick(r, verbs), v.word(r)+" "+pick(r, objects)
		partner := v.name(r)
		s.title = fmt.Sprintf("%s %s %s %d %s with %s", s.region, subj, verb, n, obj, partner)
		s.lead = fmt.Sprintf("The %s of %s %s %d %s with %s, %s %s.", subj, s.region, verb, n, obj, partner, v.phrase(r, 12), pick(r, fillers))
		s.body = []string{s.lead}
		for range 2 + r.IntN(3) {
			s.body = append(s.body, v.sentence(r)+" "+v.sentence(r)+" "+v.sentence(r))
		}
		s.slug = slugify(fmt.Sprintf("%s %s %s %d %s", s.region, subj, verb, n, obj))
	}
	s.originURL = fmt.Sprintf("%s://%s/%s/%s-%d.html", origin.scheme, origin.site, pub.Format("2006/01"), s.slug, id)
	return s
}

func (v *vocabulary) sentence(r *rand.Rand) string {
	p := v.name(r) + " " + v.phrase(r, 6+r.IntN(8))
	if r.IntN(2) == 0 {
		p += ", " + pick(r, details)
	}
	return p + ", " + pick(r, fillers) + "."
}

func pick(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// copyOf returns feed f's copy of s, with f's title decoration, link
// style, GUID form, summary length and delay.
func copyOf(r *rand.Rand, s *story, f *feedInfo) *item {
	it := &item{published: s.published}
	if f.idx != s.origin {
		it.published = s.published.Add(time.Duration(5+r.IntN(300)) * time.Minute)
	}
	// Title decoration.
	switch f.style {
	case 1:
		it.title = s.region + ": " + s.title
	case 2:
		it.title = s.title + " - " + f.title
	case 3:
		it.title = s.title + " | Wire"
	default:
		it.title = s.title
	}
	if s.zh && f.style != 0 {
		it.title = s.title + "_" + f.title
	}
	// Link: the origin's own URL, or a republisher's own page, or the
	// origin's URL with tracking parameters or another scheme.
	own := fmt.Sprintf("%s://%s/news/%d/%s.html", f.scheme, f.site, s.id, s.slug)
	switch {
	case f.idx == s.origin:
		it.link = s.originURL
	case r.IntN(10) < 4:
		it.link = tracked(r, s.originURL)
	default:
		it.link = own
	}
	// GUID forms differ per outlet.
	switch {
	case f.format == RSS1:
		it.guid = it.link // RSS 1.0 items are identified by rdf:about
	case f.guidForm == 0 && f.format == RSS2:
		it.guid = it.link
	case f.guidForm == 1 || f.format == Atom && f.guidForm == 0:
		it.guid = fmt.Sprintf("tag:%s,2026:story-%d", f.site, s.id)
	case f.guidForm == 2:
		it.guid = uuidOf(f.idx, s.id)
	default:
		it.guid = fmt.Sprintf("%d", 100000+s.id*7+f.idx%7)
	}
	// Summary: the lead and more, cut at the outlet's length, maybe
	// behind a dateline.
	text := strings.Join(s.body, " ")
	if f.cut > 0 {
		text = cut(text, f.cut)
	}
	if f.dateline {
		if s.zh {
			text = "本报" + s.region + "电 " + text
		} else {
			text = strings.ToUpper(s.region) + ", " + s.published.Format("January 2") + " (" + f.title + ") -- " + text
		}
	}
	it.summary = text
	var b strings.Builder
	for _, p := range s.body {
		b.WriteString("<p>")
		b.WriteString(htmlEscape(p))
		b.WriteString("</p>")
	}
	it.content = b.String()
	return it
}

// tracked decorates u with tracking parameters or another scheme.
func tracked(r *rand.Rand, u string) string {
	switch r.IntN(4) {
	case 0:
		return u + "?utm_source=rss&utm_medium=feed&utm_campaign=syndication"
	case 1:
		return u + "?fbclid=IwAR" + fmt.Sprintf("%08x", r.Uint32())
	case 2:
		if rest, ok := strings.CutPrefix(u, "https://"); ok {
			return "http://" + rest
		}
		return "https://" + strings.TrimPrefix(u, "http://")
	default:
		return u + "?utm_source=partner&ref=wire"
	}
}

func uuidOf(feed, id int) string {
	x := uint64(feed)*0x9e3779b97f4a7c15 ^ uint64(id)*0xbf58476d1ce4e5b9
	y := x*0x94d049bb133111eb + uint64(id)
	return fmt.Sprintf("urn:uuid:%08x-%04x-5%03x-8%03x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff, uint16(y>>48)&0xfff, y&0xffffffffffff)
}

// cut shortens s to at most n runes at a word boundary and adds an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i = range s {
		if k == n {
			break
		}
		k++
	}
	out := s[:i]
	if j := strings.LastIndexByte(out, ' '); j > len(out)/2 {
		out = out[:j]
	}
	return out + "…"
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func htmlEscape(s string) string { return htmlEscaper.Replace(s) }
