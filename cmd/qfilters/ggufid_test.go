package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// TestGGUFTokenizerIdentity: a GGUF file's tokenizer is named by its
// tokenizer.* metadata (not by hashing a file of gigabytes), read with it:
// it changes with the tokenizer, not with other metadata.
func TestGGUFTokenizerIdentity(t *testing.T) {
	src, err := os.ReadFile(fixture.Path("stories260K-gguf", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	id := func(edit func([]byte) []byte) string {
		p := filepath.Join(t.TempDir(), "m.gguf")
		writeFile(t, p, edit(append([]byte(nil), src...)))
		_, s, err := loadTokenizer(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	same := func(b []byte) []byte { return b }
	base := id(same)
	if len(base) != 64 || id(same) != base {
		t.Fatalf("identity %q is not a stable SHA-256", base)
	}
	if id(func(b []byte) []byte {
		key := []byte("tokenizer.ggml.bos_token_id")
		at := bytes.Index(b, key) + len(key) + 4 // the uint32 value after its type
		binary.LittleEndian.PutUint32(b[at:], binary.LittleEndian.Uint32(b[at:])+1)
		return b
	}) == base {
		t.Error("changing the BOS token left the identity unchanged")
	}
	if id(func(b []byte) []byte { return ggufSetString(b, "general.architecture", "bertx") }) != base {
		t.Error("metadata outside tokenizer.* changed the identity")
	}
}

// TestStatsGGUF: qfilters stats reads a GGUF file's tokenizer too.
func TestStatsGGUF(t *testing.T) {
	tmp := t.TempDir()
	code, _, stderr := runCLI(t, "stats", "--model", fixture.Path("stories260K-gguf", "stories260K.gguf"), "--corpus", fixture.StoriesCorpus(),
		"--num-samples", "2", "--sample-chars", "200", "--n-sink", "4", "--out", filepath.Join(tmp, "out"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
