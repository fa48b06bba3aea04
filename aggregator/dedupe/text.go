package dedupe

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Patterns compiled once; they run on NFKC text, so full-width colons and
// parentheses are already ASCII.
var (
	// zhDatelineRe matches a Chinese dateline at the start of a text:
	// "新华社南宁11月26日电(记者 王强)", "南岭日报讯(记者 李明)".
	zhDatelineRe = regexp.MustCompile(`^(?:\p{Han}*\d+月\d+日|\p{Han}+[报社网台])[电讯](?:\s*\([^)]*\))?\s*`)

	// captionDateRe matches the end of a photo caption: the day the
	// picture was taken, and perhaps the photographer, "… in Nanning,
	// Oct 19, 2026." or "…, Nov. 3, 2026. (LOTUS/Li Ming)".
	captionDateRe = regexp.MustCompile(`(?:,| on) [A-Z][a-z]{2,8}\.? \d{1,2}, (?:19|20)\d\d\.?(?:\s*\([^()]{1,40}\))?$`)
	// photoCreditRe matches a line that credits a picture: "(Photo:
	// Xinhua)", "Photo by Li Ming", "(图片来源：南岭日报)", "记者 黄丽 摄".
	photoCreditRe = regexp.MustCompile(`(?i)^\(?\s*(?:(?:file )?photos?|images?|pictures?|photograph|图片来源|图片|图|摄影|视频截图)\s*(?::|by\b|/)`)
	// zhCaptionRe matches a Chinese caption: a short sentence that starts
	// with the day the picture was taken, "10月19日，游客在……。", or ends
	// with the photographer, "…… 记者 黄丽 摄".
	zhCaptionDateRe   = regexp.MustCompile(`^\d{1,2}月\d{1,2}日[早晚上下中午凌晨夜间]*,`)
	zhCaptionCreditRe = regexp.MustCompile(`(?:记者)?\s*\p{Han}{2,4}\s*摄\)?$`)
)

// maxScan bounds how much of a text is tokenised for shingles.
const maxScan = 400

// isCJK reports whether r belongs to a script written without spaces
// between words, which is tokenised as character bigrams.
func isCJK(r rune) bool {
	if r < 0x2e80 {
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// isBlockTag reports whether the HTML element name (lower case) breaks a
// line of text.
func isBlockTag(name string) bool {
	switch name {
	case "p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
		"tr", "td", "th", "table", "blockquote", "section", "article", "header",
		"footer", "figure", "figcaption", "hr", "pre", "dd", "dt":
		return true
	}
	return false
}

// htmlText appends the text of the HTML fragment s to dst: tags are
// dropped, block-level elements become line breaks, script and style
// content is skipped and character references are decoded. The href of
// every link is appended to links, if links is not nil.
func htmlText(dst []byte, s string, links *[]string) []byte {
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			return appendUnescaped(dst, s)
		}
		dst = appendUnescaped(dst, s[:lt])
		s = s[lt:]
		if len(s) < 2 || !(isASCIILetter(s[1]) || s[1] == '/' || s[1] == '!' || s[1] == '?') {
			dst = append(dst, '<')
			s = s[1:]
			continue
		}
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s[4:], "-->")
			if end < 0 {
				return dst
			}
			s = s[4+end+3:]
			continue
		}
		gt := strings.IndexByte(s, '>')
		if gt < 0 {
			return dst
		}
		tag := s[1:gt]
		s = s[gt+1:]
		closing := strings.HasPrefix(tag, "/")
		if closing {
			tag = tag[1:]
		}
		n := 0
		for n < len(tag) && (isASCIILetter(tag[n]) || tag[n] >= '0' && tag[n] <= '9') {
			n++
		}
		name := strings.ToLower(tag[:n])
		switch {
		case !closing && (name == "script" || name == "style"):
			end := indexFold(s, "</"+name)
			if end < 0 {
				return dst
			}
			s = s[end:]
		case isBlockTag(name):
			dst = append(dst, '\n')
		case name == "a" && !closing && links != nil:
			if h := attr(tag[n:], "href"); h != "" {
				*links = append(*links, html.UnescapeString(h))
			}
		}
	}
	return dst
}

// isASCII reports whether b is all ASCII, which NFKC leaves unchanged.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// indexFold is strings.Index ignoring ASCII case of s.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// attr returns the value of the attribute name in the attribute list a of
// a tag, or "".
func attr(a, name string) string {
	for {
		i := indexFold(a, name)
		if i < 0 {
			return ""
		}
		rest := strings.TrimLeft(a[i+len(name):], " \t\n")
		if i > 0 && !strings.ContainsRune(" \t\n", rune(a[i-1])) || !strings.HasPrefix(rest, "=") {
			a = a[i+len(name):]
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\n")
		if rest == "" {
			return ""
		}
		if q := rest[0]; q == '"' || q == '\'' {
			if end := strings.IndexByte(rest[1:], q); end >= 0 {
				return rest[1 : 1+end]
			}
			return rest[1:]
		}
		end := strings.IndexAny(rest, " \t\n/")
		if end < 0 {
			return rest
		}
		return rest[:end]
	}
}

func appendUnescaped(dst []byte, s string) []byte {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return append(dst, s...)
}

// text is a cleaned body: its plain NFKC text without dateline and credit
// lines, the credited source if any, and whether it was cut short.
type text struct {
	body   []byte
	source []byte // the name after "Source:" or "来源:", as written
	cut    bool   // the text ended in an ellipsis: its last word may be partial
}

// cleanBody turns the HTML fragment s into text, using buf and nbuf as
// scratch space; links receives the hrefs of links when not nil.
func cleanBody(s string, buf, nbuf *[]byte, links *[]string) text {
	b := htmlText((*buf)[:0], s, links)
	*buf = b
	if !isASCII(b) {
		b = norm.NFKC.Append((*nbuf)[:0], b...)
		*nbuf = b
	}
	var t text
	b = bytes.TrimSpace(b)
	for range 4 {
		start, kw, value, ok := trailingCredit(b)
		if !ok {
			break
		}
		if t.source == nil && (kw == "source" || kw == "来源" || kw == "來源") {
			t.source = value
		}
		b = bytes.TrimSpace(b[:start])
	}
	for _, suffix := range [...]string{"[...]", "(...)", "...", "read more", "continue reading", "更多"} {
		if len(b) >= len(suffix) && strings.EqualFold(string(b[len(b)-len(suffix):]), suffix) {
			b = bytes.TrimSpace(b[:len(b)-len(suffix)])
			t.cut = true
			break
		}
	}
	if start, value, ok := trailingDashCredit(b); ok {
		if t.source == nil {
			t.source = value
		}
		b = bytes.TrimSpace(b[:start])
	}
	b = skipCaptions(b)
	b = b[datelineLen(b):]
	t.body = b
	return t
}

// skipCaptions returns b without the photo captions and picture credits
// its first lines are, so that a text which opens with a picture starts,
// like its copies, at the lead. A line is dropped only when another
// follows it.
func skipCaptions(b []byte) []byte {
	for range 3 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			return b
		}
		line, rest := bytes.TrimSpace(b[:nl]), bytes.TrimSpace(b[nl+1:])
		if len(rest) == 0 || !caption(line, rest) {
			return b
		}
		b = rest
	}
	return b
}

// caption reports whether line, followed by the text next, is a photo
// caption or a picture credit rather than the lead of the text.
func caption(line, next []byte) bool {
	n := utf8.RuneCount(line)
	if n > 320 {
		return false
	}
	if n <= 60 && photoCreditRe.Match(line) {
		return true
	}
	if !hasCJK(line[:min(len(line), 24)]) {
		return bytes.Count(line, []byte(" ")) <= 45 && endsWithYear(line) && captionDateRe.Match(line)
	}
	if n > 80 {
		return false
	}
	if zhCaptionCreditRe.Match(line) {
		return true
	}
	// A dated sentence alone on its line, before a lead that starts with a
	// dateline or the same date.
	m := zhCaptionDateRe.Find(line)
	if m == nil || bytes.Count(line, []byte("。")) > 1 {
		return false
	}
	date := m[:bytes.Index(m, []byte("日"))+len("日")] // "10月19日"
	head := next[:min(len(next), 60)]
	return datelineLen(next) > 0 || bytes.Contains(head, date)
}

// endsWithYear reports whether line ends as captionDateRe requires: a
// year from 1900 to 2099, then perhaps a full stop and a parenthesis of
// at most 40 characters. It is a necessary condition, checked from the end in
// a few steps, where the unanchored expression tries every start of the
// line: most lines of text are not captions.
func endsWithYear(line []byte) bool {
	const space = " \t\n\f\r" // what \s matches
	s := bytes.TrimRight(line, space)
	if n := len(s); n > 0 && s[n-1] == ')' {
		open := bytes.LastIndexByte(s, '(')
		if open < 0 {
			return false
		}
		if k := utf8.RuneCount(s[open+1 : n-1]); k < 1 || k > 40 {
			return false
		}
		s = bytes.TrimRight(s[:open], space)
	}
	s = bytes.TrimSuffix(s, []byte("."))
	n := len(s)
	if n < 4 || !(s[n-4] == '1' && s[n-3] == '9' || s[n-4] == '2' && s[n-3] == '0') {
		return false
	}
	return isDigit(s[n-2]) && isDigit(s[n-1])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hasCJK reports whether b holds a Chinese, Japanese or Korean character.
func hasCJK(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if isCJK(r) {
			return true
		}
		b = b[size:]
	}
	return false
}

// trailingDashCredit finds a credit line that ends b after a dash: "… the
// Beibu Gulf. — Beibu Gulf Herald". It returns where the credit starts
// and the name.
func trailingDashCredit(b []byte) (start int, value []byte, ok bool) {
	// Only a dash in the last 60 bytes can start a credit: the search
	// reads those alone, not the whole text.
	lo := max(0, len(b)-60)
	i := max(bytes.LastIndex(b[lo:], []byte("—")), bytes.LastIndex(b[lo:], []byte("--")))
	if i >= 0 {
		i += lo
	}
	if i < 2 || len(b)-i > 60 {
		return 0, nil, false
	}
	before := bytes.TrimRight(b[:i], " \t\n")
	if len(before) == 0 || !bytes.ContainsAny(before[len(before)-1:], ".!?\"”") {
		return 0, nil, false
	}
	value = bytes.TrimSpace(bytes.TrimLeft(b[i:], "—-"))
	if len(value) == 0 || !isUpperStart(value) || bytes.ContainsAny(value, ".!?\n") || bytes.Count(value, []byte(" ")) > 4 {
		return 0, nil, false
	}
	return i, value, true
}

func isUpperStart(b []byte) bool {
	r, _ := utf8.DecodeRune(b)
	return unicode.IsUpper(r) || isCJK(r)
}

// datelineLen returns the length of the dateline b starts with, or 0:
// "NANNING, Nov. 26 (Xinhua) -- ", "KUALA LUMPUR, Malaysia, Nov 26 -- ",
// "NANNING (Harbour Wire) - ", "新华社南宁11月26日电(记者 王强)".
func datelineLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	if r, _ := utf8.DecodeRune(b); isCJK(r) {
		head := b[:min(len(b), 90)]
		if !bytes.Contains(head, []byte("电")) && !bytes.Contains(head, []byte("讯")) {
			return 0
		}
		if m := zhDatelineRe.FindIndex(head); m != nil && m[1] < len(b) {
			return m[1]
		}
		return 0
	}
	// The place: upper-case letters (accented ones too: "HÀ NỘI"), spaces,
	// dots, apostrophes, hyphens; or words that start upper case when an
	// outlet's name in parentheses follows ("Kuala Lumpur (Tribune) - ").
	i, caps, letters := 0, true, 0
	wordStart := true
scan:
	for i < len(b) && i <= 40 {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case unicode.IsUpper(r):
			letters++
		case unicode.IsLetter(r) && !wordStart:
			caps = false
			letters++
		case r == ' ' || r == '.' || r == '\'' || r == '-':
		default:
			break scan
		}
		wordStart = r == ' ' || r == '-'
		i += size
	}
	if letters < 2 || i >= len(b) {
		return 0
	}
	if caps {
		if r, _ := utf8.DecodeRune(b[1:]); !unicode.IsUpper(r) {
			return 0
		}
	}
	dated := false
	if b[i] == ',' {
		if !caps {
			return 0
		}
		// Optional region, then a date: ", Guangxi, Nov. 26".
		for range 2 {
			j := skipSpace(b, i+1)
			k := j
			for k < len(b) && k-j <= 30 && (isASCIILetter(b[k]) || b[k] == ' ' || b[k] == '.') {
				k++
			}
			if k < len(b) && b[k] >= '0' && b[k] <= '9' && k > j && b[j] >= 'A' && b[j] <= 'Z' {
				d := k
				for d < len(b) && d-k < 2 && b[d] >= '0' && b[d] <= '9' {
					d++
				}
				i, dated = d, true
				break
			}
			if k >= len(b) || b[k] != ',' || k == j {
				return 0
			}
			i = k
		}
		if !dated {
			return 0
		}
	}
	spaced := i > 0 && b[i-1] == ' '
	i = skipSpace(b, i)
	credited := false
	if i < len(b) && b[i] == '(' {
		end := bytes.IndexByte(b[i:min(len(b), i+42)], ')')
		if end < 0 {
			return 0
		}
		i, credited = skipSpace(b, i+end+1), true
	}
	// A place in capitals alone: "HÀ NỘI — ", "KUALA LUMPUR: ".
	bare := !dated && !credited && caps && letters >= 3
	if !dated && !credited && !bare {
		return 0
	}
	for _, sep := range [...]string{"--", "—", "–", "-", ":"} {
		if !bytes.HasPrefix(b[i:], []byte(sep)) {
			continue
		}
		if bare && (sep == "-" || sep == ":" && spaced || sep != ":" && !spaced) {
			return 0 // "ASEAN-China", "UK - " and "NOTE :" are not datelines
		}
		n := skipSpace(b, i+len(sep))
		if n < len(b) && n > i+len(sep) {
			return n
		}
		return 0
	}
	return 0
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n') {
		i++
	}
	return i
}

// creditKeywords start a credit line; longer ones first where one ends
// another.
var creditKeywords = [...]string{"source", "来源", "來源", "editors", "editor", "责任编辑", "責任編輯", "编辑", "編輯"}

// trailingCredit finds a credit at the end of b: a keyword, a colon and a
// short value ("Source: China Daily", "(来源: 南岭日报)"). It returns where the
// credit starts, the keyword in lower case and the value.
func trailingCredit(b []byte) (start int, kw string, value []byte, ok bool) {
	colon := bytes.LastIndexByte(b, ':')
	if colon < 0 || len(b)-colon > 160 {
		return 0, "", nil, false
	}
	value = bytes.TrimRight(b[colon+1:], " \t\n)]。.")
	value = bytes.TrimSpace(value)
	if len(value) == 0 || bytes.IndexByte(value, '\n') >= 0 || utf8.RuneCount(value) > 40 {
		return 0, "", nil, false
	}
	before := bytes.TrimRight(b[:colon], " \t")
	for _, k := range creditKeywords {
		if len(before) < len(k) || !bytes.EqualFold(before[len(before)-len(k):], []byte(k)) {
			continue
		}
		s := len(before) - len(k)
		if k[0] < utf8.RuneSelf && s > 0 && !strings.ContainsRune(" \t\n([", rune(before[s-1])) {
			return 0, "", nil, false
		}
		if s > 0 && (before[s-1] == '(' || before[s-1] == '[') {
			s--
		}
		return s, k, value, true
	}
	return 0, "", nil, false
}

// kickers are the labels wire desks put before a headline ("UPDATE 2-",
// "EXCLUSIVE-", "Breaking: "), in upper case; cleanTitle drops them
// followed by a hyphen or a colon.
var kickers = [...]string{
	"UPDATE", "EXCLUSIVE", "BREAKING NEWS", "BREAKING", "WRAPUP", "FACTBOX", "ANALYSIS", "INSIGHT",
	"RPT", "REFILE", "CORRECTED", "BRIEF", "EXPLAINER", "FOCUS", "PREVIEW", "TIMELINE", "LIVE", "WATCH",
	"快讯", "独家", "突发", "更新",
}

// cutKicker returns s without a leading kicker: "UPDATE 2-Malaysia …",
// "Exclusive: Malaysia …", "快讯：南宁……".
func cutKicker(s string) string {
	for _, k := range kickers {
		if len(s) <= len(k) || !strings.EqualFold(s[:len(k)], k) {
			continue
		}
		rest := s[len(k):]
		if rest[0] == ' ' && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9' { // "UPDATE 2-"
			rest = strings.TrimLeft(rest[1:], "0123456789")
		}
		if rest == "" || rest[0] != '-' && rest[0] != ':' {
			continue
		}
		if rest[0] == '-' && s[:len(k)] != k && k[0] < utf8.RuneSelf {
			continue // "Update-" in a headline's own words
		}
		if rest = strings.TrimSpace(rest[1:]); utf8.RuneCountInString(rest) >= 8 {
			return rest
		}
	}
	return s
}

// cleanTitle returns the NFKC title with outlet decorations removed: a
// leading "[Video]" or "【视频】" tag, a wire kicker ("UPDATE 2-",
// "Exclusive:"), a leading "Guangxi: " label, a trailing
// " - Chinadaily.com.cn", " | Xinhua", "_新华网", "-Harbour Wire" or
// "-东盟商讯" outlet name, and a trailing ellipsis.
func cleanTitle(s string) string {
	s = norm.NFKC.String(strings.TrimSpace(s))
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	s = cutKicker(s)
	// Leading bracketed tag.
	for _, p := range [...][2]string{{"[", "]"}, {"【", "】"}, {"(", ")"}, {"〔", "〕"}} {
		if strings.HasPrefix(s, p[0]) {
			if end := strings.Index(s, p[1]); end > 0 && utf8.RuneCountInString(s[:end]) <= 14 && len(s)-end > 12 {
				s = strings.TrimSpace(s[end+len(p[1]):])
			}
		}
	}
	// Trailing outlet name, at most twice ("… - Section - Outlet").
	for range 2 {
		cut, end := lastSeparator(s)
		if cut < 0 || utf8.RuneCountInString(s[:cut]) < 8 {
			break
		}
		d := strings.TrimSpace(s[end:])
		spaceless := end == cut+1 && s[cut] == '-' && cut > 0 && s[cut-1] != ' '
		if !decoration(d) || spaceless && !spacelessDecoration(s[:cut], d) {
			break
		}
		s = strings.TrimSpace(s[:cut])
	}
	// Leading "Label: ".
	if i := strings.IndexByte(s, ':'); i > 0 && i < 40 {
		label, rest := s[:i], strings.TrimSpace(s[i+1:])
		words := strings.Count(strings.TrimSpace(label), " ") + 1
		if words <= 3 && utf8.RuneCountInString(label) <= 24 && !strings.ContainsAny(label, "0123456789\"'") &&
			(strings.Count(rest, " ") >= 3 || utf8.RuneCountInString(rest) >= 8 && !strings.Contains(rest, " ")) {
			s = rest
		}
	}
	return s
}

// lastSeparator returns the start and end of the last separator in the
// title s that may precede an outlet name: "|", "_", a dash or em dash, or
// a hyphen with a space on each side; cut is -1 when there is none.
func lastSeparator(s string) (cut, end int) {
	for i := len(s); i > 0; {
		j := strings.LastIndexAny(s[:i], "|_-–—")
		if j < 0 {
			return -1, 0
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		k := j + size
		for sep := s[j:k]; r != '|' && j >= size && s[j-size:j] == sep; { // "——", "--"
			j -= size
		}
		if r != '-' || j > 0 && s[j-1] == ' ' && k < len(s) && s[k] == ' ' || k > j+1 {
			return j, k
		}
		// A hyphen without spaces may still end a headline before an
		// outlet name ("…-Harbour Wire", "…-东盟商讯"), when what follows
		// is a name rather than the rest of a compound ("ASEAN-China").
		if j > 0 && k < len(s) && s[j-1] != ' ' && s[k] != ' ' {
			if d := s[k:]; !strings.ContainsAny(d, "-–—|_") && spacelessDecoration(s[:j], d) {
				return j, k
			}
		}
		i = j
	}
	return -1, 0
}

// decoration reports whether s, found after a separator at the end of a
// title, looks like an outlet or section name rather than part of the
// headline: short (a Chinese one of at most ten characters), and with
// figures only in the last word of a capitalised name ("Channel 4",
// "VTV1"), so that "- 2 dead" or "- up 5%" stay part of the headline.
func decoration(s string) bool {
	if s == "" || strings.ContainsRune(s, '%') {
		return false
	}
	if i := strings.IndexAny(s, "0123456789"); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s)
		if !unicode.IsUpper(r) || strings.ContainsRune(s[i:], ' ') || strings.ContainsAny(s[:strings.LastIndexByte(s, ' ')+1], "0123456789") {
			return false
		}
	}
	n := utf8.RuneCountInString(s)
	if r, _ := utf8.DecodeRuneInString(s); isCJK(r) && n > 10 {
		return false
	}
	return n <= 32 && strings.Count(s, " ") <= 3
}

// spacelessDecoration reports whether d, after a hyphen without spaces at
// the end of the title head, is an outlet name: a Chinese name after a
// Chinese headline, or one to three capitalised words after a headline of
// at least four words.
func spacelessDecoration(head, d string) bool {
	r, _ := utf8.DecodeLastRuneInString(head)
	if c, _ := utf8.DecodeRuneInString(d); isCJK(c) {
		return isCJK(r) && utf8.RuneCountInString(d) <= 8
	}
	if strings.Count(head, " ") < 3 || strings.Count(d, " ") > 2 || unicode.IsUpper(r) {
		return false
	}
	for _, w := range strings.Fields(d) {
		if c, _ := utf8.DecodeRuneInString(w); !unicode.IsUpper(c) {
			return false
		}
	}
	return true
}

// tokenKind classifies a token.
type tokenKind uint8

const (
	kindWord   tokenKind = iota // a run of letters and digits, lower-cased
	kindNumber                  // digits, with inner "," or "."
	kindCJK                     // a CJK character bigram (or a lone character)
)

// tokenizer splits NFKC text into lower-case word tokens and CJK
// character bigrams. It allocates only when a word is longer than its
// buffer.
type tokenizer struct {
	s   []byte
	i   int
	buf []byte
	arr [64]byte
	// cjkRun is true while inside a run of CJK characters.
	cjkRun bool
	// runStart is true when the last CJK token began a run.
	runStart bool
}

func newTokenizer(s []byte) tokenizer { return tokenizer{s: s} }

// next returns the next token and its kind; tok is valid until the next
// call. ok is false at the end of the text.
func (t *tokenizer) next() (tok []byte, kind tokenKind, ok bool) {
	for t.i < len(t.s) {
		c := t.s[t.i]
		if c < utf8.RuneSelf {
			t.cjkRun = false
			if isASCIILetter(c) || c >= '0' && c <= '9' {
				return t.word()
			}
			t.i++
			continue
		}
		r, size := utf8.DecodeRune(t.s[t.i:])
		if isCJK(r) {
			start := t.i
			wasRun := t.cjkRun
			t.i += size
			t.cjkRun = true
			t.runStart = !wasRun
			if t.i < len(t.s) {
				r2, size2 := utf8.DecodeRune(t.s[t.i:])
				if isCJK(r2) {
					return t.s[start : t.i+size2], kindCJK, true
				}
			}
			if wasRun {
				continue // the last character of a run is in the previous bigram
			}
			return t.s[start:t.i], kindCJK, true
		}
		t.cjkRun = false
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return t.word()
		}
		t.i += size
	}
	return nil, 0, false
}

// word consumes a run of letters and digits starting at t.i.
func (t *tokenizer) word() ([]byte, tokenKind, bool) {
	if t.buf == nil {
		t.buf = t.arr[:0]
	}
	b := t.buf[:0]
	digits := true
scan:
	for t.i < len(t.s) {
		c := t.s[t.i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'A' && c <= 'Z':
				b = append(b, c+'a'-'A')
				digits = false
			case c >= 'a' && c <= 'z':
				b = append(b, c)
				digits = false
			case c >= '0' && c <= '9':
				b = append(b, c)
			case (c == ',' || c == '.') && digits && len(b) > 0 && t.i+1 < len(t.s) && t.s[t.i+1] >= '0' && t.s[t.i+1] <= '9':
				if c == '.' {
					b = append(b, c)
				} // thousands separators are dropped: 1,200 = 1200
			default:
				break scan
			}
			t.i++
			continue
		}
		r, size := utf8.DecodeRune(t.s[t.i:])
		if isCJK(r) || !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)) {
			break
		}
		b = appendFolded(b, r)
		digits = false
		t.i += size
	}
	// Vietnamese writes some names as syllables that English joins:
	// "Viet Nam", "Ha Noi" (after folding) are "vietnam", "hanoi".
	if !digits && len(b) <= 4 {
		for _, n := range joinedNames {
			if string(b) == n[0] && t.i+1+len(n[1]) <= len(t.s) && t.s[t.i] == ' ' {
				if end, ok := foldedWordAt(t.s, t.i+1, n[1]); ok {
					b = append(b, n[1]...)
					t.i = end
				}
				break
			}
		}
	}
	t.buf = b
	return b, t.kind(digits), true
}

// joinedNames are the Vietnamese place names whose syllables English
// writes as one word, by their folded first syllable.
var joinedNames = [...][2]string{{"viet", "nam"}, {"ha", "noi"}, {"hai", "phong"}}

// foldedWordAt reports whether the word of s that starts at j is w once
// folded, and returns where it ends.
func foldedWordAt(s []byte, j int, w string) (end int, ok bool) {
	var f [8]byte
	m := 0
	for j < len(s) {
		r, size := utf8.DecodeRune(s[j:])
		if isCJK(r) || !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			break
		}
		var rb [utf8.UTFMax]byte
		switch g := appendFolded(rb[:0], r); {
		case len(g) == 0: // a combining mark
		case len(g) > 1 || m >= len(w) || m >= len(f):
			return 0, false
		default:
			f[m] = g[0]
			m++
		}
		j += size
	}
	return j, string(f[:m]) == w
}

// appendFolded appends r to b lower-cased and without diacritics ("Ộ" →
// "o", "đ" → "d"), so that "Hà Nội" and "Ha Noi" are the same words;
// combining marks are dropped.
func appendFolded(b []byte, r rune) []byte {
	switch {
	case unicode.Is(unicode.Mn, r):
		return b
	case r == 'đ' || r == 'Đ':
		return append(b, 'd')
	case r >= 0xc0 && r <= 0x24f || r >= 0x1e00 && r <= 0x1eff:
		var rb [utf8.UTFMax]byte
		d := norm.NFD.Properties(rb[:utf8.EncodeRune(rb[:], r)]).Decomposition()
		if len(d) > 0 && d[0] < utf8.RuneSelf {
			c := d[0]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			return append(b, c)
		}
	}
	return utf8.AppendRune(b, unicode.ToLower(r))
}

func (t *tokenizer) kind(digits bool) tokenKind {
	if digits {
		return kindNumber
	}
	return kindWord
}

// hashBytes is 64-bit FNV-1a.
func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// mix scrambles h (the splitmix64 finaliser), so that FNV hashes of short
// tokens spread over all 64 bits.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// stopwords are English function words left out of title comparison.
var stopwords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "in": true, "on": true, "at": true,
	"to": true, "for": true, "and": true, "or": true, "with": true, "by": true, "from": true,
	"as": true, "is": true, "are": true, "was": true, "were": true, "be": true, "its": true,
	"it": true, "s": true, "t": true, "this": true, "that": true, "into": true, "than": true,
}

// Title keys hold a headline's opening words: at most keyWords words
// and numbers, or keyCJK Chinese (Japanese, Korean) characters, so that
// a headline a feed cut to its length limit ("Nanning university
// students train as interpreters for ASEA...") has the key of the full
// one it begins. Headlines that open alike and then part are only
// candidates; the confirmation tells them apart.
const (
	keyWords = 6
	keyCJK   = 12
)

// titleKey returns the exact-match key of a cleaned title: its opening
// tokens (keyWords words, keyCJK CJK characters), lower case, separated
// by single spaces, CJK runs kept whole. A title cut short by an
// ellipsis loses it and its last, perhaps partial, token.
func titleKey(title []byte) string {
	if b, ok := cutEllipsis(title); ok {
		title = dropLastToken(b)
	}
	var b strings.Builder
	b.Grow(len(title))
	t := newTokenizer(title)
	prevCJK := false
	words, cjk := 0, 0
	for words < keyWords && cjk < keyCJK {
		tok, kind, ok := t.next()
		if !ok {
			break
		}
		if kind == kindCJK {
			if prevCJK && !t.runStart {
				// Overlapping bigram: append only its last character.
				_, size := utf8.DecodeLastRune(tok)
				b.Write(tok[len(tok)-size:])
				cjk++
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.Write(tok)
			cjk += utf8.RuneCount(tok)
			prevCJK = true
			continue
		}
		prevCJK = false
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(tok)
		words++
	}
	return b.String()
}
