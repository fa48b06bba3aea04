package feeds

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// toUTF8 returns body as clean UTF-8 ready for the feed parsers: a byte
// order mark is removed, the document is decoded from its charset,
// characters XML forbids are dropped and what is still invalid UTF-8 is
// replaced with U+FFFD. When the body is XML with an encoding in its
// prolog, the prolog is rewritten to say utf-8 so the parser does not
// decode it a second time. chooseEncoding documents how the charset is
// found.
func toUTF8(body []byte, contentType string) []byte {
	if enc, n := bomEncoding(body); enc != nil || n > 0 {
		body = body[n:]
		if enc != nil {
			if out, _, err := transform.Bytes(enc.NewDecoder(), body); err == nil {
				body = out
			}
		}
		return cleanXMLChars(rewriteProlog(body))
	}
	docLabel, prolog := prologEncoding(body)
	if !prolog && looksHTML(body, contentType) {
		_, docLabel, _ = charset.DetermineEncoding(body, "text/html") // <meta charset>
	}
	if out := chooseEncoding(body, contentTypeCharset(contentType), docLabel); out != nil {
		body = out
	}
	if prolog {
		body = rewriteProlog(body)
	}
	return cleanXMLChars(body)
}

// chooseEncoding decodes body, which has no byte order mark, from the
// charset a browser would pick, or returns nil when body is best read as
// UTF-8 as it is. httpLabel is the Content-Type charset, docLabel the
// document's own (XML prolog or HTML <meta>); either may be empty.
//
// The order is a browser's: the HTTP charset, then the document's, then
// a sniff, where bytes that are not valid UTF-8 are windows-1252 (the
// WHATWG default, and what ISO-8859-1, latin1 and US-ASCII mean to a
// browser). One rule bends it: decoding must not garble text that is
// clean in its real charset. Servers label every response with a
// blanket default, UTF-8 or ISO-8859-1, whatever the document is, so:
//
//   - a specific HTTP charset (GBK, Big5, Shift_JIS, ...) is used when the
//     body decodes cleanly in it (without U+FFFD);
//   - valid UTF-8 is UTF-8 when the HTTP charset is UTF-8 or a blanket
//     default or absent and the document does not name a specific
//     charset of its own (UTF-8 with non-ASCII bytes is never latin1 by
//     accident, while latin1 text is almost never valid UTF-8);
//   - otherwise a specific charset the document names is used when the
//     body decodes cleanly in it, so a GBK feed with a GBK prolog served
//     as "charset=ISO-8859-1" or "charset=utf-8" reads as GBK;
//   - then valid UTF-8 is UTF-8;
//   - a specific declared charset that does not decode cleanly is still
//     used: a broken sequence in a GBK feed is one U+FFFD, where reading
//     the whole document as windows-1252 would garble every character;
//   - a body that is mostly UTF-8 with a few broken sequences is UTF-8;
//   - everything else is windows-1252, in which every byte decodes.
func chooseEncoding(body []byte, httpLabel, docLabel string) []byte {
	h, hName := lookupCharset(httpLabel)
	d, dName := lookupCharset(docLabel)
	hSpecific, dSpecific := isSpecific(hName), isSpecific(dName)
	var hOut, dOut []byte
	if hSpecific {
		var ok bool
		if hOut, ok = decodeClean(h, body); ok {
			return hOut
		}
	}
	valid := utf8.Valid(body)
	if valid && !hSpecific && (!dSpecific || hName == "utf-8") {
		return nil
	}
	if dSpecific && dName != hName {
		var ok bool
		if dOut, ok = decodeClean(d, body); ok {
			return dOut
		}
	}
	switch {
	case valid:
		return nil
	case hOut != nil:
		return hOut
	case dOut != nil:
		return dOut
	case mostlyUTF8(body):
		return nil
	}
	out, _ := decodeClean(charmap.Windows1252, body)
	return out
}

// isSpecific reports whether a WHATWG encoding name is a charset a server
// or a document names on purpose, unlike the blanket defaults utf-8 and
// windows-1252 (the name ISO-8859-1, latin1 and US-ASCII look up to).
func isSpecific(name string) bool {
	return name != "" && name != "utf-8" && name != "windows-1252"
}

// decodeClean decodes body from enc, reporting whether the result is
// free of U+FFFD, that is, whether every byte sequence was valid in enc.
// A decoder error gives nil and false.
func decodeClean(enc encoding.Encoding, body []byte) ([]byte, bool) {
	out, _, err := transform.Bytes(enc.NewDecoder(), body)
	if err != nil {
		return nil, false
	}
	return out, !bytes.ContainsRune(out, utf8.RuneError)
}

// mostlyUTF8 reports whether body holds more well-formed multi-byte UTF-8
// sequences than bytes that are not UTF-8: a UTF-8 document with a few
// broken characters (a summary cut in the middle of one), not latin1.
func mostlyUTF8(body []byte) bool {
	good, bad := 0, 0
	for i := 0; i < len(body); {
		if body[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n == 1 {
			bad++
		} else {
			good++
		}
		i += n
	}
	return good > bad
}

// bomEncoding returns the encoding a byte order mark (or, for UTF-16 and
// UTF-32 without one, the zero bytes around a leading '<' or '{') reveals,
// and the length of the mark. A UTF-8 mark gives a nil encoding and 3.
// Without a mark or pattern it returns nil and 0.
func bomEncoding(b []byte) (encoding.Encoding, int) {
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		return nil, len(bomUTF8)
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), 4
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), 4
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), 2
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), 2
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && (b[3] == '<' || b[3] == '{'):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), 0
	case len(b) >= 4 && (b[0] == '<' || b[0] == '{') && b[1] == 0 && b[2] == 0 && b[3] == 0:
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), 0
	case len(b) >= 2 && b[0] == 0 && (b[1] == '<' || b[1] == '{'):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), 0
	case len(b) >= 2 && (b[0] == '<' || b[0] == '{') && b[1] == 0:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), 0
	}
	return nil, 0
}

// lookupCharset returns the decoder and WHATWG name for a charset label,
// or nil and "" when the label is empty or unknown. A UTF-16 label is
// treated as unknown: bomEncoding has found UTF-16 bodies, so the label
// on a body without UTF-16 bytes is a mislabel.
func lookupCharset(label string) (encoding.Encoding, string) {
	if label == "" {
		return nil, ""
	}
	enc, name := charset.Lookup(label)
	if enc == nil || strings.HasPrefix(name, "utf-16") {
		return nil, ""
	}
	return enc, name
}

// prologEncoding returns the encoding declared by a leading XML prolog and
// whether there is a prolog at all.
func prologEncoding(b []byte) (label string, prolog bool) {
	b = bytes.TrimLeft(b, " \t\r\n")
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return "", false
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return "", true
	}
	decl := b[:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return "", true
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return "", true
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return "", true
	}
	q := rest[0]
	rest = rest[1:]
	j := bytes.IndexByte(rest, q)
	if j < 0 {
		return "", true
	}
	return strings.TrimSpace(string(rest[:j])), true
}

// rewriteProlog replaces a leading XML declaration with one that declares
// UTF-8, the encoding the body is in once toUTF8 has decoded it.
func rewriteProlog(b []byte) []byte {
	t := bytes.TrimLeft(b, " \t\r\n")
	if !bytes.HasPrefix(t, []byte("<?xml")) {
		return b
	}
	end := bytes.Index(t, []byte("?>"))
	if end < 0 {
		return b
	}
	if label, _ := prologEncoding(t); label == "" || strings.EqualFold(label, "utf-8") {
		return b
	}
	const decl = `<?xml version="1.0" encoding="utf-8"?>`
	out := make([]byte, 0, len(decl)+len(t)-end-2)
	out = append(out, decl...)
	return append(out, t[end+2:]...)
}

// contentTypeCharset returns the charset parameter of a Content-Type
// header value, or "".
func contentTypeCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return params["charset"]
}

// isXMLChar reports whether r may appear in an XML 1.0 document.
func isXMLChar(r rune) bool {
	switch {
	case r == 0x09 || r == 0x0A || r == 0x0D:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= utf8.MaxRune:
		return true
	}
	return false
}

// cleanXMLChars drops characters XML forbids and replaces invalid UTF-8
// with U+FFFD. It returns b itself when there is nothing to change.
func cleanXMLChars(b []byte) []byte {
	i := firstUnclean(b)
	if i < 0 {
		return b
	}
	out := make([]byte, i, len(b))
	copy(out, b[:i])
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 || c == '\t' || c == '\n' || c == '\r' {
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = utf8.AppendRune(out, utf8.RuneError)
		case isXMLChar(r):
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

// scrub is cleanXMLChars for strings: the result is valid UTF-8 holding
// only characters XML allows.
func scrub(s string) string {
	if firstUncleanString(s) < 0 {
		return s
	}
	return string(cleanXMLChars([]byte(s)))
}

// firstUnclean returns the index of the first byte cleanXMLChars would
// change, or -1.
func firstUnclean(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if (r == utf8.RuneError && n == 1) || !isXMLChar(r) {
			return i
		}
		i += n
	}
	return -1
}

func firstUncleanString(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !isXMLChar(r) {
			return i
		}
		i += n
	}
	return -1
}
