package gguf

import (
	"encoding/json"
	"fmt"

	"github.com/qfilters/qfilters/tokenizer"
)

// gemma4: tokenizer.ggml.model "gemma4", Gemma 4's SentencePiece-style BPE:
// spaces are written "▁", merges (by rank) run over the text as it is, in
// UTF-8 rather than GPT-2's byte characters, and characters without a token
// fall back to the <0xXX> byte tokens. llama.cpp always adds the BOS for
// these files, whatever tokenizer.ggml.add_bos_token says.
//
// llama.cpp also cuts the text at newlines first and takes a run of
// newlines whole when it is a token. Hugging Face's tokenizer.json for Gemma
// has no pre-tokenizer; the pipeline here is that file's, whose ids the
// safetensors twin was trained on. Both agree whenever no merge joins a
// newline to other text and newline runs merge to their own token, as in a
// vocabulary trained this way.
func (b *tokBuilder) gemma4() (*tokenizer.Tokenizer, error) {
	v, ok := b.g.Value("tokenizer.ggml.merges")
	if !ok {
		return nil, fmt.Errorf("tokenizer model gemma4 needs tokenizer.ggml.merges")
	}
	merges, ok := v.Strings()
	if !ok {
		return nil, fmt.Errorf("tokenizer.ggml.merges is not a list of strings")
	}
	unk, err := b.special("tokenizer.ggml.unknown_token_id", -1)
	if err != nil {
		return nil, err
	}
	model := map[string]any{"type": "BPE", "merges": merges, "byte_fallback": true, "fuse_unk": true}
	if unk >= 0 {
		model["unk_token"] = b.tokens[unk]
	}
	file := map[string]any{
		"normalizer": map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		"model":      model,
		"decoder": map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
		}},
	}
	b.forceBOS = true
	cfg, err := b.common(-1, -1, true, file)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(file)
	if err != nil {
		return nil, err
	}
	return tokenizer.FromJSON(data, cfg)
}
