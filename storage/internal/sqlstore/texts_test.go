package sqlstore

import (
	"encoding/binary"
	"strings"
	"testing"
)

var textsCases = []struct{ name, summary, content string }{
	{"empty", "", ""},
	{"summary only", "One line.", ""},
	{"content only", "", "<p>One paragraph.</p>"},
	{"short both", "Port opens", "<p>Port opens</p>"},
	{"summary a prefix of the content",
		"The new rail link between Nanning and Hanoi carries its first freight…",
		"<p>The new rail link between Nanning and Hanoi carries its first freight this week, " +
			strings.Repeat("officials of both provinces said at a ceremony. ", 30) + "</p>"},
	{"chinese", "广西与东盟合作", "<p>" + strings.Repeat("中国—东盟博览会在南宁开幕，双方签署多项合作协议。", 20) + "</p>"},
	{"invalid utf-8 and nul", "a\x00b\xff", strings.Repeat("\xfe\x00x", 100)},
	{"incompressible", "", noiseText(4000)},
}

// noiseText returns n bytes that deflate cannot shorten much.
func noiseText(n int) string {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return string(b)
}

func TestTextsRoundTrip(t *testing.T) {
	for _, tt := range textsCases {
		t.Run(tt.name, func(t *testing.T) {
			b := PackTexts(tt.summary, tt.content)
			if tt.summary == "" && tt.content == "" && b != nil {
				t.Errorf("PackTexts of nothing = %x, want nil (NULL)", b)
			}
			if raw := len(tt.summary) + len(tt.content); len(b) > raw+1+10 {
				t.Errorf("packed %d bytes of texts into %d", raw, len(b))
			}
			s, c, err := UnpackTexts(b)
			if err != nil || s != tt.summary || c != tt.content {
				t.Errorf("UnpackTexts(PackTexts(%.20q, %.20q)) = %.20q, %.20q, %v", tt.summary, tt.content, s, c, err)
			}
		})
	}
}

// TestTextsCompress checks that text of the usual kind is stored
// compressed, and that a summary repeating the start of the content costs
// little on top of the content alone.
func TestTextsCompress(t *testing.T) {
	c := textsCases[4]
	alone := len(PackTexts("", c.content))
	both := len(PackTexts(c.summary, c.content))
	if raw := len(c.summary) + len(c.content); both > raw/2 {
		t.Errorf("%d bytes of news text packed into %d, want at most half", raw, both)
	}
	if both-alone > len(c.summary)/2 {
		t.Errorf("the summary, a prefix of the content, added %d bytes (of its %d)", both-alone, len(c.summary))
	}
}

// TestUnpackTextsDamaged checks that a damaged value is an error, never a
// panic or a huge allocation.
func TestUnpackTextsDamaged(t *testing.T) {
	good := PackTexts(textsCases[4].summary, textsCases[4].content)
	if good[0] != textsDeflate {
		t.Fatalf("news text stored with encoding %#x, want deflate", good[0])
	}
	n, k := binary.Uvarint(good[1:])
	for name, b := range map[string][]byte{
		"deflate length long":    append(append([]byte{textsDeflate}, binary.AppendUvarint(nil, n+10)...), good[1+k:]...),
		"unknown encoding":       {0x7f, 1, 'a'},
		"raw without length":     {textsRaw},
		"raw length too long":    {textsRaw, 9, 'a', 'b'},
		"deflate without length": {textsDeflate},
		"deflate huge length":    {textsDeflate, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00},
		"deflate truncated":      good[:len(good)/2],
		"deflate length short":   append([]byte{textsDeflate, 4}, good[2:]...),
		"deflate garbage":        {textsDeflate, 20, 0xff, 0xff, 0xff, 0xff},
	} {
		if s, c, err := UnpackTexts(b); err == nil {
			t.Errorf("%s: UnpackTexts(%x) = %.20q, %.20q, nil; want an error", name, b, s, c)
		}
	}
}

func FuzzTexts(f *testing.F) {
	for _, tt := range textsCases {
		f.Add(tt.summary, tt.content, PackTexts(tt.summary, tt.content))
	}
	f.Fuzz(func(t *testing.T, summary, content string, stored []byte) {
		s, c, err := UnpackTexts(PackTexts(summary, content))
		if err != nil || s != summary || c != content {
			t.Errorf("round trip of %q, %q = %q, %q, %v", summary, content, s, c, err)
		}
		UnpackTexts(stored) // must not panic
	})
}

// BenchmarkTexts measures packing and unpacking an item's texts of the
// usual size: a summary of 140 characters that starts its content, and
// a content of five paragraphs.
func BenchmarkTexts(b *testing.B) {
	c := textsCases[4]
	summary, content := c.summary, c.content[:min(len(c.content), 1100)]
	b.Run("pack", func(b *testing.B) {
		b.SetBytes(int64(len(summary) + len(content)))
		for b.Loop() {
			PackTexts(summary, content)
		}
	})
	packed := PackTexts(summary, content)
	b.Run("unpack", func(b *testing.B) {
		b.SetBytes(int64(len(summary) + len(content)))
		for b.Loop() {
			UnpackTexts(packed)
		}
	})
}
