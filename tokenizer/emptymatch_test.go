package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// TestEmptyMatches checks patterns that can match the empty string, in a
// Split pre-tokenizer and a Replace normalizer, against the tokenizers
// library (0.22.2 and 0.23.3). An empty match cuts the text (and inserts a
// Replace's content) where it is, except right where the previous match
// ended, as the onig crate's iterator skips it there:
//
//	from tokenizers import pre_tokenizers as P, normalizers as N, Regex
//	[s for s, _ in P.Split(Regex(pat), behavior, invert=inv).pre_tokenize_str(text)]
//	N.Replace(Regex(pat), "Z").normalize_str(text)
func TestEmptyMatches(t *testing.T) {
	for _, c := range []struct {
		pat, behavior string
		invert        bool
		text          string
		want          []string
	}{
		{"(?=a)", "Removed", false, "banana", []string{"b", "an", "an", "a"}},
		{"x*", "Isolated", false, "bxxa", []string{"b", "xx", "a"}},
		{`\s*`, "Contiguous", false, "a  b", []string{"a", "  ", "b"}},
		{"(?=a)", "MergedWithNext", true, "banana", []string{"b", "an", "an", "a"}},
		{"(?<=l)", "MergedWithPrevious", false, "hello", []string{"hel", "l", "o"}},
		{"a?", "Removed", false, "baab", []string{"b", "b"}},
	} {
		js, _ := json.Marshal(map[string]any{"type": "Split", "pattern": map[string]string{"Regex": c.pat},
			"behavior": c.behavior, "invert": c.invert})
		pt, err := newPreTokenizer(js)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range pt.preTokenize([]piece{{text: c.text, id: -1, first: true}}) {
			got = append(got, p.text)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Split %q %s invert=%v on %q = %q, want %q", c.pat, c.behavior, c.invert, c.text, got, c.want)
		}
	}
	for _, c := range []struct{ pat, text, want string }{
		{"x*", "xa", "ZaZ"},
		{"(?=a)", "banana", "bZanZanZa"},
		{"a?", "baab", "ZbZZbZ"},
		{`\s*`, "a b", "ZaZbZ"},
	} {
		js := fmt.Sprintf(`{"type": "Replace", "pattern": {"Regex": %q}, "content": "Z"}`, c.pat)
		n, err := newNormalizer(json.RawMessage(js))
		if err != nil {
			t.Fatal(err)
		}
		if got := n.normalize(c.text); got != c.want {
			t.Errorf("Replace %q on %q = %q, want %q", c.pat, c.text, got, c.want)
		}
	}
}
