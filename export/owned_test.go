package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteForceReplacesOnlyOwnDirectories: WriteWith with Force replaces
// a filter directory it wrote (or an empty one), and refuses, leaving every
// file, a directory holding anything else.
func TestWriteForceReplacesOnlyOwnDirectories(t *testing.T) {
	f := sample()
	tmp := t.TempDir()
	own := filepath.Join(tmp, "own")
	if err := Write(own, f); err != nil {
		t.Fatal(err)
	}
	if err := WriteWith(own, f, WriteOptions{Force: true}); err != nil {
		t.Errorf("replacing a directory qfilters wrote: %v", err)
	}
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	if err := WriteWith(empty, f, WriteOptions{Force: true}); err != nil {
		t.Errorf("replacing an empty directory: %v", err)
	}

	for name, setup := range map[string]func(dir string){
		"a user file":    func(dir string) { os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644) },
		"a subdirectory": func(dir string) { os.Mkdir(filepath.Join(dir, "sub"), 0o755) },
		"a model config": func(dir string) {
			os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"model_type":"llama"}`), 0o644)
		},
		"config.json not JSON": func(dir string) { os.WriteFile(filepath.Join(dir, ConfigFile), []byte("{"), 0o644) },
		"a README only":        func(dir string) { os.WriteFile(filepath.Join(dir, ReadmeFile), []byte("# my project"), 0o644) },
	} {
		dir := filepath.Join(tmp, strings.ReplaceAll(name, " ", "_"))
		os.Mkdir(dir, 0o755)
		setup(dir)
		before, _ := os.ReadDir(dir)
		err := WriteWith(dir, f, WriteOptions{Force: true})
		if err == nil || !strings.Contains(err.Error(), "refusing to replace") {
			t.Errorf("%s: err %v, want a refusal", name, err)
		}
		after, _ := os.ReadDir(dir)
		if len(after) != len(before) {
			t.Errorf("%s: entries %v -> %v", name, before, after)
		}
	}
	// Statistics directories are qfilters' too.
	if !ownConfig(filepath.Join(own, ConfigFile)) {
		t.Error("own config.json not recognised")
	}
}
