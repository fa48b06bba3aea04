package dedupe

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// This file generates testdata/eval.json, the labelled evaluation set
// (go test -run TestEval -update). Every outlet, person and article in it
// is invented; the generator is seeded, so the file is reproducible.

// evalSet is the labelled evaluation set.
type evalSet struct {
	Note          string         `json:"note"`
	HardNegatives []hardNegative `json:"hard_negatives"`
	Items         []evalItem     `json:"items"`
}

// hardNegative names two stories that look alike and must never merge.
type hardNegative struct {
	A, B string
	Kind string `json:"kind"` // number, place, country, column, week
}

// evalItem is one copy of a story as an outlet's feed carried it.
type evalItem struct {
	Story     string    `json:"story"` // the true story label
	Outlet    string    `json:"outlet"`
	Feed      string    `json:"feed"`
	GUID      string    `json:"guid"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary,omitempty"`
	Content   string    `json:"content,omitempty"`
	Published time.Time `json:"published"`
	Arrival   time.Time `json:"arrival"` // when the copy is fed to the deduper
	Variation string    `json:"variation,omitempty"`
}

// outlet is an invented news outlet.
type outlet struct {
	name, host, agency string // agency: the name used in datelines
	zh                 bool
	feeds              []string
}

var (
	lotus     = outlet{name: "Lotus Daily", host: "www.lotusdaily.example", feeds: []string{"https://www.lotusdaily.example/rss/business.xml", "https://www.lotusdaily.example/rss/regional.xml"}}
	beibu     = outlet{name: "Beibu Gulf Herald", host: "beibuherald.example", feeds: []string{"https://beibuherald.example/feed/"}}
	harbour   = outlet{name: "Harbour Wire", host: "www.harbourwire.example", agency: "Harbour Wire", feeds: []string{"https://www.harbourwire.example/english/asia.rss"}}
	peninsula = outlet{name: "Peninsula Courier", host: "www.peninsulacourier.example", agency: "Peninsula Courier", feeds: []string{"https://www.peninsulacourier.example/business/feed.atom"}}
	mekong    = outlet{name: "Mekong Observer", host: "mekongobserver.example", feeds: []string{"https://mekongobserver.example/feeds/region.json"}}
	redriver  = outlet{name: "Red River Post", host: "www.redriverpost.example", agency: "Red River Post", feeds: []string{"http://www.redriverpost.example/rss"}}
	jade      = outlet{name: "Jade Coast Times", host: "jadecoasttimes.example", feeds: []string{"https://jadecoasttimes.example/asean/index.xml"}}
	nanling   = outlet{name: "南岭日报", host: "www.nanlingdaily.example", agency: "南岭日报", zh: true, feeds: []string{"https://www.nanlingdaily.example/rss/jingji.xml", "https://www.nanlingdaily.example/rss/dongmeng.xml"}}
	lvcheng   = outlet{name: "绿城新闻网", host: "news.lvcheng.example", zh: true, feeds: []string{"https://news.lvcheng.example/rss.xml"}}
	bagui     = outlet{name: "八桂在线", host: "www.baguionline.example", zh: true, feeds: []string{"http://www.baguionline.example/feed"}}
	haiwan    = outlet{name: "海湾通讯社", host: "cn.harbourwire.example", agency: "海湾通讯社", zh: true, feeds: []string{"https://cn.harbourwire.example/gx.xml"}}

	enOrigins = []*outlet{&lotus, &harbour, &redriver}
	enCopiers = []*outlet{&beibu, &harbour, &peninsula, &mekong, &redriver, &jade}
	zhOrigins = []*outlet{&nanling, &haiwan}
	zhCopiers = []*outlet{&lvcheng, &bagui, &haiwan}
)

// Vocabulary for invented articles.
var (
	enPlaces    = []string{"Nanning", "Guilin", "Liuzhou", "Beihai", "Qinzhou", "Fangchenggang", "Wuzhou", "Baise", "Hechi", "Chongzuo", "Pingxiang", "Dongxing", "Yulin", "Guigang", "Hezhou", "Laibin"}
	enCountries = []string{"Vietnam", "Laos", "Cambodia", "Thailand", "Malaysia", "Singapore", "Indonesia", "the Philippines", "Myanmar", "Brunei"}
	enTopics    = []string{"cross-border e-commerce", "electric vehicle", "durian import", "sea-rail freight", "digital payment", "satellite data", "bamboo furniture", "mangrove restoration", "vocational training", "herbal medicine", "sugar cane processing", "cold-chain logistics", "smart port", "tourism promotion", "language education", "agricultural drone", "rice breeding", "solar panel", "textile export", "tea culture", "pearl farming", "river cruise", "seafood processing", "cloud computing", "film co-production", "rail tourism", "fruit packaging", "carbon trading", "telemedicine", "battery recycling"}
	enOrgs      = []string{"the regional commerce department", "a provincial science academy", "the city's port authority", "a local logistics group", "the regional tourism bureau", "a university in the region", "the customs office", "a state-owned trading company", "the local development zone", "an industry association", "a municipal investment fund", "the provincial agriculture office"}
	enPeople    = []string{"Lan Wenjie", "Mo Xiaoyu", "Wei Chenglong", "Huang Meiling", "Tran Van Duc", "Pham Thu Ha", "Siti Rahmah", "Ahmad Faizal", "Somsak Wongchai", "Kanya Srisuk", "Liang Haoran", "Qin Yuxuan", "Lu Jiawen", "Nong Zhiqiang", "Tan Boon Keat", "Maria Dela Paz"}
	enRoles     = []string{"deputy director", "general manager", "chief engineer", "a senior researcher", "the project leader", "vice-president", "a trade official", "an economist"}
	enDays      = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	enAdjs      = []string{"pilot", "flagship", "joint", "three-year", "first-phase", "expanded", "cross-border", "regional"}
	enNouns     = []string{"warehouses", "routes", "training sessions", "laboratories", "cold stores", "exhibition halls", "charging stations", "service centres", "nurseries", "processing lines"}
)

var enSentences = []string{
	"{Org} said on {day} that {topic} business between {place} and {country} grew by {pct} percent in the first {m} months of the year.",
	"The {adj} project, backed by {org}, is expected to employ about {n} people in {place} by {year}.",
	"{Person}, {role} at {org}, said the {topic} programme would add {k} new {noun} before the end of the year.",
	"Companies from {country} have so far signed contracts worth {money} million yuan for {topic} services in {place}.",
	"Officials said the first batch of {noun} in {place} began operating on {day}, {k} weeks ahead of schedule.",
	"\"We have seen strong demand from partners in {country},\" {person} said, adding that {topic} orders had doubled.",
	"According to {org}, more than {n} trucks now cross the border near {place} each week carrying {topic} goods.",
	"The plan also covers {k} {noun} along the coast and a training fund of {money} million yuan.",
	"Analysts said lower tariffs and faster customs checks have made {place} a hub for {topic} firms from {country}.",
	"{Person} said delegations from {country} would visit {place} again in {month} to review progress.",
	"A survey by {org} found that {pct} percent of {topic} exporters in {place} plan to hire more staff next year.",
	"Local farmers and workshops supplied {n} tonnes of products to buyers in {country} during the trial period.",
	"The {adj} scheme was first proposed in {year2} and was approved by {org} earlier this {season}.",
	"Students from {country} will take part in {k}-week {topic} courses at {noun} in {place}, organisers said.",
	"Rail operators in {place} added {k} weekly trains for {topic} cargo bound for {country}, cutting delivery times by {pct} percent.",
	"{Org} will publish detailed figures on the {topic} sector in {month}, {person} said.",
	"Investors from {country} opened {k} new {noun} in the {place} free trade zone this {season}.",
	"The city expects {topic} revenue to reach {money} million yuan by {year}, up from {money2} million last year.",
	"Engineers are testing {k} {noun} that use {topic} technology developed with partners in {country}.",
	"Residents in {place} said the new {noun} had brought more visitors and better-paid jobs to the area.",
}

var enTitles = []string{
	"{Place} expands {topic} links with {country}",
	"{Country} firms join {place} {topic} pilot",
	"{Topic} trade between {place} and {country} hits record",
	"New {topic} centre opens in {place} for {country} partners",
	"{Place} and {country} sign {topic} cooperation deal",
	"{Place} launches {adj} {topic} programme with {country}",
	"{Country} investors eye {place} {topic} zone",
	"{Place} {topic} exports to {country} surge",
}

var enAltTitles = []string{
	"{Place} deepens {topic} cooperation with {country}",
	"{Topic} ties: {place} reaches out to {country}",
	"Why {country} is betting on {place} for {topic}",
	"{Place}'s {topic} push draws {country} interest",
}

var (
	zhPlaces    = []string{"南宁", "桂林", "柳州", "北海", "钦州", "防城港", "梧州", "百色", "河池", "崇左", "凭祥", "东兴", "玉林", "贵港", "贺州", "来宾"}
	zhCountries = []string{"越南", "老挝", "柬埔寨", "泰国", "马来西亚", "新加坡", "印度尼西亚", "菲律宾", "缅甸", "文莱"}
	zhTopics    = []string{"跨境电商", "新能源汽车", "榴莲进口", "海铁联运", "数字支付", "卫星数据", "竹制家具", "红树林修复", "职业教育", "中医药", "甘蔗加工", "冷链物流", "智慧港口", "文旅推广", "语言教育", "农业无人机", "水稻育种", "光伏组件", "纺织品出口", "茶文化", "珍珠养殖", "内河游轮", "海产品加工", "云计算", "影视合拍", "铁路旅游", "水果包装", "碳交易", "远程医疗", "电池回收"}
	zhOrgs      = []string{"自治区商务厅", "当地科学院", "港口管理局", "一家物流集团", "文化和旅游厅", "广西一所高校", "海关部门", "一家国有贸易公司", "当地开发区", "行业协会", "市投资基金", "自治区农业农村厅"}
	zhPeople    = []string{"蓝文杰", "莫晓雨", "韦成龙", "黄美玲", "梁浩然", "覃雨轩", "陆佳文", "农志强", "陈庆华", "罗丽娟"}
	zhRoles     = []string{"副主任", "总经理", "总工程师", "研究员", "项目负责人", "副总裁"}
	zhNouns     = []string{"仓库", "航线", "培训班", "实验室", "冷库", "展馆", "充电站", "服务中心", "育苗基地", "生产线"}
)

var zhSentences = []string{
	"{org}近日表示，今年前{m}个月，{place}与{country}在{topic}领域的贸易额同比增长{pct}%。",
	"该项目由{org}支持，预计到{year}年将在{place}带动约{n}人就业。",
	"{org}{role}{person}介绍，{topic}项目年内将新增{k}个{noun}。",
	"截至目前，{country}企业已在{place}签订{topic}服务合同，总金额达{money}亿元。",
	"据悉，{place}首批{noun}已于本周投入使用，比原计划提前{k}周。",
	"“{country}合作伙伴的需求十分旺盛。”{person}说，{topic}订单数量已经翻了一番。",
	"据{org}统计，目前每周有超过{n}辆货车经{place}口岸运送{topic}相关货物。",
	"该计划还包括沿海{k}个{noun}和规模{money}亿元的培训基金。",
	"业内人士认为，关税下调和通关提速使{place}成为{country}{topic}企业的重要枢纽。",
	"{person}表示，{country}代表团将于{month}月再次到访{place}，了解项目进展。",
	"{org}的一项调查显示，{place}有{pct}%的{topic}出口企业计划明年扩大招聘。",
	"试运行期间，当地农户和企业向{country}客户供应产品{n}吨。",
	"铁路部门在{place}每周新增{k}趟{topic}货运班列开往{country}，运输时间缩短{pct}%。",
	"{country}投资者本季度在{place}自贸试验区新开设{k}个{noun}。",
	"工程人员正在测试{k}个采用{topic}技术的{noun}，相关技术由{place}与{country}合作研发。",
	"{place}市民表示，新建的{noun}带来了更多游客，也带来了收入更高的工作岗位。",
}

var zhTitles = []string{
	"{place}与{country}{topic}合作再上新台阶",
	"{country}企业参与{place}{topic}试点",
	"{place}对{country}{topic}贸易额创新高",
	"{place}{topic}中心揭牌 服务{country}客商",
	"{place}与{country}签署{topic}合作协议",
}

var zhAltTitles = []string{
	"{topic}合作：{place}携手{country}共谋发展",
	"{place}深化与{country}{topic}领域合作",
}

// article is the original text of one story.
type article struct {
	id         string
	zh         bool
	title, alt string
	sentences  []string
	place      string // where the dateline puts it
	published  time.Time
	origin     *outlet
	originURL  string // the URL of the origin's copy
}

type generator struct {
	r      *rand.Rand
	titles map[string]bool
	seq    int
	set    evalSet
	start  time.Time
}

func (g *generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

// fill replaces the {slots} of template tpl, using fixed for the slots
// given and random values for the rest.
func (g *generator) fill(tpl string, fixed map[string]string, zh bool) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			b.WriteString(tpl)
			break
		}
		j := strings.IndexByte(tpl[i:], '}') + i
		b.WriteString(tpl[:i])
		slot := tpl[i+1 : j]
		tpl = tpl[j+1:]
		key := strings.ToLower(slot)
		v, ok := fixed[key]
		if !ok {
			v = g.slot(key, zh)
		}
		if slot[0] >= 'A' && slot[0] <= 'Z' && v != "" {
			r, n := utf8.DecodeRuneInString(v)
			v = strings.ToUpper(string(r)) + v[n:]
		}
		b.WriteString(v)
	}
	return b.String()
}

func (g *generator) slot(key string, zh bool) string {
	n := g.r.IntN
	switch key {
	case "pct":
		return fmt.Sprint(5 + n(80))
	case "m":
		return fmt.Sprint(2 + n(9))
	case "n":
		return fmt.Sprint(100 + n(9000))
	case "k":
		return fmt.Sprint(2 + n(18))
	case "money", "money2":
		return fmt.Sprint(10 + n(900))
	case "year":
		return fmt.Sprint(2027 + n(4))
	case "year2":
		return fmt.Sprint(2019 + n(6))
	case "month":
		if zh {
			return fmt.Sprint(1 + n(12))
		}
		return g.pick([]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "December"})
	case "day":
		return g.pick(enDays)
	case "season":
		return g.pick([]string{"spring", "summer", "autumn", "year"})
	case "adj":
		return g.pick(enAdjs)
	}
	if zh {
		switch key {
		case "place":
			return g.pick(zhPlaces)
		case "country":
			return g.pick(zhCountries)
		case "topic":
			return g.pick(zhTopics)
		case "org":
			return g.pick(zhOrgs)
		case "person":
			return g.pick(zhPeople)
		case "role":
			return g.pick(zhRoles)
		case "noun":
			return g.pick(zhNouns)
		}
	} else {
		switch key {
		case "place":
			return g.pick(enPlaces)
		case "country":
			return g.pick(enCountries)
		case "topic":
			return g.pick(enTopics)
		case "org":
			return g.pick(enOrgs)
		case "person":
			return g.pick(enPeople)
		case "role":
			return g.pick(enRoles)
		case "noun":
			return g.pick(enNouns)
		}
	}
	panic("unknown slot " + key)
}

// newArticle invents a story. fixed pins slots of the title and body;
// titleTpl, when not empty, is the title template.
func (g *generator) newArticle(zh bool, fixed map[string]string, titleTpl string, at time.Time) *article {
	f := map[string]string{}
	for k, v := range fixed {
		f[k] = v
	}
	for _, k := range []string{"place", "country", "topic"} {
		if f[k] == "" {
			f[k] = g.slot(k, zh)
		}
	}
	titles, alts, sentences := enTitles, enAltTitles, enSentences
	if zh {
		titles, alts, sentences = zhTitles, zhAltTitles, zhSentences
	}
	a := &article{zh: zh, place: f["place"], published: at}
	for {
		tpl := titleTpl
		if tpl == "" {
			tpl = g.pick(titles)
		}
		a.title = g.fill(tpl, f, zh)
		if titleTpl != "" || !g.titles[a.title] {
			break
		}
		f["topic"] = g.slot("topic", zh)
	}
	g.titles[a.title] = true
	a.alt = g.fill(g.pick(alts), f, zh)
	// Body: 4 to 7 sentences, distinct templates.
	idx := g.r.Perm(len(sentences))[:4+g.r.IntN(4)]
	// Fix a person and org per article so quotes are consistent.
	f["person"] = g.slot("person", zh)
	f["org"] = g.slot("org", zh)
	for _, i := range idx {
		a.sentences = append(a.sentences, g.fill(sentences[i], f, zh))
	}
	g.seq++
	if zh {
		a.id = fmt.Sprintf("zh%03d", g.seq)
	} else {
		a.id = fmt.Sprintf("en%03d", g.seq)
	}
	return a
}

// bodyText joins sentences as a text.
func (a *article) bodyText(sentences []string) string {
	if a.zh {
		return strings.Join(sentences, "")
	}
	return strings.Join(sentences, " ")
}

// cutWords cuts an English text after n words, or a Chinese one after n
// characters, ending it with an ellipsis; midWord cuts into the next word.
func cutWords(s string, n int, zh, midWord bool) string {
	if zh {
		rs := []rune(s)
		if n >= len(rs) {
			return s
		}
		return string(rs[:n]) + "…"
	}
	w := strings.Fields(s)
	if n >= len(w) {
		return s
	}
	out := strings.Join(w[:n], " ")
	if midWord && len(w[n]) > 3 {
		out += " " + w[n][:len(w[n])/2]
	}
	if midWord {
		return out + "…"
	}
	return out + " ..."
}

var monthAbbr = []string{"Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."}

func dateline(a *article, o *outlet, t time.Time) string {
	if a.zh {
		return fmt.Sprintf("%s%s%d月%d日电（记者 %s）", o.agency, a.place, int(t.Month()), t.Day(), []string{"黄丽", "李明", "王强"}[t.Day()%3])
	}
	return fmt.Sprintf("%s, %s %d (%s) -- ", strings.ToUpper(a.place), monthAbbr[t.Month()-1], t.Day(), o.agency)
}

// copyOf renders the copy of article a published by outlet o in feed
// feedIdx, style chooses among the outlet's variations.
func (g *generator) copyOf(a *article, o *outlet, feedIdx int, at time.Time, original string) evalItem {
	it := evalItem{Story: a.id, Outlet: o.name, Feed: o.feeds[feedIdx], Published: at}
	num := 100000 + g.r.IntN(900000)
	path := fmt.Sprintf("/%d/%02d%02d/%d.html", at.Year(), int(at.Month()), at.Day(), num)
	it.URL = "https://" + o.host + path
	it.GUID = it.URL
	body := a.bodyText(a.sentences)
	lead := a.bodyText(a.sentences[:min(3, len(a.sentences))])
	var vars []string
	v := func(s ...string) { vars = append(vars, s...) }
	switch o {
	case &lotus:
		it.Title = a.title
		it.URL += "?utm_source=rss&utm_medium=feed&utm_campaign=" + []string{"business", "regional"}[feedIdx]
		it.GUID = fmt.Sprintf("tag:lotusdaily.example,2026:WS%d", num)
		it.Summary = "<p>" + htmlEscape(lead) + "</p>"
		it.Content = "<p>" + strings.Join(mapEscape(a.sentences), "</p><p>") + "</p>"
		v("origin-style")
	case &beibu:
		if g.r.IntN(2) == 0 {
			it.Title = "Guangxi: " + a.title
			v("prefix")
		} else {
			it.Title = a.title + " - Lotusdaily.example"
			v("suffix")
		}
		it.GUID = fmt.Sprint(num)
		src := original
		it.Summary = "<div class=\"art\"><p>" + htmlEscape(body) + "</p><p><em>Source: " + src + "</em></p></div>"
		v("source-line", "numeric-guid")
	case &harbour:
		if g.r.IntN(3) == 0 {
			it.Title = a.alt + " | Harbour Wire"
			v("edited-headline")
		} else {
			it.Title = a.title + " | Harbour Wire"
		}
		it.URL = "http://" + o.host + path + "?ref=rss"
		it.GUID = "https://" + o.host + path + "?utm_source=feed"
		it.Summary = htmlEscape(dateline(a, o, at) + cutWords(body, 35+g.r.IntN(30), false, g.r.IntN(2) == 0))
		v("dateline", "cut", "http", "guid-with-tracking")
	case &peninsula:
		if g.r.IntN(2) == 0 {
			it.Title = strings.ToUpper(a.title[:1]) + strings.ToLower(a.title[1:])
			v("case")
		} else {
			it.Title = a.alt
			v("edited-headline")
		}
		it.GUID = fmt.Sprintf("urn:peninsula:%d", num)
		it.Summary = htmlEscape(cutWords(body, 18+g.r.IntN(10), false, true))
		v("short-cut")
	case &mekong:
		it.Title = strings.ReplaceAll(titleCase(a.title), "'", "’")
		p := fmt.Sprintf("/news/%d/%02d/%02d/%s", at.Year(), int(at.Month()), at.Day(), slug(a.title))
		it.URL = "https://" + o.host + p + "?fbclid=IwAR" + fmt.Sprint(num) + "&gclid=x" + fmt.Sprint(num%977)
		it.GUID = "https://" + o.host + p
		s := strings.ReplaceAll(lead, "\"", "“")
		it.Summary = "<p><strong>" + htmlEscape(s) + "</strong></p>"
		if a.originURL != "" && g.r.IntN(2) == 0 {
			it.Summary += fmt.Sprintf("<p><a href=\"%s\">Read the original at %s</a></p>", htmlEscape(a.originURL), original)
			v("link-to-original")
		}
		v("title-case", "curly-quotes", "html", "fbclid")
	case &redriver:
		it.Title = strings.TrimSuffix(a.title, ".") + "."
		it.URL = "http://www." + strings.TrimPrefix(o.host, "www.") + ":80" + path + "?mc_cid=" + fmt.Sprint(num%1000) + "&mc_eid=abc"
		it.GUID = fmt.Sprintf("%s-%d", "rrp", num)
		it.Summary = htmlEscape(cutWords(body, 40+g.r.IntN(40), false, false))
		if original != "" && original != o.name {
			it.Summary += "\n\nSource: " + original
		}
		v("punctuation", "port-80", "mc_cid", "cut")
	case &jade:
		it.Title = a.title + " — Jade Coast Times"
		it.GUID = fmt.Sprintf("jct-%d", num)
		it.Summary = "<p>" + strings.ReplaceAll(htmlEscape(lead), "'", "&#8217;") + "</p>"
		if g.r.IntN(4) == 0 {
			it.Summary = ""
			v("no-summary")
		}
		v("suffix-dash")
	case &nanling:
		it.Title = a.title
		it.URL += "?from=" + []string{"timeline", "groupmessage"}[feedIdx]
		it.GUID = fmt.Sprintf("nl-%d-%d", num, feedIdx*0)
		it.Summary = "<p>" + lead + "</p>"
		it.Content = "<p>" + strings.Join(a.sentences, "</p><p>") + "</p>"
	case &lvcheng:
		it.Title = a.title + "_绿城新闻网"
		it.GUID = fmt.Sprint(num)
		it.Summary = "<p>" + body + "</p><p>来源：" + original + "</p><p>责任编辑：韦丽</p>"
		v("suffix", "来源")
	case &bagui:
		if g.r.IntN(2) == 0 {
			it.Title = "【广西】" + a.title
		} else {
			it.Title = "广西：" + a.title
		}
		it.Title = toFullwidthDigits(it.Title)
		it.URL = "http://" + o.host + path
		it.Summary = toFullwidthDigits(cutWords(body, 60+g.r.IntN(60), true, false))
		v("prefix", "fullwidth", "cut")
	case &haiwan:
		if g.r.IntN(3) == 0 {
			it.Title = a.alt + "——海湾通讯社"
			v("edited-headline")
		} else {
			it.Title = a.title + "——海湾通讯社"
		}
		it.GUID = "https://" + o.host + path + "?utm_medium=rss"
		it.Summary = "<p>" + dateline(a, o, at) + cutWords(body, 50+g.r.IntN(60), true, false) + "</p>"
		v("dateline", "cut")
	}
	it.Variation = strings.Join(vars, ",")
	return it
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func mapEscape(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = htmlEscape(x)
	}
	return out
}

func titleCase(s string) string {
	w := strings.Fields(s)
	for i, x := range w {
		w[i] = strings.ToUpper(x[:1]) + x[1:]
	}
	return strings.Join(w, " ")
}

func slug(s string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, s), "-")
}

func toFullwidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, s)
}

// publish adds copies of a to the set: the original, then n copies from
// other outlets of its language, minutes to a day later.
func (g *generator) publish(a *article, n int) {
	origins, copiers := enOrigins, enCopiers
	if a.zh {
		origins, copiers = zhOrigins, zhCopiers
	}
	if a.origin == nil {
		a.origin = origins[g.r.IntN(len(origins))]
	}
	add := func(it evalItem) {
		lag := time.Duration(2+g.r.IntN(40)) * time.Minute
		if g.r.IntN(10) == 0 {
			lag = time.Duration(6+g.r.IntN(30)) * time.Hour // a feed that was down: arrives late
			it.Variation = strings.TrimPrefix(it.Variation+",late", ",")
		}
		it.Arrival = it.Published.Add(lag)
		g.set.Items = append(g.set.Items, it)
	}
	add(g.copyOf(a, a.origin, 0, a.published, ""))
	a.originURL = g.set.Items[len(g.set.Items)-1].URL
	if len(a.origin.feeds) > 1 && g.r.IntN(2) == 0 {
		c := g.copyOf(a, a.origin, 1, a.published.Add(time.Duration(g.r.IntN(20))*time.Minute), "")
		c.URL = strings.Replace(g.set.Items[len(g.set.Items)-1].URL, "https://www.", "http://", 1)
		c.URL = strings.Split(c.URL, "?")[0] + "?utm_source=section&utm_medium=rss"
		c.Variation += ",second-section-feed"
		add(c)
	}
	others := slices.DeleteFunc(slices.Clone(copiers), func(o *outlet) bool { return o == a.origin })
	g.r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	for _, o := range others[:min(n, len(others))] {
		at := a.published.Add(time.Duration(5+g.r.IntN(26*60)) * time.Minute)
		add(g.copyOf(a, o, 0, at, a.origin.name))
	}
}

func (g *generator) when() time.Time {
	return g.start.Add(time.Duration(g.r.IntN(28*24*60)) * time.Minute)
}

// generateEval builds the evaluation set.
func generateEval() evalSet { return generateEvalSeed(2026, 11) }

// generateEvalSeed builds the evaluation set from the seeds s1, s2.
func generateEvalSeed(s1, s2 uint64) evalSet {
	g := &generator{r: rand.New(rand.NewPCG(s1, s2)), titles: map[string]bool{}, start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	g.set.Note = "Labelled evaluation set for aggregator/dedupe, generated by gen_test.go (go test -run TestEval -update). All outlets, hosts, people and articles are invented."
	// Syndicated stories and singletons.
	for range 70 {
		g.publish(g.newArticle(false, nil, "", g.when()), 1+g.r.IntN(5))
	}
	for range 30 {
		g.publish(g.newArticle(true, nil, "", g.when()), 1+g.r.IntN(3))
	}
	for range 30 {
		g.publish(g.newArticle(false, nil, "", g.when()), 0)
	}
	for range 15 {
		g.publish(g.newArticle(true, nil, "", g.when()), 0)
	}
	pair := func(kind string, a, b *article, copies int) {
		g.publish(a, copies)
		g.publish(b, copies)
		g.set.HardNegatives = append(g.set.HardNegatives, hardNegative{A: a.id, B: b.id, Kind: kind})
	}
	// Titles differing only in a number, a place or a country; different bodies.
	for i := range 6 {
		t := g.when()
		tpl := []string{"{Place} signs {x} {topic} agreements with {country} firms", "{X} {country} companies join {place} {topic} fair", "{Place} to build {x} {topic} {noun} for {country} trade"}[i%3]
		f := map[string]string{"place": g.pick(enPlaces), "country": g.pick(enCountries), "topic": g.pick(enTopics), "noun": g.pick(enNouns)}
		x := 20 + g.r.IntN(80)
		fa, fb := clone(f), clone(f)
		fa["x"], fb["x"] = fmt.Sprint(x*10), fmt.Sprint(x)
		pair("number", g.newArticle(false, fa, tpl, t), g.newArticle(false, fb, tpl, t.Add(time.Duration(g.r.IntN(600))*time.Minute)), 2)
	}
	for i := range 5 {
		t := g.when()
		f := map[string]string{"country": g.pick(enCountries), "topic": g.pick(enTopics)}
		fa, fb := clone(f), clone(f)
		fa["place"], fb["place"] = enPlaces[i], enPlaces[i+5]
		tpl := enTitles[i%len(enTitles)]
		pair("place", g.newArticle(false, fa, tpl, t), g.newArticle(false, fb, tpl, t.Add(time.Duration(g.r.IntN(900))*time.Minute)), 2)
	}
	for i := range 5 {
		t := g.when()
		f := map[string]string{"place": g.pick(enPlaces), "topic": g.pick(enTopics)}
		fa, fb := clone(f), clone(f)
		fa["country"], fb["country"] = enCountries[i], enCountries[i+5]
		tpl := enTitles[(i+3)%len(enTitles)]
		pair("country", g.newArticle(false, fa, tpl, t), g.newArticle(false, fb, tpl, t.Add(time.Duration(g.r.IntN(900))*time.Minute)), 1)
	}
	for i := range 3 {
		t := g.when()
		f := map[string]string{"place": g.pick(zhPlaces), "country": g.pick(zhCountries), "topic": g.pick(zhTopics)}
		fa, fb := clone(f), clone(f)
		x := 20 + g.r.IntN(80)
		fa["x"], fb["x"] = fmt.Sprint(x*10), fmt.Sprint(x)
		pair("number", g.newArticle(true, fa, "{place}与{country}企业签署{x}项{topic}合作协议", t), g.newArticle(true, fb, "{place}与{country}企业签署{x}项{topic}合作协议", t.Add(3*time.Hour)), 2)
		fa, fb = clone(f), clone(f)
		fa["place"], fb["place"] = zhPlaces[i], zhPlaces[i+6]
		pair("place", g.newArticle(true, fa, zhTitles[i], t.Add(time.Hour)), g.newArticle(true, fb, zhTitles[i], t.Add(5*time.Hour)), 1)
		fa, fb = clone(f), clone(f)
		fa["country"], fb["country"] = zhCountries[i], zhCountries[i+5]
		pair("country", g.newArticle(true, fa, zhTitles[i+2], t.Add(2*time.Hour)), g.newArticle(true, fb, zhTitles[i+2], t.Add(9*time.Hour)), 1)
	}
	// Columns with the same title every issue: weekly, and daily (inside the window).
	columns := func(kind, title string, zh bool, o *outlet, first time.Time, step time.Duration, n int) {
		var ids []*article
		for i := range n {
			a := g.newArticle(zh, nil, title, first.Add(time.Duration(i)*step))
			a.origin = o
			g.publish(a, g.r.IntN(2))
			if !zh {
				// A copy with no summary: only its title and time to go by.
				c := g.copyOf(a, &jade, 0, a.published.Add(time.Duration(30+g.r.IntN(300))*time.Minute), o.name)
				c.Summary, c.Variation = "", "no-summary,suffix-dash"
				c.Arrival = c.Published.Add(10 * time.Minute)
				g.set.Items = append(g.set.Items, c)
			}
			ids = append(ids, a)
		}
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				g.set.HardNegatives = append(g.set.HardNegatives, hardNegative{A: ids[i].id, B: ids[j].id, Kind: kind})
			}
		}
	}
	columns("column", "ASEAN Business Week in Review", false, &lotus, g.start.Add(9*time.Hour), 7*24*time.Hour, 4)
	columns("column", "Morning Brief: Gulf ports and markets", false, &redriver, g.start.Add(10*24*time.Hour+6*time.Hour), 24*time.Hour, 4)
	columns("column", "东盟经贸一周观察", true, &nanling, g.start.Add(2*24*time.Hour+8*time.Hour), 7*24*time.Hour, 4)
	// The same topic a week apart: same title template and slots, new body.
	for i := range 4 {
		t := g.when()
		f := map[string]string{"place": g.pick(enPlaces), "country": g.pick(enCountries), "topic": g.pick(enTopics)}
		tpl := enTitles[(i+1)%len(enTitles)]
		fb := clone(f)
		pair("week", g.newArticle(false, f, tpl, t), g.newArticle(false, fb, tpl, t.Add(7*24*time.Hour+time.Duration(g.r.IntN(300))*time.Minute)), 1)
	}
	slices.SortStableFunc(g.set.Items, func(a, b evalItem) int { return a.Arrival.Compare(b.Arrival) })
	return g.set
}

func clone(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
