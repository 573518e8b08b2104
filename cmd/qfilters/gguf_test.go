package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// ggufModel points e.model at a copy of stories260K.gguf after edit.
func ggufModel(t *testing.T, e *hostileEnv, edit func(b []byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(fixture.Path("stories260K-gguf", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	e.model = filepath.Join(e.root, "stories260K.gguf")
	writeFile(t, e.model, edit(b))
}

// ggufSetType rewrites the type of a tensor of stories260K.gguf.
func ggufSetType(b []byte, name string, dims int, typ uint32) []byte {
	at := bytes.Index(b, []byte(name)) + len(name) + 4 + 8*dims
	binary.LittleEndian.PutUint32(b[at:], typ)
	return b
}

// ggufSetString overwrites a string value of stories260K.gguf with one of
// the same length.
func ggufSetString(b []byte, key, val string) []byte {
	at := bytes.Index(b, []byte(key)) + len(key) + 4 + 8
	copy(b[at:], val)
	return b
}

func ggufHostileCases() []hostileCase {
	return []hostileCase{
		{"GGUF file with a bad magic (GGML)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return append([]byte("GGML"), b[4:]...) })
		}, 1, "not a GGUF file"},
		{"GGUF version 1", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 1); return b })
		}, 1, "GGUF version 1 is not supported"},
		{"GGUF truncated (last 100 bytes cut)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return b[:len(b)-100] })
		}, 1, "past the end of the file"},
		{"GGUF tensor of an unknown type (99)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetType(b, "output_norm.weight", 1, 99) })
		}, 1, "unknown type 99"},
		{"GGUF tensor of a type qfilters cannot dequantize (Q4_1)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetType(b, "token_embd.weight", 2, 3) })
		}, 1, "has type Q4_1"},
		{"GGUF of an unsupported architecture (bertx)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetString(b, "general.architecture", "bertx") })
		}, 1, `GGUF architecture "bertx" is not supported`},
		{"GGUF with an unsupported tokenizer model (bertx), text corpus", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetString(b, "tokenizer.ggml.model", "bertx") })
		}, 1, `tokenizer model "bertx" is not supported`},
	}
}
