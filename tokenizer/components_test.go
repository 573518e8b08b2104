package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// tinyJSON is a small SentencePiece-style tokenizer.json; parts of it are
// replaced by the tests below.
const tinyJSON = `{
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 9, "content": "<m>", "single_word": false, "lstrip": true, "rstrip": true, "normalized": false, "special": false},
    {"id": 10, "content": "ca", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false, "special": false}
  ],
  "normalizer": NORMALIZER,
  "pre_tokenizer": PRETOKENIZER,
  "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": false,
    "vocab": {"<unk>": 0, "<s>": 1, "a": 2, "b": 3, "▁": 4, "▁a": 5, "ab": 6, "▁ab": 7, "c": 8},
    "merges": ["▁ a", "a b", "▁a b"]},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}
}`

func tiny(t *testing.T, normalizer, pretok string) *Tokenizer {
	t.Helper()
	js := strings.NewReplacer("NORMALIZER", normalizer, "PRETOKENIZER", pretok).Replace(tinyJSON)
	tk, err := parse([]byte(js))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return tk
}

func TestTinyMetaspace(t *testing.T) {
	tk := tiny(t, "null", `{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}`)
	for _, c := range []struct {
		in   string
		want []int
	}{
		{"ab ab", []int{7, 7}},
		{"a x", []int{5, 4, 0}},           // unknown "x" becomes <unk>
		{"a xyz", []int{5, 4, 0}},         // fused unknowns
		{"ab<m> ab", []int{7, 9, 7}},      // <m> takes the spaces around it (lstrip/rstrip)
		{"cab ca", []int{4, 8, 6, 4, 10}}, // "ca" is single_word: not matched inside "cab"
		{"ca", []int{10}},
		{"", nil},
	} {
		if got := tk.Encode(c.in, false); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := tk.Encode("ab", true); !slices.Equal(got, []int{1, 7}) {
		t.Errorf("Encode with special = %v, want [1 7]", got)
	}
	if got := tk.Decode([]int{1, 7, 5, 3}, true); got != "ab ab" {
		t.Errorf("Decode skipping specials = %q", got)
	}
	if got := tk.Decode([]int{1, 7}, false); got != "<s> ab" {
		t.Errorf("Decode = %q", got)
	}
	if tk.VocabSize() != 11 {
		t.Errorf("VocabSize = %d, want 11", tk.VocabSize())
	}
	if id, ok := tk.TokenID("<m>"); !ok || id != 9 {
		t.Errorf("TokenID(<m>) = %d, %v", id, ok)
	}
	if _, ok := tk.TokenID("zzz"); ok {
		t.Error("TokenID(zzz) found")
	}
}

func TestSplitBehaviors(t *testing.T) {
	p := piece{text: "a-b--c", id: -1}
	ms := literal("-").findAll(p.text)
	for _, c := range []struct {
		b      behavior
		invert bool
		want   []string
	}{
		{removed, false, []string{"a", "b", "c"}},
		{isolated, false, []string{"a", "-", "b", "-", "-", "c"}},
		{mergedWithPrevious, false, []string{"a-", "b-", "-", "c"}},
		{mergedWithNext, false, []string{"a", "-b", "-", "-c"}},
		{contiguous, false, []string{"a", "-", "b", "--", "c"}},
		{removed, true, []string{"-", "-", "-"}},
	} {
		var got []string
		for _, q := range splitPiece(p, ms, c.b, c.invert, nil) {
			got = append(got, q.text)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("behavior %d invert %v: %q, want %q", c.b, c.invert, got, c.want)
		}
	}
}

func TestUnsupportedFeaturesFail(t *testing.T) {
	base := tinyJSON
	for _, c := range []struct{ old, new, want string }{
		{`"type": "BPE"`, `"type": "Unigram"`, `"Unigram"`},
		{`"type": "BPE"`, `"type": "WordPiece"`, `"WordPiece"`},
		{"NORMALIZER", `{"type": "BertNormalizer"}`, `"BertNormalizer"`},
		{"NORMALIZER", `{"type": "Lowercase"}`, `"Lowercase"`},
		{"PRETOKENIZER", `{"type": "Whitespace"}`, `"Whitespace"`},
		{`{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}
}`, `{"type": "CTC"}}`, `"CTC"`},
		{`"post_processor": {"type": "TemplateProcessing"`, `"post_processor": {"type": "Weird"`, `"Weird"`},
		{`"dropout": null`, `"dropout": 0.1`, "dropout"},
		{`"merges": ["▁ a"`, `"merges": ["▁ q"`, "merge 0"},
	} {
		js := strings.Replace(base, c.old, c.new, 1)
		js = strings.NewReplacer("NORMALIZER", "null", "PRETOKENIZER", "null").Replace(js)
		_, err := parse([]byte(js))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s", c.new, err, c.want)
		}
	}
}

func TestNormalizersAndReplace(t *testing.T) {
	tk := tiny(t, `{"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Strip", "strip_left": true, "strip_right": true}, {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"Regex": " +"}, "content": "▁"}]}`, "null")
	if got := tk.Encode("  ａｂ    ab ", false); !slices.Equal(got, []int{7, 7}) { // NFKC turns fullwidth "ａｂ" into "ab"
		t.Errorf("Encode = %v, want [7 7]", got)
	}
}

func TestInvalidUTF8(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a\xffb", "a\uFFFDb"},
		{"\xf0\x9f\x98", "\uFFFD"},                   // truncated 4-byte sequence: one U+FFFD
		{"\xe2\x82x\xc0\xaf", "\uFFFDx\uFFFD\uFFFD"}, // overlong: one per byte
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},       // surrogate
		{"ok", "ok"},
	} {
		if got := validUTF8(c.in); got != c.want {
			t.Errorf("validUTF8(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	tk := loadFamily(t, "llama3")
	if got, want := tk.Encode("x\xffy", false), tk.Encode("x\uFFFDy", false); !slices.Equal(got, want) {
		t.Errorf("invalid UTF-8: %v, want %v", got, want)
	}
}

func TestRealTokenizerAccessors(t *testing.T) {
	for _, c := range []struct {
		fam      string
		vocab    int
		bos, eos int
		hasBOS   bool
		probe    string
		probeID  int
	}{
		{"llama3", 128256, 128000, 128009, true, "<|begin_of_text|>", 128000},
		{"qwen3", 151669, 0, 151645, false, "<|im_start|>", 151644},
		{"llama2", 32000, 0, 0, false, "▁the", 278},
		{"mistral", 32000, 1, 2, true, "▁the", 272},
		{"stories260K", 512, 1, 2, true, "<s>", 1},
	} {
		tk := loadFamily(t, c.fam)
		if tk.VocabSize() != c.vocab {
			t.Errorf("%s: VocabSize = %d, want %d", c.fam, tk.VocabSize(), c.vocab)
		}
		if id, ok := tk.TokenID(c.probe); !ok || id != c.probeID {
			t.Errorf("%s: TokenID(%q) = %d, %v; want %d", c.fam, c.probe, id, ok, c.probeID)
		}
		if id, ok := tk.BOS(); ok != c.hasBOS || (ok && id != c.bos) {
			t.Errorf("%s: BOS = %d, %v", c.fam, id, ok)
		}
		if id, ok := tk.EOS(); c.eos != 0 && (!ok || id != c.eos) {
			t.Errorf("%s: EOS = %d, %v; want %d", c.fam, id, ok, c.eos)
		}
	}
}

func TestLoadPaths(t *testing.T) {
	dir := fixture.Stories260K()
	for _, p := range []string{dir, filepath.Join(dir, "tokenizer.json")} {
		if _, err := Load(p); err != nil {
			t.Errorf("Load(%s): %v", p, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("Load of a missing path: no error")
	}
	bad := filepath.Join(t.TempDir(), "tokenizer.json")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Load of bad JSON: %v", err)
	}
}

// TestSingleWordBoundaries checks single_word against Hugging Face's \w
// (Rust regex: Alphabetic, Join_Control, Nd, M, Pc): a letter number, an
// Other_Alphabetic symbol or a ZWJ next to the token makes it part of a word.
func TestSingleWordBoundaries(t *testing.T) {
	tk := tiny(t, "null", `{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}`)
	for _, c := range []struct {
		in   string
		want []int
	}{
		{"Ⅻca", []int{4, 0, 8, 2}},      // U+216B, Nl
		{"Ⓐca", []int{4, 0, 8, 2}},      // U+24B6, So but Other_Alphabetic
		{"\u200dca", []int{4, 0, 8, 2}}, // ZWJ, Join_Control
		{"ca\u200d", []int{4, 8, 2, 0}}, // after the token too
		{"!ca", []int{4, 0, 10}},        // punctuation is no word character
		{"😀ca", []int{4, 0, 10}},        // nor is an emoji
	} {
		if got := tk.Encode(c.in, false); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestRStripResumesAtMatchEnd checks that the search for the next added
// token resumes where the rstrip token's match ended, not after the spaces
// it strips, as in Hugging Face's find_matches: " b" is still found there.
func TestRStripResumesAtMatchEnd(t *testing.T) {
	js := strings.NewReplacer("NORMALIZER", "null",
		"PRETOKENIZER", `{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}`,
		`"content": "ca", "single_word": true`, `"content": " b", "single_word": false`).Replace(tinyJSON)
	tk, err := parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   string
		want []int
	}{
		{"a<m> b", []int{5, 9, 10}},
		{"a<m>  b", []int{5, 9, 10}}, // found inside the stripped spaces too
		{"a<m>b", []int{5, 9, 4, 3}},
	} {
		if got := tk.Encode(c.in, false); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
