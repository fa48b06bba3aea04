package dedupe

import (
	"strings"
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// confirmPair extracts the features of a and c and confirms c against a.
func confirmPair(a, c *storage.Item) Decision {
	var fa, fc features
	fa.extract(a)
	fc.extract(c)
	d := Decision{Match: c}
	confirm(&fa, &fc, &d)
	return d
}

func TestFigures(t *testing.T) {
	tests := []struct {
		name            string
		a, c            string
		agree, conflict int
	}{
		{"one quantity, other numbers", "The fair closed with 560 agreements signed.", "The fair closed with 56 agreements signed.", 0, 1},
		{"the same figure", "Exports rose 15 percent in October.", "Exports rose 15% in October, officials said.", 1, 0},
		{"plural and singular units", "It carried 46 containers of fruit.", "It carried 64 container loads.", 0, 1},
		{"another quantity is no conflict", "The plant will hire 300 more rangers.", "Fewer than 150 tigers are left.", 0, 0},
		{"the other figure reported elsewhere", "Coal shipments rose to 9.8 million tonnes from 7.1 million.", "Shipments reached 9.8 million tonnes.", 1, 0},
		{"a number cut short never conflicts", "Shipments reached 2,000 tonnes in the year.", "Shipments reached 2,0…", 0, 0},
		{"Chinese units", "论坛签约46个合作项目，总额12亿元。", "论坛签约64个合作项目，总额12亿元。", 1, 1},
		{"Chinese percent", "客流同比增长15%。", "客流同比增长15％，运行平稳。", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fa, fc features
			fa.extract(item("f1", "A", "a", "https://a.example/1", "Title", tt.a, t0))
			fc.extract(item("f2", "C", "c", "https://c.example/1", "Title", tt.c, t0))
			agree, conflict := figures(&fa, &fc)
			if agree != tt.agree || conflict != tt.conflict {
				t.Errorf("figures = %d agree, %d conflict; want %d, %d", agree, conflict, tt.agree, tt.conflict)
			}
		})
	}
}

func TestStem(t *testing.T) {
	same := [][2]string{{"trains", "train"}, {"cities", "city"}, {"exported", "export"}, {"closed", "close"}, {"carried", "carry"}, {"exports", "exported"}}
	for _, p := range same {
		if a, b := string(stem([]byte(p[0]))), string(stem([]byte(p[1]))); a != b {
			t.Errorf("stem(%q) = %q, stem(%q) = %q, want the same", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{{"training", "trains"}, {"bus", "bu"}, {"crisis", "crisi"}, {"press", "pres"}}
	for _, p := range differ {
		if a, b := string(stem([]byte(p[0]))), string(stem([]byte(p[1]))); a == b {
			t.Errorf("stem(%q) = stem(%q) = %q, want them apart", p[0], p[1], a)
		}
	}
}

// TestConfirmEvidence covers the rules by which an editor recognises a
// copy beyond its headline: a lead found whole, a rewritten lead with the
// rest kept, headline figures as evidence, and columns.
func TestConfirmEvidence(t *testing.T) {
	const (
		evLead = "<p>Car makers in Liuzhou have exported about 41,000 small electric vehicles to Southeast Asia this year, three times as many as last year, the city's industry bureau said on Tuesday.</p>"
		evRest = "<p>Thailand and Indonesia are the biggest buyers, where the cars are sold for about 8,000 US dollars, and assembly kits are also shipped to a plant near Jakarta.</p>" +
			"<p>Liuzhou, home to several large vehicle makers, produced about 2.2 million vehicles last year, about a third of them electric.</p>"
		evRewrite  = "<p>Small electric cars built in a southern Chinese city are finding more buyers across the region.</p>"
		background = "<p>The Pinglu Canal, a 135-kilometer waterway linking Nanning with the Beibu Gulf, is due to open to shipping at the end of 2026 and will shorten the route from inland Guangxi to the sea by about 560 km.</p>"
		bridge     = "<p>Builders lifted the main span of a railway bridge over the canal into place on Friday, so that trains can cross above passing ships.</p><p>The 220-meter steel span was lifted in one piece by floating cranes.</p>"
		zhLead     = "<p>据百色市农业农村局介绍，今年百色晚熟芒果地头收购价每公斤约12元，接近去年的两倍，北方客商纷纷前来订购。</p>"
		zhRest     = "<p>近年来，田阳、田东等地果农嫁接了更多晚熟品种，10月份上市，正好避开海南和东南亚芒果集中上市期，销路越来越好。</p><p>种植户黄世强说，北京、沈阳的客商专门来果园预订，“大家都想在季节过后吃到芒果”。</p>"
		zhRewrite  = "<p>主产季过后，来自北方的采购商纷纷赶到百色抢购晚熟芒果。</p>"
		market1    = "<p>Here is how markets across Southeast Asia ended the trading day. Singapore shares rose on bank results while the ringgit slipped against the dollar.</p>"
		market2    = "<p>Here is how markets across Southeast Asia ended the trading day. Jakarta stocks fell as coal miners cut their output forecasts for next year.</p>"
	)
	const evTitle = "Liuzhou's mini EVs win buyers in Thailand and Indonesia"
	tests := []struct {
		name string
		a, c *storage.Item
		want bool
	}{
		{"a lead found whole under a rewritten headline",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Liuzhou exports three times as many small electric vehicles", evLead+evRest, t0),
			item("f2", "Red River Post", "b", "https://redriverpost.example/b", "Southeast Asia buys more electric cars from Liuzhou", evLead, t0.Add(3*time.Hour)), true},
		{"the same lead three days later",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Liuzhou exports three times as many small electric vehicles", evLead+evRest, t0),
			item("f2", "Red River Post", "b", "https://redriverpost.example/b", "Southeast Asia buys more electric cars from Liuzhou", evLead, t0.Add(72*time.Hour)), false},
		{"background a story opens with, under headlines it does not report",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Railway bridge over Pinglu Canal lifted into place", background+bridge, t0),
			item("f2", "Saigon Ledger", "b", "https://saigonledger.example/b", "Pinglu Canal villages train residents for port jobs", background, t0.Add(5*time.Hour)), false},
		{"the same lead republished a day and a half later",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Liuzhou exports three times as many small electric vehicles", evLead+evRest, t0),
			item("f2", "Beibu Gulf Herald", "b", "https://beibuherald.example/b", "Southeast Asia buys more electric cars from Liuzhou", evLead, t0.Add(40*time.Hour)), true},
		{"a rewritten lead, the rest kept",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", evTitle, evLead+evRest, t0),
			item("f2", "Harbour Wire", "b", "https://harbourwire.example/b", "Liuzhou's small EVs find buyers in Thailand and Indonesia", evRewrite+evRest, t0.Add(2*time.Hour)), true},
		{"a Chinese lead found whole under another headline",
			item("f1", "南岭日报", "a", "https://nanlingdaily.example/a", "百色晚熟芒果地头价接近翻番", zhLead+zhRest, t0),
			item("f2", "东盟商讯", "b", "https://dongmeng.example/b", "晚熟芒果每公斤12元 百色果农增收", zhLead, t0.Add(4*time.Hour)), true},
		{"a Chinese rewritten lead, the rest kept",
			item("f1", "南岭日报", "a", "https://nanlingdaily.example/a", "百色晚熟芒果俏销北方 地头价接近翻番", zhLead+zhRest, t0),
			item("f2", "海湾通讯社", "b", "https://cn.harbourwire.example/b", "错峰上市卖好价 百色晚熟芒果俏销北方", zhRewrite+zhRest, t0.Add(2*time.Hour)), true},
		{"a headline figure the other summary does not report",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Liuzhou exports 41,000 small EVs to Southeast Asia", evLead+evRest, t0),
			item("f2", "Saigon Ledger", "b", "https://saigonledger.example/b", "Liuzhou EV exports to ASEAN up 3 times, 8,000 dollars a car", evLead, t0.Add(2*time.Hour)), true},
		{"headline figures neither text reports",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Liuzhou exports 52,000 small EVs to Southeast Asia", evLead+evRest, t0),
			item("f2", "Saigon Ledger", "b", "https://saigonledger.example/b", "Liuzhou exports 61,000 small EVs to Southeast Asia", evLead, t0.Add(2*time.Hour)), false},
		{"one headline over a rewritten lead, republished a day and a half later",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", evTitle, evLead+evRest, t0),
			item("f2", "Beibu Gulf Herald", "b", "https://beibuherald.example/b", evTitle, evRewrite+"<p>Thailand and Indonesia are the biggest buyers of the cars.</p>", t0.Add(40*time.Hour)), true},
		{"a column's issues open alike and then part, across outlets",
			item("f1", "Meridian", "a", "https://meridian.example/a", "Southeast Asian markets at the close of trading", market1, t0),
			item("f2", "Peninsula Courier", "b", "https://peninsula.example/b", "Southeast Asian markets at the close of trading", market2, t0.Add(24*time.Hour)), false},
		{"an updated figure in an otherwise matching text",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", evTitle, evLead+evRest, t0),
			item("f2", "Meridian", "b", "https://meridian.example/b", evTitle, replaceOnce(evLead+evRest, "41,000", "43,000"), t0.Add(6*time.Hour)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := confirmPair(tt.a, tt.c)
			if got := d.Veto == "" && d.Score >= DefaultThreshold; got != tt.want {
				t.Errorf("confirm = %v (%s), want %v", got, d.String(), tt.want)
			}
		})
	}
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// TestDecisionStringSignals checks that a decision, as explain prints
// it, names every signal that moved its score.
func TestDecisionStringSignals(t *testing.T) {
	m := item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "T", "", t0)
	d := Decision{Reason: ReasonReject, StoryID: 3, Match: m, Score: 0.4, Title: 1, Body: 0.5, Distance: 12,
		Agree: 2, Conflict: 1, Aligned: true, Support: 0.75, Background: true, Rewritten: true, Column: true,
		Attributed: true, Linked: true, Veto: "numbers"}
	got := d.String()
	for _, want := range []string{"score=0.40", "title=1.00", "body=0.50", "dist=12", "figures=2/1", "headline-in-text=0.75",
		"aligned", "background", "rewritten-lead", "column", "attributed", "linked", "veto=numbers"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

// TestSupport checks how much of a headline its text holds, for
// English words and for Chinese characters read as pairs.
func TestSupport(t *testing.T) {
	tests := []struct {
		name, title, text string
		min, max          float64
	}{
		{"English words, plurals folded", "Liuzhou exports small electric cars", "<p>Car makers in Liuzhou exported small electric vehicles.</p>", 0.75, 1},
		{"English, another subject", "Railway bridge over Pinglu Canal lifted into place", "<p>The Pinglu Canal is due to open to shipping at the end of 2026.</p>", 0, 0.4},
		// The pairs that straddle words (峰上, 市卖, 价百, …) are in no text.
		{"Chinese words found, straddling pairs not", "错峰上市卖好价 百色晚熟芒果", "<p>今年百色晚熟芒果错峰上市，果农卖出好价钱。</p>", 0.9, 1},
		{"Chinese, another subject", "南宁地铁新线开通运营", "<p>今年百色晚熟芒果错峰上市，果农卖出好价钱。</p>", 0, 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f features
			f.extract(item("f1", "A", "a", "https://a.example/1", tt.title, tt.text, t0))
			if got := support(&f, f.vocab); got < tt.min || got > tt.max {
				t.Errorf("support = %.2f, want %.2f to %.2f", got, tt.min, tt.max)
			}
		})
	}
}
