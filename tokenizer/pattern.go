package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/dlclark/regexp2"
)

// pattern finds the non-overlapping matches of a Split or Replace pattern,
// returned as byte spans of s.
type pattern interface {
	findAll(s string) [][2]int
}

// newPattern decodes {"String": "..."} or {"Regex": "..."}.
func newPattern(raw json.RawMessage) (pattern, error) {
	var j struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	switch {
	case j.String != nil:
		if *j.String == "" {
			return nil, errors.New("pattern: empty String pattern")
		}
		return literal(*j.String), nil
	case j.Regex != nil:
		return compileRegex(*j.Regex)
	}
	return nil, errors.New(`pattern: neither "String" nor "Regex"`)
}

// literal matches a fixed string.
type literal string

func (l literal) findAll(s string) [][2]int {
	var out [][2]int
	for i := 0; ; {
		k := strings.Index(s[i:], string(l))
		if k < 0 {
			return out
		}
		out = append(out, [2]int{i + k, i + k + len(l)})
		i += k + len(l)
	}
}

// compileRegex compiles a tokenizer.json regex. Hugging Face runs these with
// Oniguruma; regexp2's default (.NET) syntax agrees with it on what these
// files use: \p{..} general categories, Unicode \s, (?i:...), look-ahead.
// Patterns with a hand-written scanner (see scanner.go) use that instead.
func compileRegex(expr string) (pattern, error) {
	if sc := knownScanner(expr); sc != nil {
		return sc, nil
	}
	return compileRegexp2(expr)
}

// compileRegexp2 compiles expr with regexp2, with no fast path. Oniguruma's
// (Ruby) syntax is first rewritten where .NET's reads the same text
// differently (see onigTranslate); ^ and $ match at every line, as in Ruby.
func compileRegexp2(expr string) (*regex, error) {
	tr, err := onigTranslate(onigFold(expr))
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", expr, err)
	}
	re, err := regexp2.Compile(tr, regexp2.Multiline)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", expr, err)
	}
	return &regex{re: re}, nil
}

// onigWordClass is the body of a character class holding Oniguruma's Unicode
// \w as written inside a class ("[\w']"): Alphabetic (letters, letter
// numbers, Other_Alphabetic), marks, decimal digits and connector
// punctuation. Outside a class, Oniguruma's \w, \W and \b also count the
// Latin-1 superscript digits and fractions as word characters
// (onigLatin1Word). Both checked against the tokenizers library on every
// code point below U+30000. .NET's \w differs: it has the joiners
// U+200C/U+200D and lacks spacing marks and "Ⓐ".
const onigLatin1Word = `\u00B2\u00B3\u00B9\u00BC-\u00BE`

var onigWordClass = func() string {
	var b strings.Builder
	b.WriteString(`\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}`)
	b.WriteString(classRanges16("L") + classRanges16("M") + classRanges16("Nd"))
	for _, r := range unicode.Other_Alphabetic.R16 {
		for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
			fmt.Fprintf(&b, `\u%04X`, c)
		}
	}
	for _, r := range unicode.Other_Alphabetic.R32 {
		for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
			b.WriteRune(c)
		}
	}
	return b.String()
}()

// onigTranslate rewrites the constructs that Oniguruma and regexp2 both
// accept but read differently: \w and \W (as onigWordClass), \b and \B
// (as look-arounds on it), ^ (in Multiline mode, regexp2's also matches at
// the end of a text that ends with a newline; Ruby's does not), the inline
// option m (Ruby's dot-matches-newline, .NET's s), the quantifier {,n}
// (Ruby's {0,n}, .NET's literal text), and \d,
// \D, \p{..} and \P{..}, which get the code points Unicode 16 assigned
// (unicode16.go; \p{C} and \p{Cn} still count those as unassigned).
// Constructs with no faithful rewrite are refused rather than run with
// another meaning: a '[' inside a character class (a nested class or a
// POSIX bracket such as [[:alpha:]], which regexp2 would take as literal
// characters), class intersection "&&", and, inside a class, \W, \D and
// a \P{..} that Unicode 16 changed.
func onigTranslate(expr string) (string, error) {
	word := "[" + onigWordClass + onigLatin1Word + "]"
	var b strings.Builder
	inClass := false
	classStart := 0 // where the current class's items begin
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if c == '\\' && i+1 < len(expr) {
			d := expr[i+1]
			switch {
			case d == 'w' && inClass:
				b.WriteString(onigWordClass)
			case d == 'w':
				b.WriteString(word)
			case d == 'W' && inClass:
				return "", fmt.Errorf(`\W inside a character class is not supported`)
			case d == 'W':
				b.WriteString("[^" + onigWordClass + onigLatin1Word + "]")
			case d == 'd' && inClass:
				b.WriteString(`\d` + classRanges16("Nd"))
			case d == 'd':
				b.WriteString(`[\d` + classRanges16("Nd") + "]")
			case d == 'D' && inClass:
				return "", fmt.Errorf(`\D inside a character class is not supported`)
			case d == 'D':
				b.WriteString(`[^\d` + classRanges16("Nd") + "]")
			case (d == 'p' || d == 'P') && i+2 < len(expr) && expr[i+2] == '{':
				// \p{X}: add what Unicode 16 assigned to X (unicode16.go).
				end := strings.IndexByte(expr[i:], '}')
				if end < 0 {
					return "", fmt.Errorf(`unterminated \%c{`, d)
				}
				prop := expr[i : i+end+1]
				extra := classRanges16(prop[3 : len(prop)-1])
				switch {
				case extra == "":
					b.WriteString(prop)
				case inClass && d == 'p':
					b.WriteString(prop + extra)
				case inClass:
					return "", fmt.Errorf(`%s inside a character class is not supported`, prop)
				case d == 'p':
					b.WriteString("[" + prop + extra + "]")
				default:
					b.WriteString("[^" + `\p` + prop[2:] + extra + "]")
				}
				i += end
				continue
			case d == 'b' && !inClass:
				fmt.Fprintf(&b, "(?:(?<=%s)(?!%s)|(?<!%s)(?=%s))", word, word, word, word)
			case d == 'B' && !inClass:
				fmt.Fprintf(&b, "(?:(?<=%s)(?=%s)|(?<!%s)(?!%s))", word, word, word, word)
			default:
				b.WriteByte(c)
				b.WriteByte(d)
			}
			i++
			continue
		}
		switch {
		case !inClass && c == '(' && strings.HasPrefix(expr[i:], "(?"):
			// Inline options: Ruby's m is .NET's s (dot matches newline); ^ and
			// $ always work by line (Multiline). Other letters are refused
			// (Oniguruma refuses s too).
			j := i + 2
			for j < len(expr) && (expr[j] == '-' || 'a' <= expr[j] && expr[j] <= 'z') {
				j++
			}
			if j == i+2 || j == len(expr) || (expr[j] != ':' && expr[j] != ')') {
				break
			}
			b.WriteString("(?")
			for _, o := range expr[i+2 : j] {
				switch o {
				case 'i', 'x', '-':
					b.WriteRune(o)
				case 'm':
					b.WriteByte('s')
				default:
					return "", fmt.Errorf("regex option %q is not supported", o)
				}
			}
			i = j - 1
			continue
		case !inClass && c == '{' && i > 0 && expr[i-1] != '(' && expr[i-1] != '|' && onigUpTo(expr[i:]):
			// Ruby's {,n} is {0,n}; .NET reads it as the literal text.
			b.WriteString("{0")
			continue
		case !inClass && c == '^':
			// Ruby's ^ is not at the end of the text, even after a newline.
			b.WriteString(`(?:^(?!\z))`)
			continue
		case !inClass && c == '[':
			inClass = true
			classStart = i + 1
			if i+1 < len(expr) && expr[i+1] == '^' {
				classStart++
			}
		case inClass && c == ']' && i > classStart:
			inClass = false
		case inClass && c == '[':
			return "", fmt.Errorf("a nested character class or POSIX bracket ([[:alpha:]]) is not supported")
		case inClass && c == '&' && i+1 < len(expr) && expr[i+1] == '&':
			return "", fmt.Errorf(`character class intersection "&&" is not supported`)
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// onigFold rewrites the contractions group of the Llama 3 / Qwen / GPT-4
// style regexes so that regexp2, whose (?i) compares lower-cased characters,
// matches what Oniguruma's Unicode case folding matches: "'ſ" (U+017F folds
// to "s") is the contraction "'s" there, and "'ſtuff" splits as "'ſ" "tuff".
func onigFold(expr string) string {
	return strings.ReplaceAll(expr, "(?i:'s|", "(?i:'[sſ]|")
}

// regex is a pattern backed by regexp2.
type regex struct{ re *regexp2.Regexp }

func (r *regex) findAll(s string) [][2]int {
	if s == "" {
		return nil
	}
	runes := []rune(s)
	// byteAt[i] is the byte offset of rune i.
	byteAt := make([]int, len(runes)+1)
	off := 0
	for i, c := range runes {
		byteAt[i] = off
		off += runeLen(c)
	}
	byteAt[len(runes)] = off
	var out [][2]int
	lastEnd := -1 // where the last reported match ended
	m, err := r.re.FindRunesMatch(runes)
	for err == nil && m != nil {
		a, b := m.Index, m.Index+m.Length
		// Hugging Face iterates with the onig crate, which drops an empty
		// match right where the previous match ended ("x*" on "xa" matches
		// "x" and the empty string at the end, not the one after "x");
		// regexp2 reports it. Both then search on from the next character.
		if a != b || a != lastEnd {
			out = append(out, [2]int{byteAt[a], byteAt[b]})
			lastEnd = b
		}
		m, err = r.re.FindNextMatch(m)
	}
	return out
}

// runeLen is utf8.RuneLen for the runes []rune(s) can hold (invalid bytes
// become U+FFFD, which the input no longer has after validUTF8).
func runeLen(c rune) int {
	switch {
	case c < 0x80:
		return 1
	case c < 0x800:
		return 2
	case c < 0x10000:
		return 3
	}
	return 4
}

// onigUpTo reports whether s starts with "{,n}", n decimal digits.
func onigUpTo(s string) bool {
	if !strings.HasPrefix(s, "{,") {
		return false
	}
	j := 2
	for j < len(s) && '0' <= s[j] && s[j] <= '9' {
		j++
	}
	return j > 2 && j < len(s) && s[j] == '}'
}
