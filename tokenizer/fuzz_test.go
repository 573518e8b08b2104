package tokenizer

import (
	"slices"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// byteLevelFamilies can represent any text, so decoding what they encode
// gives the text back (after the normalizer: NFC for Qwen 3).
var byteLevelFamilies = []string{"llama3", "qwen3", "deepseek_v3"}

// FuzzEncode checks that no input makes any tokenizer panic, that byte-level
// tokenizers round-trip valid UTF-8 through Encode and Decode, and that the
// hand-written split scanners agree with regexp2 on the input.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", " ", "\n", "Hello world", "I'm you're he'll",
		"<|begin_of_text|>x<|end_of_text|>", "<s>[INST] hi [/INST]</s>", "\xff\xfe a \xe2\x82",
		"  \t\n\r\n x", "12345 日本語 😀👩‍👩‍👧", "e\u0301 \u00a0\u2009 'S 'LL ſ"} {
		f.Add(s)
	}
	all := append(slices.Clone(families), "stories260K")
	toks := make(map[string]*Tokenizer, len(all))
	for _, fam := range all {
		toks[fam] = loadFamily(f, fam)
	}
	var regexes []*regex
	var scanners []pattern
	for _, expr := range []string{llama3Pattern, qwenPattern, qwen35Pattern, o200kPattern} {
		re, err := compileRegexp2(expr)
		if err != nil {
			f.Fatal(err)
		}
		regexes = append(regexes, re)
		scanners = append(scanners, knownScanner(expr))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fam := range all {
			tk := toks[fam]
			ids := tk.Encode(s, false)
			withSpecial := tk.Encode(s, true)
			if len(withSpecial) < len(ids) {
				t.Fatalf("%s: %d ids with special tokens, %d without", fam, len(withSpecial), len(ids))
			}
			for _, id := range withSpecial {
				if id < 0 || id >= tk.VocabSize() {
					t.Fatalf("%s: id %d out of range", fam, id)
				}
			}
			tk.Decode(withSpecial, true)
		}
		if !utf8.ValidString(s) {
			return
		}
		for _, fam := range byteLevelFamilies {
			want := s
			if fam == "qwen3" {
				want = norm.NFC.String(s)
			}
			if got := toks[fam].Decode(toks[fam].Encode(s, false), false); got != want {
				t.Errorf("%s: Decode(Encode(%q)) = %q", fam, s, got)
			}
		}
		v := validUTF8(s)
		for i, sc := range scanners {
			if got, want := sc.findAll(v), regexes[i].findAll(v); !slices.Equal(got, want) {
				t.Errorf("scanner %d on %q: %v, regexp2 %v", i, v, got, want)
			}
		}
	})
}
