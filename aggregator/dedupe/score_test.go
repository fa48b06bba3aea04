package dedupe

import (
	"testing"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

func TestConfirm(t *testing.T) {
	const (
		lead     = "<p>International passenger trains between Nanning and Hanoi made about 7,100 trips between February and September, carrying 15 percent more passengers than last year, the railway said on Monday.</p>"
		rest     = "<p>The service, restored in 2024 after a four-year break, now runs daily in each direction.</p><p>Border checks are carried out at Pingxiang and at Dong Dang on the Vietnamese side.</p>"
		rewrite  = "<p>Passenger trains between Nanning and Hanoi have run more often and more full this year, with traffic up by about 15 percent on last year.</p>"
		other    = "<p>Students at a Nanning university are training as interpreters for meetings and fairs held with ASEAN countries, the university said on Tuesday.</p>"
		column1  = "Here is how the Stock Exchange of Thailand ended the trading day. The SET index closed at 1,386.42 points on Monday, up 7.15 points."
		column2  = "Here is how the Stock Exchange of Thailand ended the trading day. The SET index fell 12.80 points to 1,373.62 on Tuesday."
		trainsEN = "Nanning-Hanoi passenger trains make 7,100 trips in eight months"
	)
	tests := []struct {
		name string
		a, c *storage.Item
		want bool
	}{
		{"same title, rewritten lead",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", trainsEN, lead+rest, t0),
			item("f2", "Harbour Wire", "b", "https://harbourwire.example/b", trainsEN+"-Harbour Wire", rewrite, t0.Add(5*time.Hour)), true},
		{"same title, unrelated text",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", trainsEN, lead+rest, t0),
			item("f2", "Harbour Wire", "b", "https://harbourwire.example/b", trainsEN, other, t0.Add(5*time.Hour)), false},
		{"figures of one story in both headlines",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", trainsEN, lead+rest, t0),
			item("f2", "Saigon Ledger", "b", "https://saigonledger.example/b", "Nanning-Hanoi passenger numbers up 15 percent", lead, t0.Add(5*time.Hour)), true},
		{"headline cut mid-number",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", trainsEN, lead+rest, t0),
			item("f2", "Bagui", "b", "https://bagui.example/b", "Nanning-Hanoi passenger trains make 7,1…", lead, t0.Add(5*time.Hour)), true},
		{"column issues share a first sentence",
			item("f1", "Chao Phraya Times", "a", "https://chaophraya.example/a", "Bangkok stocks: market close", column1, t0),
			item("f2", "Meridian", "b", "https://meridian.example/b", "Bangkok stocks: market close", column2, t0.Add(24*time.Hour)), false},
		{"one outlet's long title on two days",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", trainsEN, lead+rest, t0),
			item("f1", "Lotus Daily", "b", "https://lotusdaily.example/b", trainsEN, rewrite, t0.Add(24*time.Hour)), false},
		{"a background paragraph under another headline",
			item("f1", "Lotus Daily", "a", "https://lotusdaily.example/a", "Railway bridge over the border lifted into place", lead+rest, t0),
			item("f2", "Saigon Ledger", "b", "https://saigonledger.example/b", "Border villages train residents for shipping jobs", lead, t0.Add(5*time.Hour)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fa, fc features
			fa.extract(tt.a)
			fc.extract(tt.c)
			var d Decision
			confirm(&fa, &fc, &d)
			if got := d.Veto == "" && d.Score >= DefaultThreshold; got != tt.want {
				t.Errorf("confirm = %v (score %.2f title %.2f body %.2f veto %q), want %v", got, d.Score, d.Title, d.Body, d.Veto, tt.want)
			}
		})
	}
}
