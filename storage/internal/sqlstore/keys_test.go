package sqlstore

import "testing"

func TestPackKey(t *testing.T) {
	tests := []struct {
		text, key string
		fold      bool
		packed    bool // stored as a difference
	}{
		{"https://www.a.example/2026/12/story-1.html", "https://a.example/2026/12/story-1.html", false, true},
		{"https://a.example/x?utm_source=rss&id=7", "a.example/x?id=7", false, false}, // nothing in common at either end
		{"https://a.example/x?id=7&utm_source=rss", "https://a.example/x?id=7", false, true},
		{"https://a.example/x", "https://a.example/x", false, true},
		{"Guangxi Signs 560 Agreements - China Daily", "guangxi signs 560 agreements", true, true},
		{"«Ханой» принимает саммит | VnExpress", "«ханой» принимает саммит", true, false}, // folded in ASCII only
		{"«ханой» принимает саммит | VnExpress", "«ханой» принимает саммит", true, true},
		{"广西与东盟合作 - 新华网", "广西与东盟合作", true, true},
		{"short", "x", false, false},
		{"", "a key with no text", false, false},
		{"text", "", false, false},
		{"anything", "\x01not a difference", false, true},
		{"abc", "abcabc", false, false},
		{"aaaa", "aa", false, false},
	}
	for _, tt := range tests {
		got := PackKey(tt.text, tt.key, tt.fold)
		if back := UnpackKey(tt.text, got, tt.fold); back != tt.key {
			t.Errorf("UnpackKey(%q, PackKey(…, %q) = %q) = %q", tt.text, tt.key, got, back)
		}
		if isPacked := got != "" && got[0] == packed; isPacked != tt.packed {
			t.Errorf("PackKey(%q, %q) = %q, packed %v, want %v", tt.text, tt.key, got, isPacked, tt.packed)
		}
		if len(got) > len(tt.key) && tt.key != "" && tt.key[0] != packed {
			t.Errorf("PackKey(%q, %q) = %q, longer than the key", tt.text, tt.key, got)
		}
	}
	// A key stored before keys were packed reads as itself.
	if got := UnpackKey("https://x.example/", "x.example/", false); got != "x.example/" {
		t.Errorf("UnpackKey of a plain key = %q", got)
	}
}

func FuzzPackKey(f *testing.F) {
	f.Add("https://www.a.example/p", "https://a.example/p", false)
	f.Add("Title - Outlet", "title", true)
	f.Fuzz(func(t *testing.T, text, key string, fold bool) {
		if got := UnpackKey(text, PackKey(text, key, fold), fold); got != key {
			t.Errorf("UnpackKey(%q, PackKey(%q, %q, %v)) = %q", text, text, key, fold, got)
		}
	})
}
