package gguf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/tokenizer"
)

// gpt2Chars is GPT-2's byte-to-character table (bytes_to_unicode): printable
// bytes stand for themselves, the others for 256+n in order.
func gpt2Chars() []string {
	out := make([]string, 256)
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			out[b] = string(rune(b))
		} else {
			out[b] = string(rune(256 + n))
			n++
		}
	}
	return out
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBPETokenizer: a small byte-level BPE vocabulary written as llama.cpp
// writes one (tokenizer.ggml.model gpt2), encoded with the pre-tokenizer
// and BOS rule each tokenizer.ggml.pre implies.
func TestBPETokenizer(t *testing.T) {
	tokens := gpt2Chars()
	types := make([]int32, 256)
	for i := range types {
		types[i] = tokNormal
	}
	add := func(s string, ty int32) int {
		tokens = append(tokens, s)
		types = append(types, ty)
		return len(tokens) - 1
	}
	add("Ġt", tokNormal)
	he, Gthe := add("he", tokNormal), add("Ġthe", tokNormal)
	eot := add("<|endoftext|>", tokControl)
	bot := add("<|begin_of_text|>", tokControl)
	merges := []string{"Ġ t", "h e", "Ġt he"}
	file := func(pre string, extra ...KV) string {
		kvs := []KV{{"general.architecture", "llama"}, {"tokenizer.ggml.model", "gpt2"},
			{"tokenizer.ggml.tokens", tokens}, {"tokenizer.ggml.token_type", types},
			{"tokenizer.ggml.merges", merges}, {"tokenizer.ggml.bos_token_id", uint32(bot)},
			{"tokenizer.ggml.eos_token_id", uint32(eot)}}
		if pre != "" {
			kvs = append(kvs, KV{"tokenizer.ggml.pre", pre})
		}
		return writeTemp(t, EncodeFile(3, 0, append(kvs, extra...), nil))
	}
	words := []int{int('t'), he, Gthe} // "the the": "the" has no Ġ; " the" merges fully
	for _, c := range []struct {
		name  string
		path  string
		withS []int
	}{
		{"llama-bpe adds BOS", file("llama-bpe"), append([]int{bot}, words...)},
		{"qwen2 adds none", file("qwen2"), words},
		{"gpt-2 adds none", file("gpt-2"), words},
		{"add_bos_token wins", file("qwen2", KV{"tokenizer.ggml.add_bos_token", true}), append([]int{bot}, words...)},
		{"add_bos_token false", file("llama-bpe", KV{"tokenizer.ggml.add_bos_token", false}), words},
		{"add_eos_token", file("gpt-2", KV{"tokenizer.ggml.add_eos_token", true}), append(slices.Clone(words), eot)},
	} {
		tok, _, err := LoadTokenizer(c.path)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := tok.Encode("the the", false); !slices.Equal(got, words) {
			t.Errorf("%s: %v, want %v", c.name, got, words)
		}
		if got := tok.Encode("the the", true); !slices.Equal(got, c.withS) {
			t.Errorf("%s: with special tokens %v, want %v", c.name, got, c.withS)
		}
		if got := tok.Encode("he<|endoftext|>", false); !slices.Equal(got, []int{he, eot}) {
			t.Errorf("%s: control token in text: %v", c.name, got)
		}
		if s := tok.Decode(tok.Encode("the the", true), true); s != "the the" {
			t.Errorf("%s: decode %q", c.name, s)
		}
	}
	if _, _, err := LoadTokenizer(file("unheard-of")); err == nil {
		t.Error("unknown pre-tokenizer accepted")
	}
	tokens[he] = "h\xffe"
	if _, _, err := LoadTokenizer(file("gpt-2")); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("invalid UTF-8 token: %v", err)
	}
}

// TestBPETokenizerReal: real byte-level BPE vocabularies (Llama 3, Qwen 3),
// written into a GGUF as llama.cpp's converter writes them, give the ids the
// Hugging Face tokenizers library gives on the fixture texts; with special
// tokens, Llama 3's BOS comes from llama.cpp's llama-bpe default.
func TestBPETokenizerReal(t *testing.T) {
	for _, c := range []struct{ family, pre string }{{"llama3", "llama-bpe"}, {"qwen3", "qwen2"}} {
		t.Run(c.family, func(t *testing.T) {
			dir := fixture.Shared(t, "tokenizers", c.family)
			path := writeTemp(t, EncodeFile(3, 0, ggufVocab(t, dir, c.pre), nil))
			tok, _, err := LoadTokenizer(path)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(fixture.Path("tokenizers", c.family+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var cases []struct {
				Text        string `json:"text"`
				IDs         []int  `json:"ids"`
				WithSpecial []int  `json:"ids_with_special"`
			}
			if err := json.Unmarshal(data, &cases); err != nil {
				t.Fatal(err)
			}
			for _, k := range cases {
				if got := tok.Encode(k.Text, false); !slices.Equal(got, k.IDs) {
					t.Errorf("%.40q:\n got %v\nwant %v", k.Text, got, k.IDs)
				}
				if got := tok.Encode(k.Text, true); !slices.Equal(got, k.WithSpecial) {
					t.Errorf("%.40q with special tokens:\n got %v\nwant %v", k.Text, got, k.WithSpecial)
				}
			}
		})
	}
}

// ggufVocab turns a tokenizer.json into llama.cpp's tokenizer metadata:
// tokens by id, added tokens as control tokens, merges as "a b".
func ggufVocab(t *testing.T, dir, pre string) []KV {
	hf, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Added []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
		Model struct {
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	n := hf.VocabSize()
	tokens := make([]string, n)
	types := make([]int32, n)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("[PAD%d]", i)
		types[i] = tokUnused
	}
	for s, id := range j.Model.Vocab {
		tokens[id], types[id] = s, tokNormal
	}
	for _, a := range j.Added {
		tokens[a.ID], types[a.ID] = a.Content, tokControl
	}
	var merges []string
	for _, m := range j.Model.Merges {
		var s string
		if json.Unmarshal(m, &s) == nil {
			merges = append(merges, s)
			continue
		}
		var pair []string
		if err := json.Unmarshal(m, &pair); err != nil || len(pair) != 2 {
			t.Fatalf("merge %s", m)
		}
		merges = append(merges, pair[0]+" "+pair[1])
	}
	kvs := []KV{{"tokenizer.ggml.model", "gpt2"}, {"tokenizer.ggml.pre", pre},
		{"tokenizer.ggml.tokens", tokens}, {"tokenizer.ggml.token_type", types}, {"tokenizer.ggml.merges", merges}}
	if bos, ok := hf.BOS(); ok {
		kvs = append(kvs, KV{"tokenizer.ggml.bos_token_id", uint32(bos)})
	}
	if eos, ok := hf.EOS(); ok {
		kvs = append(kvs, KV{"tokenizer.ggml.eos_token_id", uint32(eos)})
	}
	sort.SliceStable(kvs, func(a, b int) bool { return kvs[a].Key < kvs[b].Key })
	return kvs
}
