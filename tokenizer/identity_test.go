package tokenizer

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIdentity: the tokenizer files name a tokenizer by content, not place;
// tokenizer_config.json counts.
func TestIdentity(t *testing.T) {
	a, b := t.TempDir(), filepath.Join(t.TempDir(), "b")
	os.MkdirAll(b, 0o755)
	for _, d := range []string{a, b} {
		os.WriteFile(filepath.Join(d, "tokenizer.json"), []byte(`{"model": {}}`), 0o644)
	}
	id := func(p string) string {
		t.Helper()
		s, err := Identity(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if id(a) != id(b) || id(a) != id(filepath.Join(a, "tokenizer.json")) {
		t.Fatal("same tokenizer hashes apart")
	}
	os.WriteFile(filepath.Join(b, "tokenizer_config.json"), []byte(`{"legacy": false}`), 0o644)
	if id(a) == id(b) {
		t.Fatal("tokenizer_config.json ignored")
	}
	if _, err := Identity(filepath.Join(a, "missing")); err == nil {
		t.Fatal("missing tokenizer: no error")
	}
}
