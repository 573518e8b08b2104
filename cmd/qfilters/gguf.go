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

// tokenizerIdentity names the tokenizer loadTokenizer reads by content: the
// bytes of tokenizer.json (and tokenizer_config.json), or for a GGUF file
// its tokenizer.* metadata.
func tokenizerIdentity(path string) (string, error) {
	if model.IsGGUF(path) {
		return gguf.TokenizerIdentity(path)
	}
	return tokenizer.Identity(path)
}
