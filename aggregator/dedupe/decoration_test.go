package dedupe

import "testing"

// TestTitleOutletSuffix checks which trailing segments cleanTitle takes
// for an outlet's name: spaced or not, with or without figures.
func TestTitleOutletSuffix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Province approves forty vocational schools - Outlet 11", "Province approves forty vocational schools"},
		{"Flooding closes the coastal road - Channel 4", "Flooding closes the coastal road"},
		{"Flooding closes the coastal road | VTV1", "Flooding closes the coastal road"},
		{"Flooding closes the coastal road - 2 dead", "Flooding closes the coastal road - 2 dead"},
		{"Exports to ASEAN rise - up 5%", "Exports to ASEAN rise - up 5%"},
		{"Exports to ASEAN rise in the quarter - Q3 2026", "Exports to ASEAN rise in the quarter - Q3 2026"},
		{"Nanning opens a new rail freight link-Harbour Wire", "Nanning opens a new rail freight link"},
		{"Talks on the ASEAN-China trade area resume", "Talks on the ASEAN-China trade area resume"},
	} {
		if got := cleanTitle(tc.in); got != tc.want {
			t.Errorf("cleanTitle(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
