package main

import (
	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/tokenizer"
)

// loadTokenizer reads the tokenizer of a model: tokenizer.json in a
// checkpoint directory, or the vocabulary in a GGUF file's metadata. The
// identity names it by the content it was built from (what provenance and
// shard checks compare), taken from the same read.
func loadTokenizer(path string) (tok *tokenizer.Tokenizer, identity string, err error) {
	if model.IsGGUF(path) {
		return gguf.LoadTokenizer(path)
	}
	if tok, err = tokenizer.Load(path); err != nil {
		return nil, "", err
	}
	return tok, tok.Identity(), nil
}
