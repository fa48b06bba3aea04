package feeds

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lengths of a derived title, in characters: about one headline.
const (
	titleMax     = 80 // text with spaces between words
	titleMaxWide = 40 // Chinese or Japanese text, whose characters are words
	titleMin     = 20 // a shorter first "sentence" is an abbreviation ("U.S.")
)

// deriveTitle returns a title for an entry that has none, made from its
// HTML text (summary or content): the first sentence when it is short
// enough, else the text cut at a word boundary near titleMax characters
// (at a character boundary near titleMaxWide for text without spaces,
// such as Chinese) with "…" appended. Without text it is the link's host
// and path, and without a link "Untitled". The result is never blank.
func deriveTitle(html, link string) string {
	if text := plainText(html); text != "" {
		return titleFromText(text)
	}
	if u, err := url.Parse(link); err == nil && u.Host != "" {
		t := u.Host + strings.TrimRight(u.Path, "/")
		if t = plainText(scrub(t)); t != "" {
			return titleFromText(t)
		}
	}
	return "Untitled"
}

// titleFromText returns the first sentence of text, or its start, as a
// title.
func titleFromText(text string) string {
	limit := titleMax
	if wideText(text) {
		limit = titleMaxWide
	}
	if end := sentenceEnd(text, limit); end > 0 {
		return strings.TrimSpace(strings.TrimSuffix(text[:end], "."))
	}
	if utf8.RuneCountInString(text) <= limit {
		return text
	}
	cut := byteOffset(text, limit)
	if limit == titleMax {
		if i := strings.LastIndexFunc(text[:cut+1], unicode.IsSpace); i > cut/2 {
			cut = i
		}
	}
	head := strings.TrimRightFunc(text[:cut], func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' && r != '"' && r != '”' && r != '」'
	})
	if head == "" {
		head = text[:byteOffset(text, limit)]
	}
	return head + "…"
}

// sentenceEnd returns the byte offset just past the end of the first
// sentence of text when it ends within limit characters and is at least
// titleMin long, else 0. A sentence ends at '.', '!' or '?' followed by
// white space, or at a full-width 。！？.
func sentenceEnd(text string, limit int) int {
	n := 0
	for i, r := range text {
		n++
		if n > limit {
			return 0
		}
		end := i + utf8.RuneLen(r)
		switch r {
		case '。', '！', '？':
			if n >= titleMin/2 {
				if r == '。' {
					return i // the full stop is dropped; TrimSuffix drops '.'
				}
				return end
			}
		case '.', '!', '?':
			if n >= titleMin && (end == len(text) || text[end] == ' ') {
				return end
			}
		}
	}
	return 0
}

// wideText reports whether text is written mostly in characters that are
// words of their own (Chinese, Japanese, Korean): most letters among its
// first titleMax characters are Han, kana or Hangul.
func wideText(text string) bool {
	n, letters, wide := 0, 0, 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
				wide++
			}
		}
		if n++; n >= titleMax {
			break
		}
	}
	return wide*2 > letters
}

// byteOffset returns the byte offset of the n-th character of s, or
// len(s).
func byteOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
