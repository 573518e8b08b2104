package gguf

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// TestTokenizer2026: the stand-in tokenizers of the 2026 families
// (testdata/tokenizers/<family>, built by python/goldens/tokenizers2026.py),
// written into GGUF metadata as llama.cpp's converter writes them, under the
// tokenizer.ggml.pre (or, for Gemma 4, tokenizer.ggml.model) llama.cpp gives
// each family, encode every fixture text to the ids of the tokenizers
// library; with special tokens, as llama.cpp adds them.
func TestTokenizer2026(t *testing.T) {
	for _, c := range []struct {
		family, model, pre string
		extra              []KV
	}{
		{"gpt_oss", "gpt2", "gpt-4o", nil},
		{"qwen3_5", "gpt2", "qwen35", nil},
		// The converter writes add_bos_token from Llama 4's tokenizer files.
		{"llama4", "gpt2", "llama4", []KV{{"tokenizer.ggml.add_bos_token", true}}},
		{"tekken", "gpt2", "tekken", nil},
		// Cohere 2 (command-r): llama.cpp adds no BOS unless told to; the
		// converter writes add_bos_token from the tokenizer files.
		{"cohere2", "gpt2", "command-r", []KV{{"tokenizer.ggml.add_bos_token", true}}},
		// OLMo 2 / 3's cl100k split: llama.cpp has no olmo2/olmo3 name; dbrx
		// is its cl100k pre-tokenizer (Llama 3's split, no BOS by default).
		{"olmo3", "gpt2", "dbrx", nil},
		// Granite 3.x (StarCoder's tokenizer): refact.
		{"granite", "gpt2", "refact", nil},
		// Gemma 4: llama.cpp adds the BOS even when told not to.
		{"gemma4", "gemma4", "", []KV{{"tokenizer.ggml.add_bos_token", false}}},
	} {
		t.Run(c.family, func(t *testing.T) {
			dir := fixture.Path("tokenizers", c.family)
			kvs := ggufVocab(t, dir, c.pre)
			byteTok := regexp.MustCompile(`^<0x[0-9A-F]{2}>$`)
			var tokens []string
			var types []int32
			for i := range kvs {
				switch kvs[i].Key {
				case "tokenizer.ggml.model":
					kvs[i].Val = c.model
				case "tokenizer.ggml.tokens":
					tokens = kvs[i].Val.([]string)
				case "tokenizer.ggml.token_type":
					types = kvs[i].Val.([]int32)
				}
			}
			if c.model == "gemma4" {
				for id, s := range tokens {
					if byteTok.MatchString(s) {
						types[id] = tokByte
					}
				}
			}
			if c.pre == "" {
				kvs = slices.DeleteFunc(kvs, func(kv KV) bool { return kv.Key == "tokenizer.ggml.pre" })
			}
			kvs = append(kvs, c.extra...)
			tok, _, err := LoadTokenizer(writeTemp(t, EncodeFile(3, 0, kvs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			var cases []struct {
				Text        string `json:"text"`
				IDs         []int  `json:"ids"`
				WithSpecial []int  `json:"ids_with_special"`
			}
			data, err := os.ReadFile(fixture.Path("tokenizers", c.family+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &cases); err != nil {
				t.Fatal(err)
			}
			var bad []string
			for _, k := range cases {
				if got := tok.Encode(k.Text, false); !slices.Equal(got, k.IDs) {
					bad = append(bad, fmt.Sprintf("%.40q:\n got %v\nwant %v", k.Text, got, k.IDs))
				}
				if got := tok.Encode(k.Text, true); !slices.Equal(got, k.WithSpecial) {
					bad = append(bad, fmt.Sprintf("%.40q with special tokens:\n got %v\nwant %v", k.Text, got, k.WithSpecial))
				}
			}
			if len(bad) > 0 {
				t.Errorf("%d of %d encodings differ:\n%s", len(bad), 2*len(cases), strings.Join(bad, "\n"))
			}
		})
	}
}

// TestGemma4TokenizerRefusals: a gemma4 vocabulary without merges is one
// clear error.
func TestGemma4TokenizerRefusals(t *testing.T) {
	kvs := []KV{{"general.architecture", "gemma4"}, {"tokenizer.ggml.model", "gemma4"},
		{"tokenizer.ggml.tokens", []string{"<pad>", "<eos>", "<bos>", "a"}}}
	_, _, err := LoadTokenizer(writeTemp(t, EncodeFile(3, 0, kvs, nil)))
	if err == nil || !strings.Contains(err.Error(), "gemma4 needs tokenizer.ggml.merges") {
		t.Fatalf("err = %v", err)
	}
}
