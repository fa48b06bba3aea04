package dedupe

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestCleanTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Guangxi signs deals with ASEAN partners", "Guangxi signs deals with ASEAN partners"},
		{"Guangxi: Nanning signs deals with ASEAN partners", "Nanning signs deals with ASEAN partners"},
		{"Nanning signs deals with ASEAN partners - Chinadaily.com.cn", "Nanning signs deals with ASEAN partners"},
		{"Nanning signs deals with ASEAN partners | Xinhua", "Nanning signs deals with ASEAN partners"},
		{"Nanning signs deals with ASEAN partners — Jade Coast Times", "Nanning signs deals with ASEAN partners"},
		{"Nanning signs deals - Business - Lotus Daily", "Nanning signs deals"},
		{"[Video] Nanning signs deals with ASEAN partners", "Nanning signs deals with ASEAN partners"},
		{"China-ASEAN expo opens in Nanning", "China-ASEAN expo opens in Nanning"},
		{"Week 3: prices rise in Beihai again", "Week 3: prices rise in Beihai again"},
		{"Nanning&#8217;s port grows", "Nanning’s port grows"},
		{"桂林智慧港口中心揭牌——海湾通讯社", "桂林智慧港口中心揭牌"},
		{"桂林智慧港口中心揭牌_绿城新闻网", "桂林智慧港口中心揭牌"},
		{"【广西】桂林智慧港口中心揭牌服务东盟", "桂林智慧港口中心揭牌服务东盟"},
		{"广西：桂林智慧港口中心揭牌服务东盟", "桂林智慧港口中心揭牌服务东盟"},
		{"签署５６０项协议", "签署560项协议"},
		{"UPDATE 2-Malaysia expected to extend EV tax breaks", "Malaysia expected to extend EV tax breaks"},
		{"EXCLUSIVE-Guangxi opens trade office in Indonesia", "Guangxi opens trade office in Indonesia"},
		{"Breaking: Guangxi opens trade office in Indonesia", "Guangxi opens trade office in Indonesia"},
		{"Update-minded Guangxi opens trade office", "Update-minded Guangxi opens trade office"},
		{"Job fair for ASEAN graduates held in Guilin-Harbour Wire", "Job fair for ASEAN graduates held in Guilin"},
		{"Chinese tourists pay with phones across Thailand|Chao Phraya Times", "Chinese tourists pay with phones across Thailand"},
		{"广西与东盟签下46项技术转移协议-东盟商讯", "广西与东盟签下46项技术转移协议"},
		{"New Kuala Lumpur-Singapore rail link opens", "New Kuala Lumpur-Singapore rail link opens"},
		{"Trade talks open in Nanning with ASEAN-China", "Trade talks open in Nanning with ASEAN-China"},
		{"跨境游升温 南宁—河内国际列车客流同比增长15%", "跨境游升温 南宁—河内国际列车客流同比增长15%"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := cleanTitle(tt.in); got != tt.want {
				t.Errorf("cleanTitle(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTitleKey(t *testing.T) {
	// Every variant of a title has the same key.
	groups := [][]string{
		{
			"Nanning's port signs 560 deals with ASEAN partners",
			"Guangxi: Nanning’s Port Signs 560 Deals With ASEAN Partners",
			"NANNING'S PORT SIGNS 560 DEALS WITH ASEAN PARTNERS | Harbour Wire",
			"Nanning’s port signs 560 deals, with “ASEAN” partners. - Lotusdaily.example",
		},
		{
			"广西与东盟签署560项合作协议",
			"广西：广西与东盟签署５６０项合作协议",
			"广西与东盟签署560项合作协议——海湾通讯社",
			"【广西】广西与东盟签署560项合作协议",
		},
	}
	for _, g := range groups {
		want := titleKey([]byte(cleanTitle(g[0])))
		for _, s := range g[1:] {
			if got := titleKey([]byte(cleanTitle(s))); got != want {
				t.Errorf("key of %q = %q, want %q", s, got, want)
			}
		}
	}
	if got, want := titleKey([]byte("广西与东盟，签署560项协议")), "广西与东盟 签署 560 项协议"; got != want {
		t.Errorf("titleKey = %q, want %q", got, want)
	}
}

// TestTitleKeyCutHeadline checks that a headline a feed cut to its
// length has the key of the full headline, and that headlines which
// part within their opening words keep different keys.
func TestTitleKeyCutHeadline(t *testing.T) {
	same := [][2]string{
		{"Nanning university students train as interpreters for ASEAN events", "Nanning university students train as interpreters for ASEA..."},
		{"First cold front of autumn brings temperature drop of 10 degrees to Guangxi", "First cold front of autumn brings temperature drop of 10 d…"},
		{"南宁至河内国际旅客列车8个月开行7100列次", "南宁至河内国际旅客列车8个月开…"},
	}
	for _, p := range same {
		if a, b := titleKey([]byte(cleanTitle(p[0]))), titleKey([]byte(cleanTitle(p[1]))); a != b {
			t.Errorf("keys of %q and %q: %q and %q, want the same", p[0], p[1], a, b)
		}
	}
	differ := [][2]string{
		{"Nanning fair signs 560 agreements worth 48 billion yuan", "Nanning fair signs 56 agreements worth 4.8 billion yuan"},
		{"Guangxi reports 18 new dengue cases in a week", "Guangdong reports 81 new dengue cases in a week"},
		{"广西与东盟签署560项合作协议", "广西与东盟签署56项合作协议"},
		{"Nanning university students train as", "Nanning university students train as interpreters for ASEAN events"},
	}
	for _, p := range differ {
		if a, b := titleKey([]byte(cleanTitle(p[0]))), titleKey([]byte(cleanTitle(p[1]))); a == b {
			t.Errorf("keys of %q and %q are both %q, want them apart", p[0], p[1], a)
		}
	}
}

func tokenStrings(s string) []string {
	var out []string
	t := newTokenizer([]byte(s))
	for {
		tok, _, ok := t.next()
		if !ok {
			return out
		}
		out = append(out, string(tok))
	}
}

func TestTokenizer(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Guangxi signs 560 deals", []string{"guangxi", "signs", "560", "deals"}},
		{"China’s port, 1,200 jobs; 3.5% growth", []string{"china", "s", "port", "1200", "jobs", "3.5", "growth"}},
		{"Café Ünïcode", []string{"cafe", "unicode"}},
		{"Việt Nam's Hà Nội, Đà Nẵng", []string{"vietnam", "s", "hanoi", "da", "nang"}},
		{"Viet Nam and VIỆT NAM, Ha Noi", []string{"vietnam", "and", "vietnam", "hanoi"}},
		{"Ha Long Bay, Viet Namese", []string{"ha", "long", "bay", "viet", "namese"}},
		{"广西与东盟", []string{"广西", "西与", "与东", "东盟"}},
		{"广西2026年GDP增长", []string{"广西", "2026", "年", "gdp", "增长"}},
		{"东，盟", []string{"东", "盟"}},
		{"南宁 (Nanning) 港口", []string{"南宁", "nanning", "港口"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := tokenStrings(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanBody(t *testing.T) {
	tests := []struct {
		name, in, want, source string
		cut                    bool
	}{
		{"plain", "Officials said trade grew.", "Officials said trade grew.", "", false},
		{"html", "<div><p>Officials <b>said</b> trade &amp; jobs grew.</p><script>alert(1)</script><p>More.</p></div>",
			"Officials said trade & jobs grew.\n\nMore.", "", false},
		{"dateline", "NANNING, Nov. 26 (Xinhua) -- Officials said trade grew.", "Officials said trade grew.", "", false},
		{"dateline region", "KUALA LUMPUR, Nov 26 (Peninsula Courier) -- Officials said.", "Officials said.", "", false},
		{"dateline no date", "NANNING (Harbour Wire) - Officials said.", "Officials said.", "", false},
		{"not a dateline", "ASEAN officials said trade grew.", "ASEAN officials said trade grew.", "", false},
		{"source line", "<p>Officials said trade grew.</p><p><em>Source: China Daily</em></p>", "Officials said trade grew.", "China Daily", false},
		{"source inline", "Officials said trade grew. Source: Lotus Daily", "Officials said trade grew.", "Lotus Daily", false},
		{"source and editor", "Officials said.\n\nSource: China Daily\nEditor: Li Ming", "Officials said.", "China Daily", false},
		{"cut", "Officials said trade gr…", "Officials said trade gr", "", true},
		{"cut dots", "Officials said trade grew ...", "Officials said trade grew", "", true},
		{"zh dateline", "海湾通讯社南宁11月26日电（记者 黄丽）今年以来贸易增长。", "今年以来贸易增长。", "", false},
		{"zh dateline short", "南岭日报讯（记者 李明）今年以来贸易增长。", "今年以来贸易增长。", "", false},
		{"zh source", "<p>今年以来贸易增长。</p><p>来源：南岭日报</p><p>责任编辑：韦丽</p>", "今年以来贸易增长。", "南岭日报", false},
		{"zh not dateline", "电动汽车出口增长。", "电动汽车出口增长。", "", false},
		{"fullwidth", "出口增长１２％", "出口增长12%", "", false},
		{"dateline dash", "HÀ NỘI — Officials said trade grew.", "Officials said trade grew.", "", false},
		{"dateline colon", "KUALA LUMPUR: Officials said trade grew.", "Officials said trade grew.", "", false},
		{"dateline outlet", "Kuala Lumpur (Nusantara Tribune) - Officials said.", "Officials said.", "", false},
		{"dateline reuters", "BANGKOK, Sept 26 (Reuters) - Officials said.", "Officials said.", "", false},
		{"not a dateline: compound", "ASEAN-China trade grew.", "ASEAN-China trade grew.", "", false},
		{"not a dateline: title case", "Kuala Lumpur - Singapore trains run.", "Kuala Lumpur - Singapore trains run.", "", false},
		{"caption", "<p>A worker checks a container at Qinzhou port, on Nov 26, 2026.</p><p>QINZHOU, Nov. 26 (Harbour Wire) -- Officials said.</p>",
			"Officials said.", "", false},
		{"caption credit", "<p>Drones spray a field in Laibin, Oct 19, 2026. (NUSANTARA/Andi Pratama)</p><p>Officials said.</p>", "Officials said.", "", false},
		{"photo credit", "<p><img src=\"a.jpg\"></p><p>(Photo: Lotus Daily)</p><p>Officials said.</p>", "Officials said.", "", false},
		{"lead alone", "<p>A worker checks a container at Qinzhou port, on Nov 26, 2026.</p>", "A worker checks a container at Qinzhou port, on Nov 26, 2026.", "", false},
		{"zh caption", "<p>10月19日，旅客在南宁站登上列车。记者 陆晓彤 摄</p><p>今年以来贸易增长。</p>", "今年以来贸易增长。", "", false},
		{"zh caption dated", "<p>10月22日晚，风电机组迎风转动。</p><p>本报钦州10月22日讯（记者 覃思远）今年以来贸易增长。</p>", "今年以来贸易增长。", "", false},
		{"zh photo credit", "<p>（图片来源：南岭日报）</p><p>今年以来贸易增长。</p>", "今年以来贸易增长。", "", false},
		{"zh dated lead", "<p>11月7日，东兴口岸出入境人员达3.1万人次。</p><p>这是历史新高。</p>", "11月7日,东兴口岸出入境人员达3.1万人次。\n\n这是历史新高。", "", false},
		{"dash credit", "Airports grounded planes on Saturday. — Beibu Gulf Herald", "Airports grounded planes on Saturday.", "Beibu Gulf Herald", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf, nbuf []byte
			got := cleanBody(tt.in, &buf, &nbuf, nil)
			if string(got.body) != tt.want || string(got.source) != tt.source || got.cut != tt.cut {
				t.Errorf("cleanBody(%q) = %q source %q cut %v, want %q source %q cut %v",
					tt.in, got.body, got.source, got.cut, tt.want, tt.source, tt.cut)
			}
		})
	}
}

func TestHTMLTextLinks(t *testing.T) {
	var links []string
	got := htmlText(nil, `<p>See <a class="x" href="https://lotusdaily.example/a?utm_source=x&amp;id=1">the original</a> and <A HREF='/b'>b</A>. 3 < 4</p>`, &links)
	if want := "\nSee the original and b. 3 < 4\n"; string(got) != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if want := []string{"https://lotusdaily.example/a?utm_source=x&id=1", "/b"}; !slices.Equal(links, want) {
		t.Errorf("links = %q, want %q", links, want)
	}
}

func TestSortShingles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tmp []uint32
	for _, n := range []int{0, 1, 5, 63, 64, 65, 400, 1000} {
		s := make([]uint32, n)
		for i := range s {
			s[i] = r.Uint32()
			if i%7 == 3 {
				s[i] = s[i/2] // duplicates
			}
			if i%11 == 5 {
				s[i] = r.Uint32() & 0xff00ff // equal bytes in some positions
			}
		}
		want := slices.Compact(slices.Sorted(slices.Values(s)))
		got := sortShingles(slices.Clone(s), &tmp)
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: got %v, want %v", n, got, want)
		}
	}
}

// TestEndsWithYear checks that endsWithYear holds for every line
// captionDateRe matches, on lines assembled from the parts of captions
// (some of them one step past what the expression takes), so that it
// may stand before the expression.
func TestEndsWithYear(t *testing.T) {
	// pick returns the first of s three times in four, the others else.
	pick := func(r *rand.Rand, s ...string) string {
		if r.IntN(4) > 0 {
			return s[0]
		}
		return s[r.IntN(len(s))]
	}
	r := rand.New(rand.NewPCG(3, 4))
	matched := 0
	for range 100_000 {
		var b strings.Builder
		b.WriteString(pick(r, "A worker checks a crate", "Visitors at the expo in Nanning", "", "新华社"))
		b.WriteString(pick(r, ",", " on", ";", "", ", on"))
		b.WriteString(pick(r, " ", "", "  "))
		b.WriteString(pick(r, "Nov", "Nov.", "September", "Septembers", "Ma", "nov"))
		b.WriteString(pick(r, " ", ""))
		b.WriteString(pick(r, "26", "3", "123", ""))
		b.WriteString(pick(r, ", ", ",", " "))
		b.WriteString(pick(r, "2026", "1998", "2101", "1899", "20", "20266"))
		b.WriteString(pick(r, ".", "", ".."))
		b.WriteString(pick(r, " ", "", "\t", "   "))
		if r.IntN(2) == 0 {
			n := 35 + r.IntN(10) // about the 40 the expression allows
			b.WriteString(pick(r, "(", "", "(("))
			b.WriteString(strings.Repeat(pick(r, "x", "长", "é"), n))
			b.WriteString(pick(r, ")", "", "))", ") "))
		}
		line := []byte(b.String())
		if captionDateRe.Match(line) {
			matched++
			if !endsWithYear(line) {
				t.Fatalf("captionDateRe matches %q, endsWithYear does not", line)
			}
		}
	}
	for _, line := range []string{
		"Drones spray a field in Laibin, Oct 19, 2026. (NUSANTARA/Andi Pratama)",
		"A worker checks a container at Qinzhou port, on Nov 26, 2026.",
		"Visitors at the expo in Nanning, Sept. 18, 2025 (记者 黄丽 摄)",
	} {
		if !captionDateRe.MatchString(line) || !endsWithYear([]byte(line)) {
			t.Errorf("%q: captionDateRe %v, endsWithYear %v; want both", line, captionDateRe.MatchString(line), endsWithYear([]byte(line)))
		}
	}
	if matched < 100 {
		t.Errorf("only %d of the generated lines were captions: the test proves little", matched)
	}
	for _, line := range []string{"Officials said trade grew.", "It opened in 2026 and", "Prices rose (by 5%)"} {
		if endsWithYear([]byte(line)) {
			t.Errorf("endsWithYear(%q) = true", line)
		}
	}
}
