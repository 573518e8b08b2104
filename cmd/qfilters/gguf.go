package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

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
// its tokenizer.* metadata (hashing the file itself would read gigabytes).
func tokenizerIdentity(path string) (string, error) {
	if !model.IsGGUF(path) {
		return tokenizer.Identity(path)
	}
	f, err := gguf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	var b [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
		h.Write(b[:])
		h.Write([]byte(s))
	}
	for _, k := range f.Keys() {
		if strings.HasPrefix(k, "tokenizer.") {
			v, _ := f.Value(k)
			str(k)
			str(fmt.Sprintf("%d/%d", v.Type, v.Elem))
			if ss, ok := v.Strings(); ok {
				for _, s := range ss {
					str(s) // tokens may hold spaces: each one length-prefixed
				}
			} else {
				str(v.String())
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
