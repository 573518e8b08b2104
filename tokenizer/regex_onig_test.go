package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestOnigSyntax checks regex constructs that Oniguruma (which the tokenizers
// library runs tokenizer.json's patterns with) and regexp2 both accept but
// read differently: \w, \W, \b, \B, ^ and $. The wants come from tokenizers
// 0.23.3 (0.22.2 agrees):
//
//	from tokenizers import pre_tokenizers as P, Regex
//	[s for s, _ in P.Split(Regex(pat), behavior).pre_tokenize_str(text)]
func TestOnigSyntax(t *testing.T) {
	for _, c := range []struct {
		pat, behavior, text string
		want                []string
	}{
		{`\b`, "Isolated", "①② ² x ⓐb", []string{"①② ", "²", " ", "x", " ", "ⓐb"}},
		{`\w+`, "Isolated", "a\u200db x²y कि", []string{"a", "\u200d", "b", " ", "x²y", " ", "कि"}},
		{`\W+`, "Removed", "a\u200db x²y", []string{"a", "b", "x²y"}},
		{`[\w']+`, "Isolated", "it's x²\u200dy", []string{"it's", " ", "x", "²\u200d", "y"}},
		{`$`, "Isolated", "a\nb\n", []string{"a", "\nb", "\n"}},
		{`^`, "Isolated", "a\nb\n", []string{"a\n", "b\n"}},
		{`^\s+|\s+$`, "Removed", "  a  \n  b  ", []string{"a", "\n", "b"}},
		{`^\s*`, "Removed", "a\n", []string{"a\n"}},
		{`\B`, "Isolated", "ab c", []string{"a", "b c"}},
		// Ruby's {,n} is {0,n}.
		{`a{,2}`, "Isolated", "aaa{,2}b", []string{"aa", "a", "{", ",", "2", "}", "b"}},
		{`(a|b){,2}x`, "Isolated", "abx bbbx", []string{"abx", " b", "bbx"}},
		// Ruby's option m is "dot matches newline".
		{`(?m:a.b)`, "Isolated", "xa\nbyAbab aab A", []string{"x", "a\nb", "yAbab ", "aab", " A"}},
		{`(?im)a.b`, "Isolated", "xa\nbyAbab", []string{"x", "a\nb", "yAbab"}},
	} {
		js, _ := json.Marshal(map[string]any{"type": "Split", "pattern": map[string]string{"Regex": c.pat},
			"behavior": c.behavior, "invert": false})
		pt, err := newPreTokenizer(js)
		if err != nil {
			t.Fatalf("%q: %v", c.pat, err)
		}
		var got []string
		for _, p := range pt.preTokenize([]piece{{text: c.text, id: -1, first: true}}) {
			got = append(got, p.text)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Split %q %s on %q = %q, want %q", c.pat, c.behavior, c.text, got, c.want)
		}
	}
	// Ruby's ^ does not match at the end of a text ending with a newline:
	// N.Replace(Regex("^"), "Z").normalize_str("a\nb\n") == "Za\nZb\n".
	n, err := newNormalizer(json.RawMessage(`{"type": "Replace", "pattern": {"Regex": "^"}, "content": "Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := n.normalize("a\nb\n"); got != "Za\nZb\n" {
		t.Errorf("Replace ^ = %q, want %q", got, "Za\nZb\n")
	}
}

// TestOnigSyntaxRefused checks that patterns regexp2 would silently read
// otherwise than Oniguruma are refused with an error naming the construct:
// regexp2 takes "[[:alpha:]]" as the class "[[:alph]" then "]".
func TestOnigSyntaxRefused(t *testing.T) {
	for pat, want := range map[string]string{
		`[[:alpha:]]+`:  "POSIX bracket",
		`[a[bc]]`:       "nested character class",
		`[a-z&&[^aei]]`: `"&&"`,
		`[a-z&&b]`:      `intersection "&&"`,
		`[^\W\d]`:       `\W inside a character class`,
		`(?s:a.b)`:      `option 's'`, // Oniguruma refuses it too
	} {
		js, _ := json.Marshal(map[string]string{"Regex": pat})
		_, err := newPattern(js)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one naming %s", pat, err, want)
		}
	}
	// Escaped brackets and "&&" outside a class are plain characters.
	for _, pat := range []string{`[\[\]]`, `a&&b`, `[]a]`, `[^]a]`} {
		if _, err := compileRegexp2(pat); err != nil {
			t.Errorf("%q: %v", pat, err)
		}
	}
}
