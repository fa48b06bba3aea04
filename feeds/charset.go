package feeds

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// toUTF8 returns body as clean UTF-8 ready for the feed parsers: a byte
// order mark is removed, the document is decoded from its declared
// charset, characters XML forbids are dropped and invalid UTF-8 is
// replaced with U+FFFD. When the body is XML with an encoding in its
// prolog, the prolog is rewritten to say utf-8 so the parser does not
// decode it a second time.
//
// The charset comes from, in order: a UTF-16 byte order mark or UTF-16
// byte pattern, the XML prolog's encoding, the charset parameter of
// contentType. For XML the prolog wins over a contradicting Content-Type:
// the prolog travels with the document, while servers often label every
// response with a blanket default such as ISO-8859-1 or UTF-8. With no
// declaration at all the body is taken as UTF-8.
func toUTF8(body []byte, contentType string) []byte {
	if enc := utf16Encoding(body); enc != nil {
		if out, _, err := transform.Bytes(enc.NewDecoder(), body); err == nil {
			body = out
		}
		return cleanXMLChars(rewriteProlog(body))
	}
	body = bytes.TrimPrefix(body, bomUTF8)

	label, prolog := prologEncoding(body)
	if label == "" {
		label = contentTypeCharset(contentType)
	}
	if enc := lookupCharset(label); enc != nil {
		if out, _, err := transform.Bytes(enc.NewDecoder(), body); err == nil {
			body = out
		}
	}
	if prolog {
		body = rewriteProlog(body)
	}
	return cleanXMLChars(body)
}

// utf16Encoding reports the UTF-16 encoding that a byte order mark or the
// zero bytes around a leading '<' or '{' reveal, or nil.
func utf16Encoding(b []byte) encoding.Encoding {
	if len(b) < 2 {
		return nil
	}
	switch {
	case b[0] == 0xFE && b[1] == 0xFF:
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case b[0] == 0xFF && b[1] == 0xFE:
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case b[0] == 0 && (b[1] == '<' || b[1] == '{'):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case (b[0] == '<' || b[0] == '{') && b[1] == 0:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	}
	return nil
}

// lookupCharset returns the decoder for a charset label, or nil when the
// label is empty, unknown or already UTF-8 (UTF-8 needs no decoding, and a
// UTF-16 label on a body without UTF-16 bytes is a mislabel).
func lookupCharset(label string) encoding.Encoding {
	if label == "" {
		return nil
	}
	enc, name := charset.Lookup(label)
	if enc == nil || name == "utf-8" || strings.HasPrefix(name, "utf-16") {
		return nil
	}
	return enc
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
