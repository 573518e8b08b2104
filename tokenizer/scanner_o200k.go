package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// o200kScanner matches o200kPattern. Its alternatives, tried in order at
// each position, with P = [^\r\n\p{L}\p{N}], U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}],
// W = [\p{Ll}\p{Lm}\p{Lo}\p{M}] and C an optional English contraction
// (?i:'s|'t|'re|'ve|'m|'ll|'d):
//
//  1. P? U* W+ C: a word whose lower-case part ends it ("Hello", "iPhone"
//     is "i" then "Phone");
//  2. P? U+ W* C: an upper-case word ("HTTP", "DON'T");
//  3. \p{N}{1,3}: numbers by up to three digits;
//  4. " ?[^\s\p{L}\p{N}]+[\r\n/]*": symbols;
//  5. white space, as alternatives 5-7 of llamaScanner.
//
// U and W share Lm, Lo and M, so alternative 1 backtracks as the regex
// does: U* gives back characters from its end until W+ can start.
type o200kScanner struct{}

func isU(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Lt, unicode.Lm, unicode.Lo, unicode.M) ||
		in16(r, "Lu", "Lt", "Lm", "Lo", "M")
}

func isW(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z'
	}
	return unicode.In(r, unicode.Ll, unicode.Lm, unicode.Lo, unicode.M) || in16(r, "Ll", "Lm", "Lo", "M")
}

func isP(r rune) bool { return !isNL(r) && !isL(r) && !isN(r) }

func isNLOrSlash(r rune) bool { return r == '\r' || r == '\n' || r == '/' }

func (sc o200kScanner) findAll(s string) [][2]int {
	out := make([][2]int, 0, len(s)/4+1)
	for i := 0; i < len(s); {
		j := sc.matchAt(s, i)
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// contraction returns the length of the contraction at s[i:], or 0.
// Case-insensitive as Oniguruma compares (see onigFold).
func contraction(s string, i int) int {
	r0, n0 := decode(s, i)
	if r0 != '\'' {
		return 0
	}
	r1, n1 := decode(s, i+n0)
	if n1 == 0 {
		return 0
	}
	switch unicode.ToLower(r1) {
	case 's', 't', 'm', 'd', 'ſ':
		return n0 + n1
	case 'r', 'v':
		if r2, n2 := decode(s, i+n0+n1); n2 > 0 && unicode.ToLower(r2) == 'e' {
			return n0 + n1 + n2
		}
	case 'l':
		if r2, n2 := decode(s, i+n0+n1); n2 > 0 && unicode.ToLower(r2) == 'l' {
			return n0 + n1 + n2
		}
	}
	return 0
}

// lowerEnd matches "U* W+ C" from q: the end, or -1.
func lowerEnd(s string, q int) int {
	e := skip(s, q, isU, -1)
	for t := e; ; {
		if r, n := decode(s, t); n > 0 && isW(r) {
			end := skip(s, t+n, isW, -1)
			return end + contraction(s, end)
		}
		if t == q {
			return -1
		}
		_, n := utf8.DecodeLastRuneInString(s[q:t])
		t -= n
	}
}

// upperEnd matches "U+ W* C" from q: the end, or -1.
func upperEnd(s string, q int) int {
	e := skip(s, q, isU, -1)
	if e == q {
		return -1
	}
	end := skip(s, e, isW, -1)
	return end + contraction(s, end)
}

// matchAt returns the end of the match starting at i (i < len(s)).
func (sc o200kScanner) matchAt(s string, i int) int {
	r0, n0 := decode(s, i)
	// 1 and 2, each first with the optional leading P, then without.
	for _, word := range [2]func(string, int) int{lowerEnd, upperEnd} {
		if isP(r0) {
			if end := word(s, i+n0); end >= 0 {
				return end
			}
		}
		if end := word(s, i); end >= 0 {
			return end
		}
	}
	// 3. Numbers.
	if isN(r0) {
		return skip(s, i+n0, isN, 2)
	}
	// 4. Symbols.
	r1, n1 := decode(s, i+n0)
	if r0 == ' ' && n1 > 0 && isOther(r1) {
		return skip(s, skip(s, i+n0+n1, isOther, -1), isNLOrSlash, -1)
	}
	if isOther(r0) {
		return skip(s, skip(s, i+n0, isOther, -1), isNLOrSlash, -1)
	}
	// r0 is white space: as the Llama 3 pattern.
	return llamaScanner{}.spaceEnd(s, i)
}
