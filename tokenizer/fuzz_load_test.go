package tokenizer

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// FuzzLoad feeds arbitrary bytes as a tokenizer.json. Load must never panic;
// a tokenizer it accepts must encode and decode a few texts without
// panicking and give ids inside its vocabulary.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "assets", "stories260K", "tokenizer.json")); err == nil {
		f.Add(b)
	}
	// The real tokenizers are megabytes: too slow to mutate. Their shape
	// (normalizers, pre-tokenizers, post-processors, decoders, added tokens)
	// is what matters, so each is cut down to a few hundred tokens.
	for _, fam := range families {
		if b, err := os.ReadFile(filepath.Join(fixture.SharedDir(), "tokenizers", fam, "tokenizer.json")); err == nil {
			if small, ok := shrinkTokenizer(b, 300); ok {
				f.Add(small)
			}
		}
	}
	for _, s := range []string{
		`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}`,
		`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]], "byte_fallback": true, "unk_token": "a"},
		  "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first"},
		  "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
		  "added_tokens": [{"id": 3, "content": "<s>", "special": true}],
		  "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [3], "tokens": ["<s>"]}}},
		  "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}}`,
		`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}}`,
		`{"model": {"type": "Unigram"}}`,
		`{"model": {"type": "BPE", "vocab": {"a": -1}}}`,
		`{"model": {"type": "BPE", "vocab": {}}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(((("}, "behavior": "Isolated"}}`,
		`{"model": null}`, `null`, `[]`, `{`, ``,
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		`{"model": ` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000) + `}`,
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "tokenizer.json")
	texts := []string{"", "Hello world", "<s> a <|endoftext|>b\n\n  c", "\xff\xfe日本語 😀", "ab ab aab"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tk, err := Load(path)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, path+": ") {
				t.Fatalf("error does not name the file: %q", msg)
			}
			return
		}
		for _, s := range texts {
			for _, special := range []bool{false, true} {
				ids := tk.Encode(s, special)
				for _, id := range ids {
					if id < 0 || id >= tk.VocabSize() {
						t.Fatalf("Encode(%q, %v): id %d outside vocabulary of %d", s, special, id, tk.VocabSize())
					}
				}
				tk.Decode(ids, true)
				tk.Decode(ids, false)
			}
		}
		tk.Decode([]int{-1, 0, tk.VocabSize(), math.MaxInt}, false)
	})
}

// shrinkTokenizer keeps the first n ids of a BPE tokenizer.json's vocabulary
// and the merges among them, and everything else as it is.
func shrinkTokenizer(b []byte, n int) ([]byte, bool) {
	var doc map[string]any
	if json.Unmarshal(b, &doc) != nil {
		return nil, false
	}
	m, ok := doc["model"].(map[string]any)
	if !ok {
		return nil, false
	}
	vocab, _ := m["vocab"].(map[string]any)
	kept := map[string]any{}
	for tok, id := range vocab {
		if f, ok := id.(float64); ok && f < float64(n) {
			kept[tok] = id
		}
	}
	m["vocab"] = kept
	var merges []any
	merges0, _ := m["merges"].([]any)
	for _, mg := range merges0 {
		var l, r string
		switch v := mg.(type) {
		case string:
			l, r, _ = strings.Cut(v, " ")
		case []any:
			if len(v) == 2 {
				l, _ = v[0].(string)
				r, _ = v[1].(string)
			}
		}
		_, okL := kept[l]
		_, okR := kept[r]
		_, okLR := kept[l+r]
		if okL && okR && okLR {
			merges = append(merges, mg)
		}
	}
	m["merges"] = merges
	out, err := json.Marshal(doc)
	return out, err == nil
}
