package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The Split regexes of Llama 3 and Qwen 2/3 (as written in tokenizer.json).
// They differ only in how many digits one match may hold.
const (
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwenPattern   = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// knownScanner returns a hand-written scanner for expr when there is one.
// Each scanner gives exactly the matches of the regex (TestScannerMatchesRegex
// checks this against regexp2 on random text); it is only much faster.
func knownScanner(expr string) pattern {
	switch expr {
	case llama3Pattern:
		return llamaScanner{maxDigits: 3}
	case qwenPattern:
		return llamaScanner{maxDigits: 1}
	case qwen35Pattern:
		return llamaScanner{maxDigits: 1, marks: true}
	case o200kPattern:
		return o200kScanner{}
	}
	return nil
}

// llamaScanner matches the Llama 3 / Qwen pattern. Its alternatives, tried
// in order at each position:
//
//  1. "(?i:'s|'t|'re|'ve|'m|'ll|'d)": an English contraction;
//  2. "[^\r\n\p{L}\p{N}]?\p{L}+": letters, with one optional leading
//     character that is not a newline, letter or number;
//  3. "\p{N}{1,maxDigits}": numbers;
//  4. " ?[^\s\p{L}\p{N}]+[\r\n]*": other symbols, with an optional leading
//     space and trailing newlines;
//  5. "\s*[\r\n]+": white space up to its last newline;
//  6. "\s+(?!\S)": white space, leaving its last character to the next
//     word unless it ends the text;
//  7. "\s+": white space.
//
// Every character starts some alternative, so the matches tile the text.
//
// With marks (Qwen 3.5's pattern), \p{M} counts as a letter in 2 and is
// kept out of the symbols of 4: "[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+" and
// " ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*".
type llamaScanner struct {
	maxDigits int
	marks     bool
}

// word is the letter class of alternative 2.
func (sc llamaScanner) word(r rune) bool { return isL(r) || sc.marks && isMark(r) }

// other is the symbol class of alternative 4.
func (sc llamaScanner) other(r rune) bool {
	return isOther(r) && !(sc.marks && isMark(r))
}

// Character classes, as Oniguruma (and regexp2, after onigTranslate) define
// them: \p{L}, \p{N} (with Unicode 16's, see unicode16.go) and \s (Unicode
// White_Space).
func isL(r rune) bool     { return isLetter(r) }
func isN(r rune) bool     { return isNumber(r) }
func isS(r rune) bool     { return unicode.IsSpace(r) }
func isOther(r rune) bool { return !isS(r) && !isL(r) && !isN(r) }
func isNL(r rune) bool    { return r == '\r' || r == '\n' }

func (sc llamaScanner) findAll(s string) [][2]int {
	out := make([][2]int, 0, len(s)/4+1)
	for i := 0; i < len(s); {
		j := sc.matchAt(s, i)
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// decode returns the rune at s[i:] and its size; (-1, 0) at the end.
func decode(s string, i int) (rune, int) {
	if i >= len(s) {
		return -1, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// skip advances from i over runes satisfying f, at most max of them
// (max < 0: no limit), and returns the new position.
func skip(s string, i int, f func(rune) bool, max int) int {
	for n := 0; max < 0 || n < max; n++ {
		r, size := decode(s, i)
		if size == 0 || !f(r) {
			break
		}
		i += size
	}
	return i
}

// matchAt returns the end of the match starting at i (i < len(s)).
func (sc llamaScanner) matchAt(s string, i int) int {
	r0, n0 := decode(s, i)
	r1, n1 := decode(s, i+n0)
	// 1. Contractions, case-insensitively as Oniguruma compares (Unicode
	// case folding: "ſ", U+017F, folds to "s"; see onigFold).
	if r0 == '\'' && n1 > 0 {
		switch unicode.ToLower(r1) {
		case 's', 't', 'm', 'd', 'ſ':
			return i + n0 + n1
		case 'r', 'v':
			if r2, n2 := decode(s, i+n0+n1); n2 > 0 && unicode.ToLower(r2) == 'e' {
				return i + n0 + n1 + n2
			}
		case 'l':
			if r2, n2 := decode(s, i+n0+n1); n2 > 0 && unicode.ToLower(r2) == 'l' {
				return i + n0 + n1 + n2
			}
		}
	}
	// 2. Letters, with an optional leading non-newline, non-letter, non-number.
	if sc.word(r0) {
		return skip(s, i+n0, sc.word, -1)
	}
	if !isNL(r0) && !isN(r0) && n1 > 0 && sc.word(r1) {
		return skip(s, i+n0+n1, sc.word, -1)
	}
	// 3. Numbers.
	if isN(r0) {
		return skip(s, i+n0, isN, sc.maxDigits-1)
	}
	// 4. Symbols.
	if r0 == ' ' && n1 > 0 && sc.other(r1) {
		return skip(s, skip(s, i+n0+n1, sc.other, -1), isNL, -1)
	}
	if sc.other(r0) {
		return skip(s, skip(s, i+n0, sc.other, -1), isNL, -1)
	}
	// r0 is white space.
	return sc.spaceEnd(s, i)
}

// spaceEnd matches alternatives 5-7 at white space s[i:]: the run up to its
// last newline, else the run less its last character when a word follows,
// else the whole run.
func (llamaScanner) spaceEnd(s string, i int) int {
	end, lastNL, lastStart := i, -1, i
	for end < len(s) {
		r, size := decode(s, end)
		if !isS(r) {
			break
		}
		if isNL(r) {
			lastNL = end
		}
		lastStart = end
		end += size
	}
	switch {
	case lastNL >= 0: // 5.
		return lastNL + 1
	case end == len(s) || lastStart == i: // 6 at the end of the text, or 7.
		return end
	default: // 6: leave the last white space character to the next match.
		return lastStart
	}
}
