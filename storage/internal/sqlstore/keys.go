package sqlstore

import (
	"strconv"
	"strings"
)

// An item's canonical URL and title key are mostly its URL and title
// again, a prefix dropped ("www."), a suffix cut (an outlet's name), the
// title in lower case. The items table stores each key as a difference
// from the text it was derived from (PackKey), so that the text is not
// stored twice; UnpackKey rebuilds the key exactly.

// packed starts a key stored as a difference.
const packed = '\x01'

// PackKey returns key as stored beside text (the item's URL, or its
// title with fold set): "" for none, else the shorter of key itself and
// "\x01P,S,MID", which reads "the first P bytes of text, then MID, then
// the last S bytes of text", text in ASCII lower case with fold. A key
// that itself starts with \x01 is always stored as a difference.
func PackKey(text, key string, fold bool) string {
	if key == "" {
		return ""
	}
	base := text
	if fold {
		base = asciiLower(text)
	}
	p := 0
	for p < len(base) && p < len(key) && base[p] == key[p] {
		p++
	}
	s := 0
	for s < len(base)-p && s < len(key)-p && base[len(base)-1-s] == key[len(key)-1-s] {
		s++
	}
	d := string(packed) + strconv.Itoa(p) + "," + strconv.Itoa(s) + "," + key[p:len(key)-s]
	if len(d) < len(key) || key[0] == packed {
		return d
	}
	return key
}

// UnpackKey returns the key PackKey stored as stored beside text, with
// the same fold. A stored key that does not start with \x01 is the key
// itself (as every key written before keys were packed is).
func UnpackKey(text, stored string, fold bool) string {
	if stored == "" || stored[0] != packed {
		return stored
	}
	ps, rest, ok1 := strings.Cut(stored[1:], ",")
	ss, mid, ok2 := strings.Cut(rest, ",")
	p, err1 := strconv.Atoi(ps)
	s, err2 := strconv.Atoi(ss)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || p < 0 || s < 0 || p+s > len(text) {
		return stored // not written by PackKey
	}
	base := text
	if fold {
		base = asciiLower(text)
	}
	return base[:p] + mid + base[len(base)-s:]
}

// asciiLower returns s with A–Z in lower case and every other byte as
// it is: unlike strings.ToLower, the same in every Go version.
func asciiLower(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for j := i; j < len(b); j++ {
		if 'A' <= b[j] && b[j] <= 'Z' {
			b[j] += 'a' - 'A'
		}
	}
	return string(b)
}
