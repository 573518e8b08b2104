package tokenizer

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestUnicode16 checks code points assigned in Unicode 15.1 and 16.0, which
// Go's unicode package (15.0) does not know and the tokenizers library's
// engines do: in the hand-written scanners (Llama 3, o200k, Qwen 3.5), in
// regexes run by regexp2, in Digits and in single_word. The wants come from
// tokenizers 0.23.3 (0.22.2 agrees):
//
//	from tokenizers import pre_tokenizers as P, Regex
//	[s for s, _ in P.Split(Regex(pat), "isolated").pre_tokenize_str(text)]
func TestUnicode16(t *testing.T) {
	const text = "x\u1c89\u1c8a \U000105C0\U000105C1! \U00010D40\U00010D41\U00010D42\U00010D43 a\u0897b \u2427\u2428 \U00016D40q"
	for _, c := range []struct {
		name, pat string
		want      []string
	}{
		{"llama3", llama3Pattern, []string{"x\u1c89\u1c8a", " \U000105c0\U000105c1", "!", " ", "\U00010d40\U00010d41\U00010d42", "\U00010d43", " a", "\u0897b", " \u2427\u2428", " \U00016d40q"}},
		{"o200k", o200kPattern, []string{"x", "\u1c89\u1c8a", " \U000105c0\U000105c1", "!", " ", "\U00010d40\U00010d41\U00010d42", "\U00010d43", " a\u0897b", " \u2427\u2428", " \U00016d40q"}},
		{"qwen35", qwen35Pattern, []string{"x\u1c89\u1c8a", " \U000105c0\U000105c1", "!", " ", "\U00010d40", "\U00010d41", "\U00010d42", "\U00010d43", " a\u0897b", " \u2427\u2428", " \U00016d40q"}},
		{"pl", `\p{L}+`, []string{"x\u1c89\u1c8a", " ", "\U000105c0\U000105c1", "! \U00010d40\U00010d41\U00010d42\U00010d43 ", "a", "\u0897", "b", " \u2427\u2428 ", "\U00016d40q"}},
		{"d", `\d+`, []string{"x\u1c89\u1c8a \U000105c0\U000105c1! ", "\U00010d40\U00010d41\U00010d42\U00010d43", " a\u0897b \u2427\u2428 \U00016d40q"}},
		{"w", `\w+`, []string{"x\u1c89\u1c8a", " ", "\U000105c0\U000105c1", "! ", "\U00010d40\U00010d41\U00010d42\U00010d43", " ", "a\u0897b", " \u2427\u2428 ", "\U00016d40q"}},
		{"npl", `[^\p{L}\s]+`, []string{"x\u1c89\u1c8a \U000105c0\U000105c1", "!", " ", "\U00010d40\U00010d41\U00010d42\U00010d43", " a", "\u0897", "b ", "\u2427\u2428", " \U00016d40q"}},
		{"Pl", `\P{L}+`, []string{"x\u1c89\u1c8a", " ", "\U000105c0\U000105c1", "! \U00010d40\U00010d41\U00010d42\U00010d43 ", "a", "\u0897", "b", " \u2427\u2428 ", "\U00016d40q"}},
	} {
		js, _ := json.Marshal(map[string]any{"type": "Split", "pattern": map[string]string{"Regex": c.pat},
			"behavior": "Isolated", "invert": false})
		pt, err := newPreTokenizer(js)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range pt.preTokenize([]piece{{text: text, id: -1, first: true}}) {
			got = append(got, p.text)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %+q, want %+q", c.name, got, c.want)
		}
	}

	// P.Digits(individual_digits=True).pre_tokenize_str("a\U00010D40\U00010D41b")
	var got []string
	for _, p := range (&digitsPT{individual: true}).preTokenize([]piece{{text: "a\U00010D40\U00010D41b", id: -1}}) {
		got = append(got, p.text)
	}
	if want := []string{"a", "\U00010D40", "\U00010D41", "b"}; !slices.Equal(got, want) {
		t.Errorf("Digits: %+q, want %+q", got, want)
	}

	// A single_word added token "ab" right after U+1C89 (a letter since 16.0)
	// is not a word of its own: Tokenizer.from_str(file).encode(text).ids.
	tk, err := parse([]byte(`{"version": "1.0", "added_tokens": [{"id": 3, "content": "ab", "single_word": true,
		"lstrip": false, "rstrip": false, "normalized": false, "special": false}],
		"normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
		"model": {"type": "BPE", "dropout": null, "unk_token": "u", "fuse_unk": false, "byte_fallback": false,
		"vocab": {"u": 0, "a": 1, "b": 2}, "merges": []}}`))
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]int{"\u1c89ab": {0, 1, 2}, "\U000105C0ab": {0, 1, 2}, "\u0897ab": {0, 1, 2}, "x ab": {0, 0, 3}} {
		if got := tk.Encode(text, false); !slices.Equal(got, want) {
			t.Errorf("single_word after %+q: %v, want %v", text, got, want)
		}
	}
}
