package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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

// compileRegexp2 compiles expr with regexp2, with no fast path.
func compileRegexp2(expr string) (*regex, error) {
	re, err := regexp2.Compile(onigFold(expr), regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", expr, err)
	}
	return &regex{re: re}, nil
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
