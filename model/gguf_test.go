package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// TestIsGGUF: a GGUF file is known by its extension or, without one (an
// Ollama blob), by its magic; directories and other files are not.
func TestIsGGUF(t *testing.T) {
	dir := t.TempDir()
	gguf, err := os.ReadFile(fixture.Path("stories260K-gguf", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "sha256-0123")
	os.WriteFile(blob, gguf, 0o644)
	other := filepath.Join(dir, "config.json")
	os.WriteFile(other, []byte("{}"), 0o644)
	os.Mkdir(filepath.Join(dir, "odd.gguf"), 0o755)
	for path, want := range map[string]bool{
		fixture.Path("stories260K-gguf", "stories260K.gguf"): true,
		blob:                                 true,
		filepath.Join(dir, "missing.gguf"):   true,
		other:                                false,
		fixture.Stories260K():                false,
		filepath.Join(dir, "odd.gguf"):       false,
		filepath.Join(dir, "missing-no-ext"): false,
	} {
		if got := IsGGUF(path); got != want {
			t.Errorf("IsGGUF(%s) = %v, want %v", path, got, want)
		}
	}
	m, err := Open(blob)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Config.ModelType != "llama" || m.Config.Layers != 5 {
		t.Errorf("blob opened as %s with %d layers", m.Config.ModelType, m.Config.Layers)
	}
}
