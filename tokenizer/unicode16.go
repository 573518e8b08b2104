package tokenizer

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/rangetable"
)

// Go's unicode package (and so regexp2 and the hand-written scanners) has
// Unicode 15.0; the engines the tokenizers library runs (Oniguruma for
// tokenizer.json's regexes, Rust's char and regex tables) have Unicode 16.0,
// which assigned 5,812 more code points: letters (Garay, Gurung Khema, Kirat
// Rai, Ol Onal, Sunuwar, Todhri, Tulu-Tigalari, Egyptian hieroglyphs,
// CJK extension I, Cyrillic U+1C89..), marks, digits, punctuation and
// symbols. unicode16 lists them by general category, as the library's
// Oniguruma reports them (\p{Lu}, \p{Mn}, ... on every code point), so
// that Load classifies them as the library does. One older code point
// changed category (U+1171E, Mn to Mc); it is listed under Mc and still
// matches \p{Mn} here, the one difference left.
var unicode16 = map[string]*unicode.RangeTable{
	"Ll": {R16: []unicode.Range16{{0x1C8A, 0x1C8A, 1}, {0xA7CD, 0xA7CD, 1}, {0xA7DB, 0xA7DB, 1}}, R32: []unicode.Range32{{0x10D70, 0x10D85, 1}}},
	"Lm": {R32: []unicode.Range32{{0x10D4E, 0x10D4E, 1}, {0x10D6F, 0x10D6F, 1}, {0x16D40, 0x16D42, 1}, {0x16D6B, 0x16D6C, 1}}},
	"Lo": {R32: []unicode.Range32{{0x105C0, 0x105F3, 1}, {0x10D4A, 0x10D4D, 1}, {0x10D4F, 0x10D4F, 1}, {0x10EC2, 0x10EC4, 1}, {0x11380, 0x11389, 1}, {0x1138B, 0x1138B, 1}, {0x1138E, 0x1138E, 1}, {0x11390, 0x113B5, 1}, {0x113B7, 0x113B7, 1}, {0x113D1, 0x113D1, 1}, {0x113D3, 0x113D3, 1}, {0x11BC0, 0x11BE0, 1}, {0x13460, 0x143FA, 1}, {0x16100, 0x1611D, 1}, {0x16D43, 0x16D6A, 1}, {0x18CFF, 0x18CFF, 1}, {0x1E5D0, 0x1E5ED, 1}, {0x1E5F0, 0x1E5F0, 1}, {0x2EBF0, 0x2EE5D, 1}}},
	"Lu": {R16: []unicode.Range16{{0x1C89, 0x1C89, 1}, {0xA7CB, 0xA7CC, 1}, {0xA7DA, 0xA7DA, 1}, {0xA7DC, 0xA7DC, 1}}, R32: []unicode.Range32{{0x10D50, 0x10D65, 1}}},
	"Mc": {R32: []unicode.Range32{{0x1171E, 0x1171E, 1}, {0x113B8, 0x113BA, 1}, {0x113C2, 0x113C2, 1}, {0x113C5, 0x113C5, 1}, {0x113C7, 0x113CA, 1}, {0x113CC, 0x113CD, 1}, {0x113CF, 0x113CF, 1}, {0x1612A, 0x1612C, 1}}},
	"Mn": {R16: []unicode.Range16{{0x0897, 0x0897, 1}}, R32: []unicode.Range32{{0x10D69, 0x10D6D, 1}, {0x10EFC, 0x10EFC, 1}, {0x113BB, 0x113C0, 1}, {0x113CE, 0x113CE, 1}, {0x113D0, 0x113D0, 1}, {0x113D2, 0x113D2, 1}, {0x113E1, 0x113E2, 1}, {0x11F5A, 0x11F5A, 1}, {0x1611E, 0x16129, 1}, {0x1612D, 0x1612F, 1}, {0x1E5EE, 0x1E5EF, 1}}},
	"Nd": {R32: []unicode.Range32{{0x10D40, 0x10D49, 1}, {0x116D0, 0x116E3, 1}, {0x11BF0, 0x11BF9, 1}, {0x16130, 0x16139, 1}, {0x16D70, 0x16D79, 1}, {0x1CCF0, 0x1CCF9, 1}, {0x1E5F1, 0x1E5FA, 1}}},
	"Pd": {R32: []unicode.Range32{{0x10D6E, 0x10D6E, 1}}},
	"Po": {R16: []unicode.Range16{{0x1B4E, 0x1B4F, 1}, {0x1B7F, 0x1B7F, 1}}, R32: []unicode.Range32{{0x113D4, 0x113D5, 1}, {0x113D7, 0x113D8, 1}, {0x11BE1, 0x11BE1, 1}, {0x16D6D, 0x16D6F, 1}, {0x1E5FF, 0x1E5FF, 1}}},
	"Sm": {R32: []unicode.Range32{{0x10D8E, 0x10D8F, 1}}},
	"So": {R16: []unicode.Range16{{0x2427, 0x2429, 1}, {0x2FFC, 0x2FFF, 1}, {0x31E4, 0x31E5, 1}, {0x31EF, 0x31EF, 1}}, R32: []unicode.Range32{{0x1CC00, 0x1CCEF, 1}, {0x1CD00, 0x1CEB3, 1}, {0x1F8B2, 0x1F8BB, 1}, {0x1F8C0, 0x1F8C1, 1}, {0x1FA89, 0x1FA89, 1}, {0x1FA8F, 0x1FA8F, 1}, {0x1FABE, 0x1FABE, 1}, {0x1FAC6, 0x1FAC6, 1}, {0x1FADC, 0x1FADC, 1}, {0x1FADF, 0x1FADF, 1}, {0x1FAE9, 0x1FAE9, 1}, {0x1FBCB, 0x1FBEF, 1}}},
}

// unicode16Major holds unicode16 merged by major category (L, M, N, P, S),
// and by the subcategories too, so that any \p{..} name looks up here.
var unicode16Major = func() map[string]*unicode.RangeTable {
	m := map[string]*unicode.RangeTable{}
	byMajor := map[string][]*unicode.RangeTable{}
	for name, t := range unicode16 {
		m[name] = t
		byMajor[name[:1]] = append(byMajor[name[:1]], t)
	}
	for major, ts := range byMajor {
		m[major] = rangetable.Merge(ts...)
	}
	return m
}()

// unicode16Min is below every code point of unicode16.
const unicode16Min = 0x897

// isLetter is \p{L} as the library sees it.
func isLetter(r rune) bool {
	return unicode.IsLetter(r) || r >= unicode16Min && unicode.Is(unicode16Major["L"], r)
}

// isNumber is \p{N} (Rust's char::is_numeric) as the library sees it.
func isNumber(r rune) bool {
	return unicode.IsNumber(r) || r >= unicode16Min && unicode.Is(unicode16Major["N"], r)
}

// isMark is \p{M} as the library sees it.
func isMark(r rune) bool {
	return unicode.Is(unicode.M, r) || r >= unicode16Min && unicode.Is(unicode16Major["M"], r)
}

// in16 reports whether r is in one of the named categories of unicode16.
func in16(r rune, names ...string) bool {
	if r < unicode16Min {
		return false
	}
	for _, n := range names {
		if t := unicode16Major[n]; t != nil && unicode.Is(t, r) {
			return true
		}
	}
	return false
}

// classRanges16 writes the code points of unicode16 in category name as the
// body of a regexp2 character class, "" when there are none.
func classRanges16(name string) string {
	t := unicode16Major[name]
	if t == nil {
		return ""
	}
	var b strings.Builder
	for _, r := range t.R16 {
		if r.Stride == 1 {
			fmt.Fprintf(&b, `\u%04X-\u%04X`, r.Lo, r.Hi)
			continue
		}
		for c := r.Lo; c <= r.Hi; c += r.Stride {
			fmt.Fprintf(&b, `\u%04X`, c)
		}
	}
	for _, r := range t.R32 {
		if r.Stride == 1 {
			fmt.Fprintf(&b, "%c-%c", rune(r.Lo), rune(r.Hi))
			continue
		}
		for c := r.Lo; c <= r.Hi; c += r.Stride {
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}
