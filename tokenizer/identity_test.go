package tokenizer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// TestIdentity: a loaded tokenizer is named by the content it was built
// from, not by its place; tokenizer_config.json counts; and the name is of
// what was read, so replacing the files afterwards does not change it.
func TestIdentity(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixture.Stories260K(), "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := t.TempDir(), filepath.Join(t.TempDir(), "b")
	os.MkdirAll(b, 0o755)
	for _, d := range []string{a, b} {
		os.WriteFile(filepath.Join(d, "tokenizer.json"), data, 0o644)
	}
	id := func(p string) string {
		t.Helper()
		tk, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		return tk.Identity()
	}
	// The format (length-prefixed bytes of each file) is what earlier runs
	// recorded in their shards: it must not drift.
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, uint64(len(data)))
	h.Write(data)
	if want := hex.EncodeToString(h.Sum(nil)); id(a) != want {
		t.Fatalf("identity %s, want %s", id(a), want)
	}
	if id(a) != id(b) || id(a) != id(filepath.Join(a, "tokenizer.json")) {
		t.Fatal("same tokenizer hashes apart")
	}
	os.WriteFile(filepath.Join(b, "tokenizer_config.json"), []byte(`{"legacy": false}`), 0o644)
	if id(a) == id(b) {
		t.Fatal("tokenizer_config.json ignored")
	}
	loaded, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	before := loaded.Identity()
	os.WriteFile(filepath.Join(a, "tokenizer.json"), append(data, ' '), 0o644)
	if loaded.Identity() != before || id(a) == before {
		t.Fatal("identity is not of the bytes loaded")
	}
}
