package main

import (
	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/tokenizer"
)

// loadTokenizer reads the tokenizer of a model: tokenizer.json in a
// checkpoint directory, or the vocabulary in a GGUF file's metadata.
func loadTokenizer(path string) (*tokenizer.Tokenizer, error) {
	if model.IsGGUF(path) {
		return gguf.LoadTokenizer(path)
	}
	return tokenizer.Load(path)
}
