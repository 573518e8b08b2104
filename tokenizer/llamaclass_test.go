package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLlamaClassPipeline: with a tokenizer_config.json naming LlamaTokenizer,
// a SentencePiece-style file is encoded as transformers' AutoTokenizer does
// (no normalizer, Metaspace with the config's prepend scheme); without one,
// or for a file that is not SentencePiece-style, as the file says.
func TestLlamaClassPipeline(t *testing.T) {
	legacyNorm := `{"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}`
	spm := strings.NewReplacer("NORMALIZER", legacyNorm, "PRETOKENIZER", "null",
		`"byte_fallback": false`, `"byte_fallback": true`).Replace(tinyJSON)
	noFallback := strings.NewReplacer("NORMALIZER", legacyNorm, "PRETOKENIZER", "null").Replace(tinyJSON)

	// Vocabulary: <s>=1 a=2 b=3 ▁=4 ▁a=5 ab=6 ▁ab=7.
	type tc struct {
		in   string
		want []int
	}
	for _, c := range []struct {
		name, file, config string
		cases              []tc
	}{
		{"no config: the file's Prepend normalizer", spm, "", []tc{
			{"ab", []int{1, 7}}, {" ab", []int{1, 4, 7}}, {"<s>ab", []int{1, 1, 7}},
		}},
		{"another class", spm, `{"tokenizer_class": "PreTrainedTokenizerFast"}`, []tc{
			{" ab", []int{1, 4, 7}},
		}},
		{"legacy true: always", spm, `{"tokenizer_class": "LlamaTokenizer", "legacy": true}`, []tc{
			{"ab", []int{1, 7}}, {" ab", []int{1, 7}}, {"<s>ab", []int{1, 1, 7}}, {"ab ab", []int{1, 7, 7}},
		}},
		{"legacy absent (false): first", spm, `{"tokenizer_class": "LlamaTokenizerFast"}`, []tc{
			{"ab", []int{1, 7}}, {" ab", []int{1, 7}}, {"<s>ab", []int{1, 1, 6}}, {"<s> ab", []int{1, 1, 7}},
		}},
		{"add_prefix_space false: never", spm, `{"tokenizer_class": "LlamaTokenizer", "add_prefix_space": false, "legacy": true}`, []tc{
			{"ab", []int{1, 6}}, {" ab", []int{1, 7}},
		}},
		// transformers rebuilds a file without byte_fallback the same way, and
		// its model has no unk token: "x" is dropped, not <unk> (0).
		// AutoTokenizer.from_pretrained(dir)(text)["input_ids"], 5.2 and 5.23.
		{"no byte fallback: rebuilt all the same", noFallback, `{"tokenizer_class": "LlamaTokenizer", "legacy": true}`, []tc{
			{" ab", []int{1, 7}}, {"x ab", []int{1, 4, 7}}, {"cab ca", []int{1, 4, 8, 6, 4, 10}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(c.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tk, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range c.cases {
				if got := tk.Encode(e.in, true); !slices.Equal(got, e.want) {
					t.Errorf("Encode(%q) = %v, want %v", e.in, got, e.want)
				}
			}
			if c.file == noFallback {
				// The rebuilt decoder: tokenizer.decode([1, 4, 7]) == "<s>  ab".
				if got := tk.Decode([]int{1, 4, 7}, false); got != "<s>  ab" {
					t.Errorf("Decode = %q, want %q", got, "<s>  ab")
				}
			}
		})
	}
}

// TestLlamaClassConfigErrors: flags of the wrong type are load errors.
func TestLlamaClassConfigErrors(t *testing.T) {
	for _, cfg := range []string{
		`{"tokenizer_class": 3}`,
		`{"legacy": "yes"}`,
		`{"add_prefix_space": 1}`,
	} {
		var c tokenizerConfig
		if err := c.parse([]byte(cfg)); err == nil {
			t.Errorf("parse(%s) succeeded", cfg)
		}
	}
}
